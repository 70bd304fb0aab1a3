// Catalog entry: Matrix, served by the Synapse homeserver.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App matrix() {
  App a;
  a.id = "matrix";
  a.name = "Matrix (Synapse)";
  a.summary = "Secure team chat and calls, open to people on other Matrix servers.";
  a.description =
      "Matrix (Synapse) gives your organisation its own chat server, for group conversations, direct messages "
      "and calls, much like Slack, Discord or WhatsApp groups but under your own name. Members sign in with an app "
      "such as Element on their phone or computer, and private conversations are encrypted so that only the "
      "people in them can read them. Like e-mail, Matrix servers talk to each other: your members can join rooms "
      "on other servers and invite people from outside, unless you choose to keep the server to yourselves. "
      "It suits teams, associations and communities that want to own their conversations instead of renting "
      "them from a large company.";
  a.upstream = "https://element-hq.github.io/synapse/";
  // Element relicensed Synapse from Apache-2.0 to AGPL-3.0-or-later with 1.99.0 (January 2024); it also
  // sells the same code under a commercial licence, which does not restrict this free one.
  a.licence = "AGPL-3.0-or-later";
  a.openCore = false;
  a.activityPub = false;  // Matrix is its own federation protocol, not ActivityPub
  a.version = "1.160.0";
  a.defaultSubdomain = "matrix";
  a.category = "chat";
  a.needs = {
      .cpu = 2,
      .memoryMiB = 2048,
      .diskGiB = 20,
      .databases = {"postgresql"},
      .buckets = {{"media", "pictures, videos and files shared in chats, and copies of media from other servers"}},
      .mail = true,   // address verification and notifications of missed messages
      .redis = false, // needed only when Synapse is split into workers, not for a small server
      .ports = {443, 8448},  // 8448: other Matrix servers reach this one (federation)
      .secrets = {{"signing-key", secrets::SecretFormat::SynapseSigningKey,
                   "the key (Ed25519) the server signs its events and federation requests with; other "
                   "servers trust it under the server's name"}},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"enableRegistration",
       schema::booleanProperty("Open sign-up",
                               "Let anyone create an account on your server. Off: only administrators create "
                               "accounts. Open servers attract spam accounts, which can get your server blocked "
                               "by others, so leave this off unless someone watches new accounts.",
                               false)},
      {"federation",
       schema::enumProperty("Talking with other servers",
                            "Whether your members can talk with people on any other Matrix server (open), only "
                            "with the servers you list below (allowlist), or only with each other (off).",
                            "open", {"open", "allowlist", "off"})},
      {"federationAllowlist",
       schema::patternProperty("Servers to talk with",
                               "Used only when \"Talking with other servers\" is allowlist: the addresses of the "
                               "other Matrix servers your members may talk with, separated by commas, for example "
                               "matrix.org, chat.example.net. Empty: none.",
                               "", 500, "^([a-z0-9-]+(\\.[a-z0-9-]+)+(, *[a-z0-9-]+(\\.[a-z0-9-]+)+)*)?$",
                               "list server addresses such as matrix.org, separated by commas")},
      {"maxUploadSizeMiB",
       schema::integerProperty("Largest file to share (MiB)",
                               "The largest picture, video or file one person can send in a chat, in mebibytes.",
                               50, 1, 1024)},
      {"urlPreviews",
       schema::booleanProperty("Link previews",
                               "Show a title and picture under links posted in chats. Your server then visits "
                               "every link posted, including in encrypted rooms if members allow it.",
                               false)},
  });
  a.swot = {
      .strengths =
          {
              "Private conversations and calls are end-to-end encrypted, so not even the hosting provider can read "
              "them.",
              "People on other Matrix servers, such as matrix.org, can join your rooms and talk with your members, "
              "as e-mail works between providers.",
              "Many free apps, Element first among them, work with it on phones and computers.",
          },
      .weaknesses =
          {
              "Synapse needs more memory than most apps, and joining very large public rooms can make it slow.",
              "Members must keep a recovery key safe, or they lose their old encrypted messages when they lose "
              "their device.",
              "Compared with a mailing list, conversations are quicker but harder to follow for people who only "
              "check in now and then.",
              "It does not speak ActivityPub, so it does not connect with Mastodon and the rest of the Fediverse.",
          },
      .opportunities =
          {
              "It can replace WhatsApp groups, Slack or Discord for an organisation that wants to own its "
              "conversations.",
              "Bridges can link rooms with other chat systems, so people can move over gradually.",
              "An address at your own domain stays with your members even if they change chat app.",
          },
      .threats =
          {
              "Element, the company behind Synapse, also sells a paid server edition, so some features for very "
              "large servers may appear there first.",
              "Open sign-up draws spam accounts, which can get your server blocked by others.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/matrix-synapse"},
      .buckets = {"media"},
      .stopForConsistency = false,
      .notes = "The database holds all messages and accounts; a live dump is consistent. The server's signing "
               "key, without which other servers no longer trust a restored server under the same name, is one "
               "of the deployment's encrypted secrets and comes back with every restore. Encrypted messages stay readable only with members' own keys, "
               "which are on their devices and not in the backup.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
