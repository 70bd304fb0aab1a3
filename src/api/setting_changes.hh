#pragma once
// The settings a person changed since the last apply, named by the labels of the
// catalog's settings schemas: "Mastodon: maximum post length 500 → 1000".
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "core/domain.hh"

namespace fedihost::api {

struct SettingChange {
  std::string app;      ///< "mastodon"
  std::string setting;  ///< "maxPostLength"; empty when the whole app is added or removed
  std::string label;    ///< "maximum post length" (the schema's title, first letter lower-cased)
  boost::json::value from;  ///< null when added
  boost::json::value to;    ///< null when removed
  std::string text;     ///< "Mastodon: maximum post length 500 → 1000", "PeerTube: added"
};

/// What differs between the deployment's settings and those its recorded machine
/// configuration was applied with (none when nothing was applied yet).
std::vector<SettingChange> settingChanges(const Deployment& d, const std::vector<RecordedResource>& recorded);

/// How a setting's value reads: 500, yes/no, a text as it is, "(none)" for empty.
std::string valueText(const boost::json::value& v);

boost::json::array toJson(const std::vector<SettingChange>& changes);

}  // namespace fedihost::api
