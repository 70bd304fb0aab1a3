#include "nixos/render.hh"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "catalog/catalog.hh"
#include "core/naming.hh"
#include "core/result.hh"

namespace fedihost::nixos {
namespace {

// Secret purposes; the orchestrator generates secrets under exactly these names.
constexpr std::string_view kDatabasePassword = "database-password";
constexpr std::string_view kS3SecretKey = "s3-secret-key";
constexpr std::string_view kMailPassword = "mail-password";

std::string secretFile(std::string_view app, std::string_view purpose) {
  return naming::secretPath(naming::secretName(app, purpose));
}

/// NixOS runs one Redis server per app (services.redis.servers.<name>) on this socket.
std::string redisSocket(std::string_view app) { return "/run/redis-" + std::string(app) + "/redis.sock"; }

std::string subdomainOf(const json::object& settings, const catalog::App* entry, const std::string& appId) {
  if (auto* s = settings.if_contains("subdomain"); s && s->is_string())
    return std::string(s->get_string().data(), s->get_string().size());
  return entry ? entry->defaultSubdomain : appId;
}

/// One app of the deployment, resolved against the catalog.
struct AppToRender {
  const AppInstance* instance;
  const catalog::App* entry;
  std::string field;  ///< "apps[<index in the deployment>]"
};

}  // namespace

std::string appHost(const Deployment& d, const AppInstance& app) {
  return naming::appHost(d.domain, subdomainOf(app.settings, catalog::find(app.app), app.app));
}

json::object renderMachineConfiguration(const Deployment& d, const MachineInputs& inputs) {
  // Apps in a fixed order (by id), whatever their order in the deployment.
  std::vector<AppToRender> apps;
  for (std::size_t i = 0; i < d.apps.size(); ++i) {
    std::string field = "apps[" + std::to_string(i) + "]";
    const catalog::App* entry = catalog::find(d.apps[i].app);
    if (!entry) throw AbortError(Error::invalid(field + ".app", "unknown app \"" + d.apps[i].app + "\""));
    apps.push_back({&d.apps[i], entry, std::move(field)});
  }
  std::stable_sort(apps.begin(), apps.end(),
                   [](const AppToRender& a, const AppToRender& b) { return a.entry->id < b.entry->id; });
  for (std::size_t i = 1; i < apps.size(); ++i)
    if (apps[i].entry->id == apps[i - 1].entry->id)
      throw AbortError(Error::conflict("the app \"" + apps[i].entry->id + "\" appears twice", apps[i].field + ".app"));

  json::object appsOut;
  std::set<std::string> databases;
  json::array databaseUsers;
  json::object redisServers;
  json::object virtualHosts;
  std::set<std::int64_t> ports;

  for (auto& [instance, entry, field] : apps) {
    const std::string& id = entry->id;
    // Settings are stored validated; validating again fills defaults added since.
    json::object settings =
        catalog::validateSettings(*entry, json::value(instance->settings), field + ".settings").orThrow();
    const std::string host = naming::appHost(d.domain, subdomainOf(settings, entry, id));
    if (virtualHosts.contains(host))
      throw AbortError(Error::conflict("the web address " + host + " is already used by another app",
                                       field + ".settings.subdomain"));
    virtualHosts[host] = json::object{{"app", id}, {"forceSSL", true}, {"enableACME", true}};
    for (int p : entry->needs.ports) ports.insert(p);

    json::object app{{"enable", true}, {"version", entry->version}, {"host", host}, {"settings", std::move(settings)}};

    for (auto& engine : entry->needs.databases) {
      // admit() accepts postgresql only; one database per app.
      const std::string name = naming::databaseName(d.id, id);
      const std::string passwordFile = secretFile(id, kDatabasePassword);
      app["database"] = json::object{{"engine", engine},
                                     {"host", "localhost"},
                                     {"name", name},
                                     {"user", name},
                                     {"passwordFile", passwordFile}};
      if (databases.insert(name).second)
        databaseUsers.emplace_back(json::object{{"name", name}, {"database", name}, {"passwordFile", passwordFile}});
    }

    if (!entry->needs.buckets.empty()) {
      json::object buckets;
      for (auto& b : entry->needs.buckets) buckets[b.name] = naming::bucketName(d.id, id, b.name);
      app["s3"] = json::object{
          {"buckets", std::move(buckets)},
          {"accessKey", json::object{{"ref", resourceKey(d.id, ResourceKind::AccessKey, id)}, {"output", "accessKeyId"}}},
          {"secretAccessKeyFile", secretFile(id, kS3SecretKey)}};
    }

    if (entry->needs.mail) {
      const std::string address = naming::mailAddress(d.domain, id);
      app["smtp"] = json::object{{"from", address}, {"user", address}, {"passwordFile", secretFile(id, kMailPassword)}};
    }

    if (entry->needs.redis) {
      app["redis"] = json::object{{"server", id}, {"unixSocket", redisSocket(id)}};
      redisServers[id] = json::object{{"unixSocket", redisSocket(id)}};
    }

    appsOut[id] = std::move(app);
  }

  const bool web = !virtualHosts.empty();
  if (web) ports.insert(80);  // ACME HTTP-01 challenges and the redirect to HTTPS
  json::array databaseNames;
  for (auto& n : databases) databaseNames.emplace_back(n);
  std::sort(databaseUsers.begin(), databaseUsers.end(), [](const json::value& a, const json::value& b) {
    return a.at("name").get_string() < b.at("name").get_string();
  });
  json::array openPorts;
  for (auto p : ports) openPorts.emplace_back(p);

  json::object services{
      {"postgresql",
       json::object{{"enable", !databaseNames.empty()}, {"databases", std::move(databaseNames)}, {"users", std::move(databaseUsers)}}},
      {"redis", json::object{{"enable", !redisServers.empty()}, {"servers", std::move(redisServers)}}},
      {"nginx", json::object{{"enable", web}, {"virtualHosts", std::move(virtualHosts)}}},
  };

  return {
      {"fedihost",
       json::object{{"deployment", d.id}, {"organisation", d.organisation}, {"name", d.name}, {"machine", inputs.machineName}}},
      {"networking",
       json::object{{"hostName", d.name},
                    {"domain", d.domain},
                    {"address", inputs.address},
                    {"firewall", json::object{{"allowedTCPPorts", std::move(openPorts)}}}}},
      {"apps", std::move(appsOut)},
      {"services", std::move(services)},
  };
}

}  // namespace fedihost::nixos
