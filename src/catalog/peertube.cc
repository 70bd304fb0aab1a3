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
      .secrets = {{"server-secret", secrets::SecretFormat::Hex,
                   "the secret PeerTube signs sessions and tokens with"},
                  {"admin-password", secrets::SecretFormat::Hex,
                   "the password of PeerTube's first administrator, \"root\", which PeerTube takes when it "
                   "starts for the first time",
                   {},
                   true}},
  };
  // nix/apps/peertube.nix hands the password to PeerTube as PT_INITIAL_ROOT_PASSWORD.
  a.adminLogin = AdminLogin{.username = "root", .passwordSecret = "admin-password", .loginPath = "/login"};
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
  a.category = "video";
  a.swot = {
      .strengths =
          {
              "A complete video library like YouTube: channels, playlists, subtitles and several sizes of every "
              "video.",
              "People on Mastodon and other Fediverse services can follow your channels and comment on videos.",
              "Live events can be streamed and kept as a video afterwards.",
              "Made by Framasoft, a French non-profit, with steady new versions for many years.",
          },
      .weaknesses =
          {
              "Converting uploads takes much computing power, so a new video can take a while to appear.",
              "Videos take a lot of storage, the largest part of its cost.",
              "Fewer people find your videos by chance than on YouTube.",
              "For live streaming alone, without a video library, Owncast is simpler and lighter.",
          },
      .opportunities =
          {
              "Schools and public bodies can publish videos without advertising and without sending viewers' "
              "data to Google.",
              "Other PeerTube servers can copy your videos and share the load when one becomes popular.",
          },
      .threats =
          {
              "With open sign-ups, copyright complaints and unwanted uploads become your responsibility.",
              "A video that suddenly becomes popular can bring a spike of traffic and cost.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/peertube/storage", "/var/lib/peertube/config"},
      .buckets = {"videos", "streaming-playlists"},
      .stopForConsistency = false,
      .notes =
          "A live dump of the database is consistent on its own, and the video buckets are copied after it: a "
          "video being uploaded or converted during the copy may be missing from the backup and must be "
          "uploaded again. The storage directory holds thumbnails, avatars and subtitles (its cache and tmp "
          "folders need not be kept); the config directory holds the settings changed in PeerTube's own "
          "administration pages.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
