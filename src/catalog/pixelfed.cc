// Catalog entry: Pixelfed.
#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App pixelfed() {
  App a;
  a.id = "pixelfed";
  a.name = "Pixelfed";
  a.summary = "Photo sharing: pictures, albums and stories across the Fediverse.";
  a.description =
      "Pixelfed is a photo-sharing community, similar to Instagram, that you run yourselves. Members post "
      "photos and short videos with captions, group them in albums and stories, and follow each other as well "
      "as people on Mastodon and other Fediverse services. It fits photographers, artists, schools and "
      "communities who want to share pictures without advertising, without feeds chosen by an algorithm and "
      "without handing their images to a large platform.";
  a.upstream = "https://pixelfed.org";
  a.licence = "AGPL-3.0-only";
  a.openCore = false;
  a.activityPub = true;
  a.version = "0.12.5";
  a.defaultSubdomain = "pixelfed";
  a.needs = {
      .cpu = 2,
      .memoryMiB = 2048,
      .diskGiB = 20,
      .databases = {"postgresql"},
      .buckets = {{"media", "uploaded photos, videos and avatars"}},
      .mail = true,
      .redis = true,
      .ports = {443},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"siteName",
       schema::textProperty("Site name", "The name shown at the top of every page and in the e-mails the site sends.",
                              "Pixelfed", 1, 50)},
      {"registrations",
       schema::enumProperty("Who can sign up",
                            "Whether anyone can create an account (open), people can ask for one and an "
                            "administrator approves each request (approval), or only administrators can create "
                            "accounts (closed).",
                            "approval", {"open", "approval", "closed"})},
      {"maxPhotoSizeKiB",
       schema::integerProperty("Maximum photo size (KiB)",
                               "The largest file a member may upload as one photo or video, in kibibytes "
                               "(1024 KiB make 1 MiB).",
                               15000, 1024, 51200)},
      {"maxAlbumPhotos",
       schema::integerProperty("Photos per post", "How many photos or videos one post (an album) may hold.", 4, 1, 20)},
      {"enforceEmailVerification",
       schema::booleanProperty("Require e-mail confirmation",
                               "New members must confirm their e-mail address before they can post.", true)},
  });
  return a;
}

}  // namespace fedihost::catalog::apps
