// Catalog entry: PeerTube.
#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App peertube() {
  App a;
  a.id = "peertube";
  a.name = "PeerTube";
  a.summary = "Video hosting: channels, playlists and live streams across the Fediverse.";
  a.description =
      "PeerTube is a video platform, similar to YouTube, that you run yourselves. You upload videos and hold "
      "live streams on your own channels, decide who may watch them, and people can follow your channels and "
      "comment from Mastodon and other Fediverse services. It suits schools, media makers, associations and "
      "public bodies that want to publish videos under their own name, without advertising and without "
      "depending on a large platform.";
  a.upstream = "https://joinpeertube.org";
  a.licence = "AGPL-3.0-only";
  a.openCore = false;
  a.activityPub = true;
  a.version = "7.0.1";
  a.defaultSubdomain = "peertube";
  a.needs = {
      .cpu = 2,
      .memoryMiB = 4096,
      .diskGiB = 40,
      .databases = {"postgresql"},
      .buckets = {{"videos", "uploaded videos, in each resolution"},
                  {"streaming-playlists", "videos cut into pieces for smooth streaming (HLS)"}},
      .mail = true,
      .redis = true,
      .ports = {443},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"instanceName",
       schema::textProperty("Site name", "The name shown at the top of every page and in the e-mails the site sends.",
                              "PeerTube", 1, 120)},
      {"registrations",
       schema::enumProperty("Who can sign up",
                            "Whether anyone can create an account (open), people can ask for one and an "
                            "administrator approves each request (approval), or only administrators can create "
                            "accounts (closed).",
                            "closed", {"open", "approval", "closed"})},
      {"transcoding",
       schema::booleanProperty("Convert uploaded videos",
                               "Convert every upload into several sizes so that people with slow connections can "
                               "watch it too. This takes a lot of computing time; turn it off only if you upload "
                               "videos that are already prepared for the web.",
                               true)},
      {"maxUploadSizeMiB",
       schema::integerProperty("Maximum upload size (MiB)", "The largest video file one upload may be, in mebibytes.",
                               4096, 10, 20480)},
      {"defaultVideoPrivacy",
       schema::enumProperty("Default video visibility",
                            "Who can see a new video unless the uploader chooses otherwise: everyone (public), "
                            "only people who have the link (unlisted), only the uploader (private), or only "
                            "members of this site (internal).",
                            "public", {"public", "unlisted", "private", "internal"})},
  });
  return a;
}

}  // namespace fedihost::catalog::apps
