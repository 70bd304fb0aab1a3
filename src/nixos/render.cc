#include "nixos/render.hh"

#include <algorithm>
#include <map>
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
// The certificate's files, delivered with the secrets: certificate-chain and certificate-key.
constexpr std::string_view kCertificate = "certificate";
constexpr std::string_view kCertificateChain = "chain";
constexpr std::string_view kCertificateKey = "key";

std::string secretFile(std::string_view app, std::string_view purpose) {
  return naming::secretPath(naming::secretName(app, purpose));
}

/// An output of another resource of the deployment, resolved by the orchestrator before delivery.
json::object ref(const std::string& key, std::string_view output) { return {{"ref", key}, {"output", output}}; }

/// NixOS runs one Redis server per app (services.redis.servers.<name>) on this socket.
std::string redisSocket(std::string_view app) { return "/run/redis-" + std::string(app) + "/redis.sock"; }

std::string subdomainOf(const json::object& settings, const catalog::App* entry, const std::string& appId) {
  if (auto* s = settings.if_contains("subdomain"); s && s->is_string())
    return std::string(s->get_string().data(), s->get_string().size());
  return entry ? entry->defaultSubdomain : appId;
}

/// A database server shared by the apps of the machine, of one engine.
struct DatabaseServer {
  int port;
  std::set<std::string> databases;
  json::array users;  ///< {name, database, passwordFile}, one per database
};

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

