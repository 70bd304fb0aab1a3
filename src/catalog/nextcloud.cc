// Catalog entry: Nextcloud (files, sharing, calendars and contacts), NixOS services.nextcloud.
//
// Files live in the "files" bucket as Nextcloud's primary object storage
// (services.nextcloud.config.objectstore.s3), so the machine's disk holds only
// the code, the configuration and logs. Nextcloud's social app is abandoned:
// not ActivityPub.
#include "catalog/apps.hh"
#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"

namespace fedihost::catalog::apps {

App nextcloud() {
  App a;
  a.id = "nextcloud";
  a.name = "Nextcloud";
  a.summary = "Files, sharing, calendars and contacts in one place, like Dropbox and Google Drive.";
  a.description =
      "Nextcloud is a place for your organisation's files, much like Dropbox or Google Drive, but on your own "
      "server. Members keep their documents there, reach them from the web, their computer or their phone, "
      "and share them with colleagues or with anyone through a link. It also brings shared calendars and "
      "address books that work with the apps people already use on their phones and computers. It suits "
      "organisations that want one trusted home for their documents and agendas instead of several paid "
      "cloud services.";
  a.upstream = "https://nextcloud.com";
  a.licence = "AGPL-3.0-or-later";
  a.openCore = false;
  a.activityPub = false;
  a.version = "30.0.7";
  a.defaultSubdomain = "nextcloud";
  a.needs = {
      .cpu = 2,
      .memoryMiB = 2048,
      .diskGiB = 20,
      .databases = {"postgresql"},
      .buckets = {{"files", "every file members upload, with its older versions and previews (primary storage)"}},
      .mail = true,
      .redis = true,
      .ports = {443},
      .secrets = {{"admin-password", secrets::SecretFormat::Hex,
                   "the first administrator's password, which Nextcloud takes when it is installed", {}, true},
                  // What its installer would otherwise write into config.php.
                  {"config-secret", secrets::SecretFormat::Password,
                   "its `secret`, which encrypts stored credentials and signs tokens"},
                  {"password-salt", secrets::SecretFormat::Password, "its `passwordsalt`"},
                  {"instance-id", secrets::SecretFormat::NextcloudInstanceId,
                   "its `instanceid`, which names its app data folder and its session cookie"}},
  };
  // nix/apps/nextcloud.nix makes the administrator "admin" with it when Nextcloud is installed.
  a.adminLogin = AdminLogin{.username = "admin", .passwordSecret = "admin-password", .loginPath = "/login"};
  a.settingsSchema = schema::objectSchema({
      {"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)},
      {"defaultQuotaGiB",
       schema::integerProperty("Storage per member (GiB)",
                               "How much space each member gets for their files, in gibibytes, unless an "
                               "administrator gives them more or less.",
                               5, 1, 1024)},
      {"maxUploadSizeMiB",
       schema::integerProperty("Maximum upload size (MiB)",
                               "The largest single file that can be uploaded through the web page, in mebibytes. "
                               "The desktop and phone apps can upload larger files in pieces.",
                               512, 16, 16384)},
      {"publicLinks",
       schema::enumProperty("Sharing with a link",
                            "Whether members may share files with anyone through a link (allowed), only with a "
                            "password on every link (password), or only with other members (disabled).",
                            "allowed", {"allowed", "password", "disabled"})},
      {"calendarAndContacts",
       schema::booleanProperty("Calendars and address books",
                               "Add shared calendars and address books, which phones and computers can sync.",
                               true)},
      {"defaultPhoneRegion",
       schema::patternProperty("Country for phone numbers",
                               "The country whose phone numbers members may type without the international "
                               "prefix, as a two-letter country code such as NL, DE or FR.",
                               "NL", 2, "^[A-Z]{2}$", "use a two-letter country code in capitals, such as NL or DE")},
  });
  a.category = "files";
  a.swot = {
      .strengths =
          {
              "One place for files, sharing, calendars and contacts, with many add-on apps for more.",
              "Desktop and phone apps keep files in sync, and calendars work with the apps people already use.",
              "Very widely used, by public bodies too, with a large community and paid support available.",
          },
      .weaknesses =
          {
              "Heavy: it needs more memory and more careful upkeep than simpler apps.",
              "Files are not end-to-end encrypted, so whoever runs the server could technically read them.",
              "Add-on apps vary in quality and sometimes lag behind new Nextcloud versions.",
              "For private writing together on sensitive documents, CryptPad protects the content better.",
          },
      .opportunities =
          {
              "It can replace several paid cloud services and keep all documents in one place you control.",
              "Many European public bodies choose it to keep their data under their own control, which makes "
              "working with them easier.",
          },
      .threats =
          {
              "A server left with outdated apps is a common target of attacks, so updates must not wait.",
              "The company behind it sells subscriptions to large organisations, and the free version shows "
              "reminders once it has many users.",
          },
  };
  a.backup = {
      .databases = {"postgresql"},
      .paths = {"/var/lib/nextcloud/config", "/var/lib/nextcloud/data"},
      .buckets = {"files"},
      .stopForConsistency = true,
      .notes =
          "Nextcloud is put in maintenance mode (occ maintenance:mode --on) while the database is dumped and the "
          "files bucket copied, because a file changed in between would leave the two out of step; members see "
          "a maintenance page for those minutes. Its secret, password salt and instance id, without which "
          "encrypted data and signed-in apps break, are the deployment's encrypted secrets and come back with "
          "every restore; the config directory holds what Nextcloud writes itself. The data "
          "directory holds only logs and bookkeeping, since the files themselves are in the bucket.",
  };
  return a;
}

}  // namespace fedihost::catalog::apps
