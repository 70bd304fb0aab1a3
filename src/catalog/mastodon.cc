// Catalog entry: Mastodon.
#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App mastodon() {
  App a;
  a.id = "mastodon";
  a.name = "Mastodon";
  a.summary = "Microblogging: short posts, replies and follows across the Fediverse.";
  a.description =
      "Mastodon is a social network for short posts, much like Twitter or X, but run by you instead of a "
      "company. Your members get accounts at your own address (for example @alice@your-domain), post text, "
      "pictures and videos, and follow and talk with people on thousands of other Mastodon servers and "
      "compatible services across the Fediverse. It suits organisations, communities and clubs that want "
      "their own place on social media, with their own rules and without advertising or tracking.";
  a.upstream = "https://joinmastodon.org";
  a.licence = "AGPL-3.0-only";
  a.openCore = false;
  a.activityPub = true;
  a.version = "4.3.8";
  a.defaultSubdomain = "mastodon";
  a.needs = {
      .cpu = 2,
      .memoryMiB = 4096,
      .diskGiB = 20,
      .databases = {"postgresql"},
      .buckets = {{"media", "uploaded pictures, videos and avatars, and copies of media from other servers"}},
      .mail = true,
      .redis = true,
      .ports = {443},
      // What the nixpkgs module would otherwise generate under /var/lib/mastodon/secrets.
      .secrets = {{"secret-key-base", secrets::SecretFormat::LongHex,
                   "its SECRET_KEY_BASE, which signs sessions and cookies"},
                  {"otp-secret", secrets::SecretFormat::LongHex,
                   "its OTP_SECRET, which protects its members' two-factor login secrets"},
                  {"vapid-private-key", secrets::SecretFormat::VapidPrivateKey,
                   "the private key (P-256) it signs web push notifications with (VAPID)"},
                  {"vapid-public-key", secrets::SecretFormat::VapidPublicKey,
                   "the public key of its web push notifications, which subscribed browsers hold",
                   "vapid-private-key"},
                  {"active-record-primary-key", secrets::SecretFormat::Password,
                   "the primary key of the database columns Rails encrypts (Active Record encryption)"},
                  {"active-record-deterministic-key", secrets::SecretFormat::Password,
                   "the key of the database columns Rails encrypts deterministically (searchable)"},
                  {"active-record-derivation-salt", secrets::SecretFormat::Password,
                   "the salt from which Active Record encryption derives its keys"}},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"registrations",
       schema::enumProperty("Who can sign up",
                            "Whether anyone can create an account (open), people can ask for one and an "
                            "administrator approves each request (approval), or only administrators can create "
                            "accounts (closed).",
                            "approval", {"open", "approval", "closed"})},
      {"singleUserMode",
       schema::booleanProperty("Single-user mode",
                               "Turn this on when the server is for one account only, such as your "
                               "organisation's: the front page then shows that profile instead of a timeline.",
                               false)},
      {"authorizedFetch",
       schema::booleanProperty("Secure mode",
                               "Other servers must identify themselves before they can read public posts. Blocking "
                               "unwanted servers then works better, at the cost of some extra load and of "
                               "compatibility with some older software.",
                               false)},
      {"maxTootChars",
       schema::integerProperty("Maximum post length",
                               "The largest number of characters one post may contain. Honoured by Mastodon "
                               "editions such as glitch-soc; standard Mastodon keeps 500 whatever is set here.",
                               500, 500, 10000)},
      {"defaultLocale",
       schema::patternProperty("Default language",
                               "The language of the interface for visitors and new members, as a language code "
                               "such as en, de, fr or pt-BR. Each member can choose another one.",
                               "en", 10, "^[a-z]{2,3}(-[A-Z]{2})?$", "use a language code such as en, de or pt-BR")},
  });

  // Schema 1 had a yes/no "openRegistrations"; schema 2 has the three-way "registrations".
  a.schemaVersion = 2;
  a.migrations = {{
      1,
      "“Open registrations” (yes/no) became “Who can sign up” (open, approval or closed)",
      [](json::object settings) {
        if (auto* old = settings.if_contains("openRegistrations")) {
          if (old->is_bool()) {
            const char* mode = old->get_bool() ? "open" : "approval";  // read before inserting moves `old`
            settings["registrations"] = mode;
          } else if (!old->is_null()) {
            return settings;  // not a yes/no: left as is, so validation names it instead of losing it
          }
          settings.erase("openRegistrations");
        }
        return settings;
      },
  }};

  a.category = "social";
  a.swot = {
      .strengths =
          {
              "The best-known Fediverse service: most people already on the Fediverse know how it works.",
              "Mature and well maintained, with an official phone app and many other apps to choose from.",
              "Good moderation tools: reports, blocking of whole servers and approval of new members.",
          },
      .weaknesses =
          {
              "It needs more memory and computing power than most apps in this catalog, and more as members "
              "follow more people.",
              "It keeps copies of pictures and videos from other servers, so storage keeps growing.",
              "Members who move to another server take their followers with them, but not their old posts.",
              "It is made for short text posts; for a photo community Pixelfed fits better.",
          },
      .opportunities =
          {
              "Your organisation gets a social media address of its own, such as @news@your-domain, that no "
              "company can take away.",
              "People leaving X or Facebook can follow you from any Fediverse server, without an account on "
              "yours.",
          },
      .threats =
          {
              "Open sign-ups attract spam accounts, so someone must keep an eye on new members and reports.",
              "Other servers may block yours if they see it as badly moderated, which cuts your members off "
              "from followers there.",
              "As the host of a public service you are responsible for handling illegal content that is "
              "reported to you.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {},
      .buckets = {"media"},
      .stopForConsistency = false,
      .notes =
          "A live dump of the database is consistent on its own, and the media bucket is copied after it: a "
          "picture uploaded during the copy may be missing from the backup, but nothing is half-written. "
          "Redis is not copied: it holds home timelines, which Mastodon rebuilds, and queued jobs, of which "
          "those waiting at backup time are lost. The deployment's secrets (including the keys behind "
          "two-factor login) are kept in its encrypted secrets and must be restored with it.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
