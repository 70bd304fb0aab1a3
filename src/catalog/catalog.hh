#pragma once
// The catalog: what can be deployed, with its needs and its settings schema.
// One file per app (mastodon.cc, pixelfed.cc, …) defines its entry.
#include <boost/json.hpp>
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
  std::vector<int> ports;  ///< public ports, e.g. {443}
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
  json::object settingsSchema;  ///< JSON Schema (type object) with title/description/default per property
};

/// Every app of the catalog, sorted by id. Entries flagged open-core are not in it.
const std::vector<App>& all();

/// One app by id, or nullptr.
const App* find(std::string_view id);

/// Checks an entry before it enters the catalog: Invalid error (naming the
/// reason) for an open-core product or a schema property without title,
/// description or default.
Result<void> admit(const App& app);

/// Validates settings against the app's schema and returns them with defaults
/// filled in. Unknown fields, wrong types and out-of-range values are errors
/// whose field is `fieldPrefix + "." + property` and whose message names the
/// property's title (label).
Result<json::object> validateSettings(const App& app, const json::value& settings, const std::string& fieldPrefix);

/// The app as the API shows it.
json::object toJson(const App& app);

}  // namespace fedihost::catalog
