#include "api/setting_changes.hh"

#include <map>

#include "catalog/catalog.hh"
#include "core/json_util.hh"

namespace fedihost::api {
namespace {

namespace json = boost::json;

std::string appName(const std::string& id) {
  auto* app = catalog::find(id);
  return app ? app->name : id;
}

/// The schema's title of a setting, first letter in lower case ("Maximum post length" → "maximum post length").
std::string labelOf(const std::string& appId, const std::string& setting) {
  std::string label = setting;
  if (auto* app = catalog::find(appId))
    if (auto* props = app->settingsSchema.if_contains("properties"); props && props->is_object())
      if (auto* p = props->get_object().if_contains(setting); p && p->is_object())
        if (auto* title = p->get_object().if_contains("title"); title && title->is_string())
          label = std::string(title->get_string());
  // Lower-case the first letter unless the word is an acronym ("URL", "SMTP").
  if (label.size() > 1 && label[0] >= 'A' && label[0] <= 'Z' && !(label[1] >= 'A' && label[1] <= 'Z'))
    label[0] = static_cast<char>(label[0] - 'A' + 'a');
  return label;
}

}  // namespace

std::string valueText(const json::value& v) {
  if (v.is_null()) return "(none)";
  if (v.is_bool()) return v.get_bool() ? "yes" : "no";
  if (v.is_string()) return v.get_string().empty() ? "(empty)" : std::string(v.get_string());
  return jsonutil::canonicalCompact(v);
}

std::vector<SettingChange> settingChanges(const Deployment& d, const std::vector<RecordedResource>& recorded) {
  const json::object* applied = nullptr;  // configuration.apps of the recorded machine configuration
  for (auto& r : recorded)
    if (r.resource.kind == ResourceKind::NixosConfig)
      if (auto* c = r.resource.attributes.if_contains("configuration"); c && c->is_object())
        if (auto* apps = c->get_object().if_contains("apps"); apps && apps->is_object()) applied = &apps->get_object();
  std::vector<SettingChange> out;
  if (!applied) return out;
  std::map<std::string, bool> desired;
  for (auto& inst : d.apps) {
    desired[inst.app] = true;
    const json::object* was = nullptr;
    if (auto* a = applied->if_contains(inst.app); a && a->is_object())
      if (auto* s = a->get_object().if_contains("settings"); s && s->is_object()) was = &s->get_object();
    if (!was) {
      out.push_back({inst.app, "", "", nullptr, nullptr, appName(inst.app) + ": added"});
      continue;
    }
    for (auto& kv : inst.settings) {
      std::string key(kv.key());
      auto* before = was->if_contains(key);
      json::value from = before ? *before : json::value(nullptr);
      if (from == kv.value()) continue;
      auto label = labelOf(inst.app, key);
      out.push_back({inst.app, key, label, from, kv.value(),
                     appName(inst.app) + ": " + label + " " + valueText(from) + " → " + valueText(kv.value())});
    }
  }
  for (auto& kv : *applied)
    if (!desired.count(std::string(kv.key())))
      out.push_back({std::string(kv.key()), "", "", nullptr, nullptr, appName(std::string(kv.key())) + ": removed"});
  return out;
}

json::array toJson(const std::vector<SettingChange>& changes) {
  json::array out;
  for (auto& c : changes)
    out.push_back(json::object{{"app", c.app},
                               {"setting", c.setting.empty() ? json::value(nullptr) : json::value(c.setting)},
                               {"label", c.label.empty() ? json::value(nullptr) : json::value(c.label)},
                               {"from", c.from},
                               {"to", c.to},
                               {"text", c.text}});
  return out;
}

}  // namespace fedihost::api
