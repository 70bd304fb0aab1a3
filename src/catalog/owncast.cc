// Catalog entry: Owncast, a single live-streaming channel.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App owncast() {
  App a;
  a.id = "owncast";
  a.name = "Owncast";
  a.summary = "Your own live-streaming channel with chat, like Twitch under your own name.";
  a.description =
      "Owncast is your own live-streaming channel: you broadcast events, lessons, concerts or meetings from "
      "streaming software such as OBS, and viewers watch in their browser at your own address, without "
      "advertising and without an account. A chat beside the video lets viewers talk with you and with each "
      "other while you are live. People on Mastodon and elsewhere in the Fediverse can follow the channel, get a "
      "post when you go live, and share it. Owncast shows one stream at a time and does not keep a library of "
      "recorded videos; for that, choose PeerTube.";
  a.upstream = "https://owncast.online";
  a.licence = "MIT";
  a.openCore = false;
  a.activityPub = true;
  a.version = "0.2.5";
  a.defaultSubdomain = "live";
  a.category = "streaming";
  a.needs = {
      .cpu = 2,  // turning the incoming video into the qualities viewers receive is the heavy part
      .memoryMiB = 2048,
      .diskGiB = 10,
      .databases = {},  // settings and chat live in Owncast's own small SQLite file
      .buckets = {},    // video segments are served from the machine itself
      .mail = false,
      .redis = false,
      .ports = {443, 1935},  // 1935: RTMP, where the streaming software sends the video
      .secrets = {{"admin-password", secrets::SecretFormat::Hex,
                   "the administrator password of Owncast's admin API, through which its settings are made"}},
  };
  // nix/apps/owncast.nix replaces Owncast's default administrator password with it at the first start.
  a.adminLogin = AdminLogin{.username = "admin", .passwordSecret = "admin-password", .loginPath = "/admin"};
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"serverName",
       schema::textProperty("Channel name", "The name of your channel, shown at the top of the page and to followers.",
                            "Our live stream", 1, 80)},
      {"maxBitrateKbps",
       schema::integerProperty("Video quality (kbit/s)",
                               "The data rate of the video viewers receive, in kilobits per second: higher looks "
                               "sharper but needs faster connections for viewers and more bandwidth for you. "
                               "1200 suits most talks; 3000 or more suits fast-moving pictures.",
                               1200, 400, 8000)},
      {"chatEnabled",
       schema::booleanProperty("Chat", "Show a chat beside the video where viewers can write while you are live.",
                               true)},
      {"federationEnabled",
       schema::booleanProperty("Fediverse followers",
                               "Let people on Mastodon and other Fediverse services follow the channel and get a "
                               "post each time you go live.",
                               true)},
      {"federationUsername",
       schema::patternProperty("Fediverse name",
                               "The name followers see for the channel, in front of your address: with \"live\" "
                               "they follow @live@ followed by the channel's address.",
                               "live", 30, "^[a-z0-9_]+$", "use only lowercase letters, digits and underscores")},
  });
  a.swot = {
      .strengths =
          {
              "It does one thing, live streaming, and is simpler to run and to use than PeerTube.",
              "Viewers can chat during the stream without creating an account.",
              "Followers on Mastodon and elsewhere in the Fediverse are told when you go live.",
          },
      .weaknesses =
          {
              "It is one channel with one stream at a time, and keeps no library of recorded videos: PeerTube "
              "does that.",
              "Preparing the video for viewers takes much processing power, so more viewers or qualities cost "
              "more.",
              "The person streaming needs streaming software such as OBS, set up once on their computer.",
          },
      .opportunities =
          {
              "Events, lessons, concerts and meetings can be broadcast under your own name, without advertising.",
              "Streaming software already set up for Twitch or YouTube can be pointed at it instead.",
          },
      .threats =
          {
              "It is developed by a very small team, so fixes and new features depend on a few people.",
              "A large audience needs far more bandwidth than a small machine offers.",
          },
  };
  a.backup = {
      .databases = {},
      .paths = {"/var/lib/owncast"},
      .buckets = {},
      .stopForConsistency = true,
      .notes = "Owncast keeps its settings, chat and followers in a SQLite file in its folder, which is only "
               "consistent when copied while Owncast is stopped for a few seconds. Stopping ends a live stream, so "
               "schedule backups outside streaming hours. Streams themselves are not recorded.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