std::vector<std::string> publishedHosts(const Deployment& d) {
  std::vector<std::string> hosts{d.domain};
  for (auto& inst : d.apps) {
    const catalog::App* app = catalog::find(inst.app);
    if (!app) continue;
    hosts.push_back(appHost(d, inst));
    for (auto& label : app->extraHosts) hosts.push_back(label + "." + appHost(d, inst));
  }
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  return hosts;
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
  std::map<std::string, DatabaseServer> databaseServers{{"postgresql", {5432, {}, {}}}, {"mysql", {3306, {}, {}}}};
  json::object redisServers;
  json::object virtualHosts;
  std::set<std::int64_t> ports;
  std::set<std::pair<int, int>> udpRanges;
  std::set<std::string> usedHosts;

  for (auto& [instance, entry, field] : apps) {
    const std::string& id = entry->id;
    // Settings of the catalog's current schema are validated again, which fills
    // defaults added since. Settings of an older schema are rendered as stored:
    // they are migrated only when their owner upgrades the app.
    const int schemaVersion = instance->schemaVersion == 0 ? entry->schemaVersion : instance->schemaVersion;
    json::object settings =
        schemaVersion == entry->schemaVersion
            ? catalog::validateSettings(*entry, json::value(instance->settings), field + ".settings").orThrow()
            : instance->settings;
    const std::string host = naming::appHost(d.domain, subdomainOf(settings, entry, id));
    auto claim = [&, &field = field](const std::string& name) {  // clang < 16 cannot capture a structured binding
      if (!usedHosts.insert(name).second)
        throw AbortError(Error::conflict("the web address " + name + " is already used by another app",
                                         field + ".settings.subdomain"));
    };
    claim(host);
    // Extra host names are labels under the app's own host, served by the same virtual host.
    json::array extraHosts;
    for (auto& label : entry->extraHosts) {
      claim(label + "." + host);
      extraHosts.emplace_back(label + "." + host);
    }
    json::object vhost{{"app", id}, {"forceSSL", true}};
    if (!extraHosts.empty()) vhost["serverAliases"] = extraHosts;
    virtualHosts[host] = std::move(vhost);
    json::array appPorts;
    for (int p : entry->needs.ports) {
      ports.insert(p);
      appPorts.emplace_back(p);
    }
    json::array appUdpRanges;
    for (auto& range : entry->udpPortRanges) {
      udpRanges.insert(range);
      appUdpRanges.emplace_back(json::object{{"from", range.first}, {"to", range.second}});
    }

    json::object app{{"enable", true},
                     {"version", instance->version.empty() ? entry->version : instance->version},
                     {"schemaVersion", schemaVersion},
                     {"host", host},
                     {"ports", std::move(appPorts)},
                     {"settings", std::move(settings)}};
    if (!extraHosts.empty()) app["extraHosts"] = std::move(extraHosts);
    if (!appUdpRanges.empty()) app["udpPortRanges"] = std::move(appUdpRanges);

    for (auto& engine : entry->needs.databases) {
      // One database per app, on the machine's shared server of its engine.
      auto server = databaseServers.find(engine);
      if (server == databaseServers.end())
        throw AbortError(Error::invalid(field + ".app", "unsupported database engine \"" + engine + "\""));
      // Where the database is, as its provider says: the target's server, or (files) the machine's own.
      const std::string name = naming::databaseName(d.id, id);
      const std::string passwordFile = secretFile(id, kDatabasePassword);
      const std::string key = resourceKey(d.id, ResourceKind::Database, id);
      app["database"] = json::object{{"engine", engine},
                                     {"host", ref(key, "host")},
                                     {"port", ref(key, "port")},
                                     {"name", ref(key, "name")},
                                     {"user", ref(key, "role")},
                                     {"passwordFile", passwordFile}};
      if (server->second.databases.insert(name).second)
        server->second.users.emplace_back(json::object{
            {"name", name}, {"database", name}, {"host", ref(key, "host")}, {"passwordFile", passwordFile}});
    }

    if (!entry->needs.buckets.empty()) {
      json::object buckets;
      for (auto& b : entry->needs.buckets) buckets[b.name] = naming::bucketName(d.id, id, b.name);
      const std::string key = resourceKey(d.id, ResourceKind::AccessKey, id);
      app["s3"] = json::object{{"buckets", std::move(buckets)},
                               {"endpoint", ref(key, "endpoint")},
                               {"region", ref(key, "region")},
                               {"accessKey", ref(key, "accessKeyId")},
                               {"secretAccessKeyFile", secretFile(id, kS3SecretKey)}};
    }

    if (entry->needs.mail) {
      const std::string address = naming::mailAddress(d.domain, id);
      const std::string key = resourceKey(d.id, ResourceKind::MailAccount, id);
      app["smtp"] = json::object{{"from", address},
                                 {"host", ref(key, "host")},
                                 {"port", ref(key, "port")},
                                 {"user", ref(key, "username")},
                                 {"passwordFile", secretFile(id, kMailPassword)}};
    }

    if (!entry->needs.secrets.empty()) {
      // The app's own secrets, generated by the control plane and delivered as files.
      json::object files;
      for (auto& need : entry->needs.secrets) files[need.purpose] = secretFile(id, need.purpose);
      app["secretFiles"] = std::move(files);
    }

    if (entry->needs.redis) {
      app["redis"] = json::object{{"server", id}, {"unixSocket", redisSocket(id)}};
      redisServers[id] = json::object{{"unixSocket", redisSocket(id)}};
    }

    appsOut[id] = std::move(app);
  }

  const bool web = !virtualHosts.empty();
  if (web) ports.insert(80);  // the redirect to HTTPS
  json::array openPorts;
  for (auto p : ports) openPorts.emplace_back(p);
  json::array openUdpRanges;
  for (auto& [from, to] : udpRanges) openUdpRanges.emplace_back(json::object{{"from", from}, {"to", to}});

  json::object services{
      {"redis", json::object{{"enable", !redisServers.empty()}, {"servers", std::move(redisServers)}}},
      {"nginx", json::object{{"enable", web}, {"virtualHosts", std::move(virtualHosts)}}},
  };
  // The deployment's one certificate for all its host names (its certificate resource): the chain
  // and the key are delivered as files beside the secrets; the serial says which certificate the
  // delivered configuration was made with.
  if (web)
    services["nginx"].as_object()["certificate"] =
        json::object{{"chainFile", secretFile(kCertificate, kCertificateChain)},
                     {"keyFile", secretFile(kCertificate, kCertificateKey)},
                     {"serial", ref(resourceKey(d.id, ResourceKind::Certificate, "main"), "serial")}};
  for (auto& [engine, server] : databaseServers) {
    json::array names;
    for (auto& n : server.databases) names.emplace_back(n);
    std::sort(server.users.begin(), server.users.end(), [](const json::value& a, const json::value& b) {
      return a.at("name").get_string() < b.at("name").get_string();
    });
    services[engine] = json::object{{"enable", !names.empty()},
                                    {"port", server.port},
                                    {"databases", std::move(names)},
                                    {"users", std::move(server.users)}};
  }

  return {
      {"fedihost",
       json::object{{"deployment", d.id},
                    {"organisation", d.organisation},
                    {"name", d.name},
                    {"machine", inputs.machineName},
                    {"catalogVersion", d.catalogVersion},
                    {"nixpkgsRevision", d.nixpkgsRevision}}},
      {"networking",
       json::object{{"hostName", d.name},
                    {"domain", d.domain},
                    {"address", inputs.address},
                    {"firewall", json::object{{"allowedTCPPorts", std::move(openPorts)},
                                              {"allowedUDPPortRanges", std::move(openUdpRanges)}}}}},
      {"apps", std::move(appsOut)},
      {"services", std::move(services)},
  };
}

}  // namespace fedihost::nixos
