// The catalog's list of apps, its admission rules and its JSON shape.
#include "catalog/catalog.hh"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <set>

#include "catalog/apps.hh"
#include "catalog/settings_schema.hh"
#include "core/naming.hh"

namespace fedihost::catalog {


namespace {

using Entry = App (*)();

/// Every entry, admitted or not. Adding an app: write <id>.cc, declare it above, list it here.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> list{
      apps::mastodon, apps::pixelfed, apps::peertube, apps::matrix,    apps::owncast,  apps::castopod,
      apps::edumeet,  apps::nextcloud, apps::cryptpad, apps::forgejo, apps::roundcube, apps::hedgedoc,
      apps::vikunja,
  };
  return list;
}

bool matches(const std::string& s, const char* pattern) { return std::regex_match(s, schema::compiledPattern(pattern)); }

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

SecretSpec secretSpec(std::string_view secretName) {
  for (auto& app : all())
    for (auto& s : app.needs.secrets)
      if (naming::secretName(app.id, s.purpose) == secretName)
        return {s.format, s.derivedFrom.empty() ? std::string() : naming::secretName(app.id, s.derivedFrom),
                s.firstSetupOnly};
  if (secretName.ends_with("s3-secret-key")) return {secrets::SecretFormat::Hex, {}};
  return {secrets::SecretFormat::Password, {}};
}

secrets::SecretFormat secretFormat(std::string_view secretName) { return secretSpec(secretName).format; }

