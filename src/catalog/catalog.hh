#pragma once
// The catalog: what can be deployed, with its needs and its settings schema.
// One file per app (mastodon.cc, pixelfed.cc, …) defines its entry.
#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hh"

namespace fedihost::catalog {

namespace json = boost::json;

/// A bucket an app needs and what it holds.
struct BucketNeed {
  std::string name;     ///< short name, unique within the app, e.g. "media"
  std::string purpose;  ///< plain-language use, e.g. "uploaded images and videos"
};

/// What an app needs from the platform.
struct Needs {
  int cpu = 1;
  int memoryMiB = 1024;
  int diskGiB = 10;
  std::vector<std::string> databases;  ///< engines, e.g. {"postgresql"}
  std::vector<BucketNeed> buckets;
  bool mail = false;
  bool redis = false;
  std::vector<int> ports;  ///< public TCP ports, e.g. {443}
};

/// Strengths, Weaknesses, Opportunities and Threats, written for a person
/// choosing between apps (plain language, one sentence each, 2–5 per list).
struct Swot {
  std::vector<std::string> strengths;
  std::vector<std::string> weaknesses;
  std::vector<std::string> opportunities;
  std::vector<std::string> threats;
};

/// How an app is backed up: what must be copied, and whether it must stop for a consistent copy.
struct BackupStrategy {
  std::vector<std::string> databases;  ///< engines of the app's databases to dump, e.g. {"postgresql"}
  std::vector<std::string> paths;      ///< directories on the machine, e.g. {"/var/lib/mastodon/public-system"}
  std::vector<std::string> buckets;    ///< names of BucketNeeds whose objects are copied
  bool stopForConsistency = false;     ///< stop the app during the copy (else: a live dump suffices)
  std::string notes;                   ///< anything an operator must know, plain language
};

/// A change of an app's settings schema from one version to the next, with the
/// function that rewrites stored settings of the old version into the new.
struct SettingsMigration {
  int fromSchema = 1;                                ///< migrates fromSchema -> fromSchema + 1
  std::string description;                           ///< what changes, for the person upgrading
  std::function<json::object(json::object)> apply;  ///< old settings -> new settings
};

/// One deployable app.
struct App {
  std::string id;           ///< stable id, e.g. "mastodon"
  std::string name;         ///< "Mastodon"
  std::string summary;      ///< one line
  std::string description;  ///< one plain-language paragraph
  std::string upstream;     ///< project URL
  std::string licence;      ///< SPDX expression
  bool openCore = false;    ///< open-core products are refused by the catalog
  bool activityPub = false;
  std::string version;      ///< packaged version
  std::string defaultSubdomain;  ///< host name under the deployment's domain, e.g. "mastodon"
  Needs needs;
  // Network needs beyond Needs::ports (shown in the API under "needs").
  std::vector<std::pair<int, int>> udpPortRanges;  ///< public UDP ranges, e.g. {{40000, 49999}} for WebRTC media
  /// Extra host names the app needs, as labels under its own host: {"sandbox"}
  /// gives "sandbox.cryptpad.example.org" (CryptPad's separate sandbox origin).
  std::vector<std::string> extraHosts;
  json::object settingsSchema;  ///< JSON Schema (type object) with title/description/default per property
  int schemaVersion = 1;        ///< version of settingsSchema; bumped with a SettingsMigration
  std::vector<SettingsMigration> migrations;  ///< fromSchema 1, 2, … up to schemaVersion - 1
  Swot swot;
  BackupStrategy backup;
  std::string openCoreReason;   ///< why an open-core product is refused (shown in the error)
  std::string category;         ///< "social", "video", "chat", "files", "office", "code", "planning", "mail", "meetings", "podcasts", "streaming"
};

/// The catalog's own version (date-based, e.g. "2026.11.1") and the nixpkgs
/// revision its NixOS configuration is built and tested with. A deployment
/// records both when it is created or upgraded.
struct CatalogRelease {
  std::string version;
  std::string nixpkgsRevision;
};
const CatalogRelease& release();

/// Every app of the catalog, sorted by id. Entries flagged open-core are not in it.
const std::vector<App>& all();

/// One app by id, or nullptr.
const App* find(std::string_view id);

/// Checks an entry before it enters the catalog; an Invalid error names the
/// field and the reason: an open-core product (with its openCoreReason); a
/// missing name, summary, description, upstream, licence or version; needs out
/// of range or an unknown database engine (postgresql, mysql); a SWOT list
/// without 2–5 points; an unknown category; a backup strategy that does not
/// dump exactly the app's databases, names an unknown bucket or a relative
/// path; a schema version without its chain of settings migrations; a settings
/// schema property without title, description or default, or no "subdomain".
Result<void> admit(const App& app);

/// Rewrites settings stored under schema `fromSchema` to the app's current
/// schema, returning them with the descriptions of the changes applied. Invalid
/// if `fromSchema` is newer than the app's or a migration is missing.
Result<std::pair<json::object, std::vector<std::string>>> migrateSettings(const App& app, int fromSchema,
                                                                           json::object settings);

/// Validates settings against the app's schema and returns them with defaults
/// filled in. Unknown fields, wrong types and out-of-range values are errors
/// whose field is `fieldPrefix + "." + property` and whose message names the
/// property's title (label).
Result<json::object> validateSettings(const App& app, const json::value& settings, const std::string& fieldPrefix);

/// The app as the API shows it.
json::object toJson(const App& app);

}  // namespace fedihost::catalog
