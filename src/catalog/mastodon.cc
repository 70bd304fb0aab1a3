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
                               "The largest number of characters one post may contain.", 500, 500, 10000)},
      {"defaultLocale",
       schema::patternProperty("Default language",
                               "The language of the interface for visitors and new members, as a language code "
                               "such as en, de, fr or pt-BR. Each member can choose another one.",
                               "en", 10, "^[a-z]{2,3}(-[A-Z]{2})?$", "use a language code such as en, de or pt-BR")},
  });
  return a;
}

}  // namespace fedihost::catalog::apps
