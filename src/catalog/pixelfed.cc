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
      .secrets = {{"app-key", secrets::SecretFormat::Laravel,
                   "its APP_KEY, which encrypts sessions, two-factor secrets and the other data Pixelfed stores encrypted"},
                  {"passport-private-key", secrets::SecretFormat::RsaPrivateKey,
                   "the private key (RSA) Laravel Passport signs the OAuth tokens of phone apps with"},
                  {"passport-public-key", secrets::SecretFormat::RsaPublicKey,
                   "the public key Laravel Passport checks those tokens with", "passport-private-key"}},
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
  a.category = "social";
  a.swot = {
      .strengths =
          {
              "Made for pictures: albums, stories and a photo grid, where Mastodon is made for text.",
              "Posts and follows reach Mastodon users too, so one account speaks to both audiences.",
              "No advertising and no algorithm deciding who sees which photo: followers see posts in order.",
          },
      .weaknesses =
          {
              "A smaller project than Mastodon, with fewer developers, so new versions come less often.",
              "Fewer phone apps than Mastodon, and the official one is young and simple.",
              "Photos and videos take much storage, which adds to the monthly cost.",
          },
      .opportunities =
          {
              "Photographers, artists, schools and clubs can share pictures without giving them to a large "
              "platform.",
              "Many people look for an alternative to Instagram and can follow you from Mastodon meanwhile.",
          },
      .threats =
          {
              "Photos may show people who did not agree to be published, and your moderators must handle "
              "their complaints.",
              "If its few developers stop, security fixes may arrive slowly.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/pixelfed/storage"},
      .buckets = {"media"},
      .stopForConsistency = false,
      .notes =
          "A live dump of the database is consistent on its own, and the media bucket is copied after it: a "
          "photo uploaded during the copy may be missing, but nothing is half-written. The keys that signed-in "
          "phone apps depend on (its OAuth keys) are the deployment's encrypted secrets and come back with "
          "every restore, so no one has to log in again.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
