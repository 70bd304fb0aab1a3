// Catalog entry: Castopod, podcast hosting.
#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App castopod() {
  App a;
  a.id = "castopod";
  a.name = "Castopod";
  a.summary = "Host your podcasts under your own name, with followers in the Fediverse.";
  a.description =
      "Castopod hosts your podcasts: you upload each episode with its description, and Castopod publishes the "
      "feed that Apple Podcasts, Spotify and every other podcast app read, plus a web page where anyone can "
      "listen. It counts listeners in a way that respects their privacy, and supports chapters, transcripts and "
      "links for donations. Each podcast also has a Fediverse account, so people on Mastodon can follow it, "
      "comment on episodes and share them. It suits newsrooms, schools, associations and anyone who wants to "
      "publish audio without depending on a commercial podcast host.";
  a.upstream = "https://castopod.org";
  a.licence = "AGPL-3.0-or-later";
  a.openCore = false;
  a.activityPub = true;
  a.version = "1.15.5";
  a.defaultSubdomain = "podcast";
  a.category = "podcasts";
  a.needs = {
      .cpu = 1,
      .memoryMiB = 2048,
      .diskGiB = 10,
      .databases = {"mysql"},  // Castopod supports MySQL/MariaDB only (nixpkgs services.castopod uses MariaDB)
      .buckets = {{"media", "episode audio files, cover pictures and transcripts"}},
      .mail = true,  // invitations and password resets for the podcast team
      .redis = true, // cache
      .ports = {443},
  };
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"defaultLanguage",
       schema::patternProperty("Interface language",
                               "The language of Castopod's pages for visitors and new team members, as a language "
                               "code such as en, de, fr or pt-BR. Each podcast has its own language besides.",
                               "en", 10, "^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
                               "use a language code such as en, de or pt-BR")},
      {"maxUploadSizeMiB",
       schema::integerProperty("Largest episode file (MiB)",
                               "The largest audio or video file you can upload for one episode, in mebibytes. An "
                               "hour of speech is about 60 MiB at usual podcast quality.",
                               512, 50, 4096)},
      {"adminPath",
       schema::patternProperty("Address of the administration area",
                               "The part of the address after your podcast's address where your team signs in to "
                               "manage podcasts, for example \"cp-admin\". Changing it makes the sign-in page "
                               "harder for strangers to find.",
                               "cp-admin", 30, "^[a-z0-9][a-z0-9-]*$",
                               "use lowercase letters, digits and hyphens, starting with a letter or digit")},
  });
  a.swot = {
      .strengths =
          {
              "It is made for podcasts: a feed for every podcast app, chapters, transcripts and listener "
              "statistics.",
              "Listeners on Mastodon and elsewhere in the Fediverse can follow a podcast, comment and share "
              "episodes.",
              "It supports the newer Podcasting 2.0 features, such as funding links, chapters and soundbites.",
          },
      .weaknesses =
          {
              "Audio files are large, so storage grows with every episode and has to be paid for.",
              "It needs more parts than most apps (a MySQL database and a cache), so it uses more memory than its "
              "size suggests.",
          },
      .opportunities =
          {
              "Podcasts hosted here can still be listed in Apple Podcasts, Spotify and other directories through "
              "their feed.",
              "An existing podcast can be moved in by importing its feed, episodes included.",
              "Premium episodes let a podcast offer some content to its supporters only.",
          },
      .threats =
          {
              "It is developed by a small team, so its future depends on a few people and on their funding.",
              "Some large platforms favour podcasts hosted with them and may promote others less.",
          },
  };
  a.backup = {
      .databases = {"mysql"},
      .paths = {"/var/lib/castopod"},
      .buckets = {"media"},
      .stopForConsistency = false,
      .notes = "The database holds podcasts, episodes, statistics and Fediverse followers; a live dump is "
               "consistent. The episode files are in the media bucket. The cache needs no backup.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
