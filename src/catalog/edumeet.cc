// Catalog entry: Edumeet (video meetings in the browser, WebRTC through a mediasoup server).
//
// Packaging: Edumeet is not packaged in nixpkgs; its version 4 is published as
// three parts (room server, media node, web client) on a rolling release, named
// <version>-<date>-stable. The optional management service (accounts, OIDC
// login, a PostgreSQL database) is not deployed, so the entry needs no database.
#include "catalog/apps.hh"
#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App edumeet() {
  App a;
  a.id = "edumeet";
  a.name = "Edumeet";
  a.summary = "Video meetings in the browser: share a link, talk, show your screen.";
  a.description =
      "Edumeet is a video meeting service, like Zoom or Google Meet, that runs on your own server. You "
      "choose a room name, share its link, and everyone who opens it joins from their web browser, without "
      "installing anything or creating an account. Participants can talk, see each other, share their "
      "screen, chat and send files, and a host can lock the room or let waiting guests in. It suits schools, "
      "associations and small teams who want private meetings that do not pass through a large company.";
  a.upstream = "https://edumeet.org";
  a.licence = "MIT";
  a.openCore = false;
  a.activityPub = false;
  a.version = "4.0-20240730-stable";
  a.defaultSubdomain = "edumeet";
  a.needs = {
      // Every audio and video stream passes through the media node, so CPU and
      // bandwidth, not memory or disk, limit the size of meetings.
      .cpu = 2,
      .memoryMiB = 2048,
      .diskGiB = 10,
      .databases = {},
      .buckets = {},
      .mail = false,
      .redis = false,
      .ports = {443},
      .secrets = {{"media-node-secret", secrets::SecretFormat::Hex,
                   "the secret the room server and the media node share"}},
  };
  a.udpPortRanges = {{40000, 49999}};  // WebRTC media (mediasoup)
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"title",
       schema::textProperty("Site name", "The name shown on the start page and in the browser tab.", "Edumeet", 1,
                            40)},
      {"maxParticipantsPerRoom",
       schema::integerProperty("Participants per meeting",
                               "The largest number of people who can be in one meeting at the same time. More "
                               "people need a larger machine.",
                               25, 2, 100)},
      {"videoResolution",
       schema::enumProperty("Camera picture quality",
                            "The quality in which cameras are sent at first. Higher quality looks sharper but needs "
                            "faster connections for everyone; each participant can lower it.",
                            "medium", {"low", "medium", "high", "veryhigh"})},
      {"askForMediaOnJoin",
       schema::booleanProperty("Ask for camera and microphone when joining",
                               "Ask each person for their camera and microphone before they enter a meeting. Turn "
                               "it off for meetings where most people only listen.",
                               true)},
      {"privacyUrl",
       schema::patternProperty("Privacy notice link",
                               "The web address of your privacy notice, shown as a link on the start page. Leave "
                               "it empty to show no link.",
                               "", 300, "^(https://[^\\s]+)?$",
                               "use a web address starting with https://, or leave it empty")},
  });
  a.category = "meetings";
  a.swot = {
      .strengths =
          {
              "Guests join from their web browser with a link, without installing anything or creating an "
              "account.",
              "Screen sharing, chat, file sharing and raised hands are built in.",
              "Free software under the MIT licence, developed in the European research and education "
              "community.",
          },
      .weaknesses =
          {
              "A small project, with fewer users and developers than Jitsi Meet or BigBlueButton.",
              "Every video passes through the server, so large meetings need a strong machine and a fast "
              "network.",
              "It has no accounts or calendar of its own: anyone who knows a room's link can open the room.",
              "Meetings cannot be recorded on the server; a participant can only record in their own browser.",
          },
      .opportunities =
          {
              "Schools, NGOs and cooperatives can meet without sending their conversations through Zoom, Teams "
              "or Google.",
              "Meeting links fit well next to a chat app or Nextcloud, where people already plan their work.",
          },
      .threats =
          {
              "People behind strict company or school firewalls sometimes cannot send sound and video.",
              "With few developers, fixes for new browser versions or security problems may come slowly.",
          },
  };
  a.backup = {
      .databases = {},
      .paths = {},
      .buckets = {},
      .stopForConsistency = false,
      .notes =
          "Nothing needs copying beyond the deployment's settings, which the backup holds anyway: meetings, "
          "chats and shared files exist only while a meeting lasts and are never stored on the server.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