Result<void> admit(const App& app) {
  const std::string who = app.name.empty() ? "\"" + app.id + "\"" : app.name;
  if (app.openCore)
    return Error::invalid("openCore", who + " is open core: refused, the platform hosts free software only" +
                                          (app.openCoreReason.empty() ? std::string() : " (" + app.openCoreReason + ")"));
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
    if (engine != "postgresql" && engine != "mysql")
      return Error::invalid("needs.databases", who + ": unsupported database engine \"" + engine + "\"");
  std::set<std::string> buckets;
  for (auto& b : app.needs.buckets) {
    if (!matches(b.name, "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$") || b.purpose.empty())
      return Error::invalid("needs.buckets", who + ": bucket \"" + b.name + "\" needs a short lowercase name and a purpose");
    if (!buckets.insert(b.name).second)
      return Error::invalid("needs.buckets", who + ": bucket \"" + b.name + "\" is listed twice");
  }
  // "secret" is refused too: the configuration's secretFiles would then be {"secret": path}, which is
  // how a secret reference is written, and resolving would take the path for a secret's name.
  std::set<std::string> secretPurposes{"database-password", "s3-secret-key", "mail-password", "secret"};
  for (auto& sn : app.needs.secrets) {
    if (!matches(sn.purpose, "^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$") || sn.use.empty())
      return Error::invalid("needs.secrets",
                            who + ": secret \"" + sn.purpose + "\" needs a short lowercase name and a use");
    if (!secretPurposes.insert(sn.purpose).second)
      return Error::invalid("needs.secrets", who + ": secret \"" + sn.purpose +
                                                 "\" is listed twice or is the name of a resource's secret");
  }
  if (auto& login = app.adminLogin) {
    if (!matches(login->username, "^[A-Za-z0-9_.@-]{1,64}$"))
      return Error::invalid("adminLogin.username", who + ": the first administrator needs a user name");
    if (std::none_of(app.needs.secrets.begin(), app.needs.secrets.end(),
                     [&](const SecretNeed& s) { return s.purpose == login->passwordSecret; }))
      return Error::invalid("adminLogin.passwordSecret", who + ": the first administrator's password \"" +
                                                             login->passwordSecret + "\" is not one of the app's secrets");
    if (!login->loginPath.starts_with("/"))
      return Error::invalid("adminLogin.loginPath", who + ": the login path \"" + login->loginPath +
                                                        "\" is not a path on the app's address");
  }
  // Only a first administrator's password is known to be read at the first setup alone: any
  // other secret a restore made anew would lose what the old one protects.
  for (auto& sn : app.needs.secrets)
    if (sn.firstSetupOnly && (!app.adminLogin || app.adminLogin->passwordSecret != sn.purpose))
      return Error::invalid("needs.secrets", who + ": secret \"" + sn.purpose +
                                                 "\" is marked first-setup-only but is not the first administrator's password");
  // A public key is derived from a private key of the same app, of the form it is derived from;
  // every other secret is made at random and names none.
  for (auto& sn : app.needs.secrets) {
    const auto source = secrets::derivedFrom(sn.format);
    if (!source) {
      if (!sn.derivedFrom.empty())
        return Error::invalid("needs.secrets", who + ": secret \"" + sn.purpose +
                                                   "\" is made at random and cannot be derived from another");
      continue;
    }
    const SecretNeed* from = nullptr;
    for (auto& other : app.needs.secrets)
      if (other.purpose == sn.derivedFrom && &other != &sn) from = &other;
    if (!from || from->format != *source)
      return Error::invalid("needs.secrets", who + ": secret \"" + sn.purpose +
                                                 "\" is a public key and needs the private key it is derived from");
  }
  for (auto& [from, to] : app.udpPortRanges)
    if (from < 1 || to > 65535 || from > to)
      return Error::invalid("needs.udpPortRanges", who + ": UDP range " + std::to_string(from) + "-" +
                                                   std::to_string(to) + " is not a valid range");
  for (auto& label : app.extraHosts)
    if (!matches(label, "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))
      return Error::invalid("needs.extraHosts", who + ": extra host \"" + label + "\" is not a DNS label");
  for (int port : app.needs.ports)
    if (port < 1 || port > 65535) return Error::invalid("needs.ports", who + ": port " + std::to_string(port) + " is out of range");

  const std::pair<const char*, const std::vector<std::string>*> swot[] = {{"swot.strengths", &app.swot.strengths},
                                                                         {"swot.weaknesses", &app.swot.weaknesses},
                                                                         {"swot.opportunities", &app.swot.opportunities},
                                                                         {"swot.threats", &app.swot.threats}};
  for (auto& [field, list] : swot)
    if (list->size() < 2 || list->size() > 5)
      return Error::invalid(field, who + ": every part of the SWOT analysis needs 2 to 5 points");
  static const std::set<std::string> categories{"social", "video",    "chat",     "files",    "office",   "code",
                                                "planning", "mail",   "meetings", "podcasts", "streaming"};
  if (app.category.empty()) return Error::invalid("category", who + " has no category");
  if (!categories.count(app.category))
    return Error::invalid("category", who + ": unknown category \"" + app.category + "\"");
  for (auto& path : app.backup.paths)
    if (path.empty() || path.front() != '/')
      return Error::invalid("backup.paths", who + ": backup path \"" + path + "\" is not absolute");
  for (auto& b : app.backup.buckets)
    if (!buckets.count(b))
      return Error::invalid("backup.buckets", who + ": the backup copies bucket \"" + b + "\", which the app does not have");
  for (auto& d : app.backup.databases)
    if (std::find(app.needs.databases.begin(), app.needs.databases.end(), d) == app.needs.databases.end())
      return Error::invalid("backup.databases", who + ": the backup dumps a " + d + " database the app does not have");
  for (auto& d : app.needs.databases)
    if (std::find(app.backup.databases.begin(), app.backup.databases.end(), d) == app.backup.databases.end())
      return Error::invalid("backup.databases", who + ": its " + d + " database is missing from the backup strategy");
  if (app.schemaVersion < 1) return Error::invalid("schemaVersion", who + ": the schema version starts at 1");
  std::set<int> from;
  for (auto& m : app.migrations) {
    if (m.fromSchema < 1 || m.fromSchema >= app.schemaVersion || !from.insert(m.fromSchema).second)
      return Error::invalid("migrations", who + ": a settings migration from schema " + std::to_string(m.fromSchema) +
                                              " is out of range or listed twice");
    if (m.description.empty() || !m.apply)
      return Error::invalid("migrations", who + ": every settings migration needs a description and a function");
  }
  for (int v = 1; v < app.schemaVersion; ++v)
    if (!from.count(v))
      return Error::invalid("migrations", who + ": no settings migration from schema " + std::to_string(v));

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

namespace {
json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (auto& s : v) a.emplace_back(s);
  return a;
}
}  // namespace

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
  json::array udp;
  for (auto& [from, to] : app.udpPortRanges) udp.push_back(json::object{{"from", from}, {"to", to}});
  needs["udpPortRanges"] = std::move(udp);
  needs["extraHosts"] = strings(app.extraHosts);
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
      {"schemaVersion", app.schemaVersion},
      {"category", app.category},
      {"swot", json::object{{"strengths", strings(app.swot.strengths)},
                            {"weaknesses", strings(app.swot.weaknesses)},
                            {"opportunities", strings(app.swot.opportunities)},
                            {"threats", strings(app.swot.threats)}}},
      {"backup", json::object{{"databases", strings(app.backup.databases)},
                              {"paths", strings(app.backup.paths)},
                              {"buckets", strings(app.backup.buckets)},
                              {"stopForConsistency", app.backup.stopForConsistency},
                              {"notes", app.backup.notes}}},
      {"adminLogin", app.adminLogin ? json::value(json::object{{"username", app.adminLogin->username},
                                                               {"loginPath", app.adminLogin->loginPath}})
                                    : json::value(nullptr)},
  };
}

}  // namespace fedihost::catalog
