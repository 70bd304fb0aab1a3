// The catalog's list of apps, its admission rules and its JSON shape.
#include "catalog/catalog.hh"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <set>

#include "catalog/settings_schema.hh"

namespace fedihost::catalog {

// One function per app, each in its own file (<id>.cc).
namespace apps {
App mastodon();
App peertube();
App pixelfed();
}  // namespace apps

namespace {

using Entry = App (*)();

/// Every entry, admitted or not. Adding an app: write <id>.cc, declare it above, list it here.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> list{
      apps::mastodon,
      apps::pixelfed,
      apps::peertube,
  };
  return list;
}

bool matches(const std::string& s, const char* pattern) { return std::regex_match(s, std::regex(pattern)); }

}  // namespace

const std::vector<App>& all() {
  static const std::vector<App> apps = [] {
    std::vector<App> admitted;
    std::set<std::string> ids;
    for (auto& make : entries()) {
      App app = make();
      if (auto r = admit(app); !r) {
        spdlog::error("catalog: {} is not admitted: {} ({})", app.id, r.error().message, r.error().field);
        continue;
      }
      if (!ids.insert(app.id).second) {
        spdlog::error("catalog: {} is listed twice; keeping the first", app.id);
        continue;
      }
      admitted.push_back(std::move(app));
    }
    std::sort(admitted.begin(), admitted.end(), [](const App& a, const App& b) { return a.id < b.id; });
    return admitted;
  }();
  return apps;
}

const App* find(std::string_view id) {
  for (auto& app : all())
    if (app.id == id) return &app;
  return nullptr;
}

Result<void> admit(const App& app) {
  const std::string who = app.name.empty() ? "\"" + app.id + "\"" : app.name;
  if (app.openCore)
    return Error::invalid("openCore", who + " is open core: refused, the platform hosts free software only");
  if (!matches(app.id, "^[a-z][a-z0-9-]{0,30}[a-z0-9]$"))
    return Error::invalid("id", who + ": the id must be 2 to 32 lowercase letters, digits and hyphens");
  const std::pair<const char*, const std::string*> required[] = {
      {"name", &app.name},         {"summary", &app.summary}, {"description", &app.description},
      {"upstream", &app.upstream}, {"licence", &app.licence}, {"version", &app.version}};
  for (auto& [field, value] : required)
    if (value->empty()) return Error::invalid(field, who + " has no " + field);
  if (!matches(app.defaultSubdomain, schema::kSubdomainPattern))
    return Error::invalid("defaultSubdomain", who + ": the default subdomain is not a DNS label");

  if (app.needs.cpu < 1 || app.needs.memoryMiB < 1 || app.needs.diskGiB < 1)
    return Error::invalid("needs", who + ": cpu, memory and disk needs must be positive");
  for (auto& engine : app.needs.databases)
    if (engine != "postgresql")
      return Error::invalid("needs.databases", who + ": unsupported database engine \"" + engine + "\"");
  std::set<std::string> buckets;
  for (auto& b : app.needs.buckets) {
    if (!matches(b.name, "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$") || b.purpose.empty())
      return Error::invalid("needs.buckets", who + ": bucket \"" + b.name + "\" needs a short lowercase name and a purpose");
    if (!buckets.insert(b.name).second)
      return Error::invalid("needs.buckets", who + ": bucket \"" + b.name + "\" is listed twice");
  }
  for (int port : app.needs.ports)
    if (port < 1 || port > 65535) return Error::invalid("needs.ports", who + ": port " + std::to_string(port) + " is out of range");

  if (auto r = schema::checkSchema(app.settingsSchema, "settingsSchema"); !r)
    return Error::invalid(r.error().field, who + ": " + r.error().message);
  auto* props = app.settingsSchema.at("properties").if_object();
  auto* subdomain = props ? props->if_contains("subdomain") : nullptr;
  if (!subdomain || !subdomain->is_object() || subdomain->get_object().at("type") != json::value("string") ||
      subdomain->get_object().at("default") != json::value(app.defaultSubdomain))
    return Error::invalid("settingsSchema.properties.subdomain",
                          who + ": every app needs a string setting \"subdomain\" defaulting to its default subdomain");
  return {};
}

Result<json::object> validateSettings(const App& app, const json::value& settings, const std::string& fieldPrefix) {
  return schema::validate(app.settingsSchema, settings, fieldPrefix);
}

json::object toJson(const App& app) {
  json::array databases;
  for (auto& d : app.needs.databases) databases.emplace_back(d);
  json::array buckets;
  for (auto& b : app.needs.buckets) buckets.emplace_back(json::object{{"name", b.name}, {"purpose", b.purpose}});
  json::array ports;
  for (int p : app.needs.ports) ports.emplace_back(p);
  json::object needs{{"cpu", app.needs.cpu},         {"memoryMiB", app.needs.memoryMiB},
                     {"diskGiB", app.needs.diskGiB}, {"databases", std::move(databases)},
                     {"buckets", std::move(buckets)}, {"mail", app.needs.mail},
                     {"redis", app.needs.redis},     {"ports", std::move(ports)}};
  return {
      {"id", app.id},
      {"name", app.name},
      {"summary", app.summary},
      {"description", app.description},
      {"upstream", app.upstream},
      {"licence", app.licence},
      {"openCore", app.openCore},
      {"activityPub", app.activityPub},
      {"version", app.version},
      {"defaultSubdomain", app.defaultSubdomain},
      {"needs", std::move(needs)},
      {"settingsSchema", app.settingsSchema},
  };
}

}  // namespace fedihost::catalog
