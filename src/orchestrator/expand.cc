#include "orchestrator/expand.hh"

#include <algorithm>

#include "catalog/catalog.hh"
#include "core/naming.hh"
#include "core/result.hh"
#include "nixos/render.hh"

namespace fedihost::orchestrator {
namespace {

json::object ref(const std::string& key, std::string_view output) {
  return {{"ref", key}, {"output", output}};
}
json::object secret(const std::string& name) { return {{"secret", name}}; }
/// The secret of an app for a purpose, also listed in `all` (file name -> secret).
json::object secretOf(json::object& all, const std::string& app, std::string_view purpose) {
  auto name = naming::secretName(app, purpose);
  all[name] = secret(name);
  return secret(name);
}

class Expander {
 public:
  explicit Expander(const Deployment& d) : d_(d) {}

  std::vector<Resource> run() {
    const auto ipKey = add(ResourceKind::IpAddress, "main", {{"family", "ipv4"}}, {});
    const auto address = ref(ipKey, "address");

    int cpu = 0, memory = 0, disk = 0;
    for (auto& inst : d_.apps) {
      const auto& app = appOf(inst);
      cpu += app.needs.cpu;
      memory += app.needs.memoryMiB;
      disk += app.needs.diskGiB;
    }
    const auto machineKey = add(ResourceKind::Machine, "main",
                                {{"hostname", d_.name},
                                 {"cpu", std::max(cpu, 1)},
                                 {"memoryMiB", std::max(memory, 512)},
                                 {"diskGiB", std::max(disk, 5)},
                                 {"address", address},
                                 // Read back too: a machine stopped by hand is drift, and the next apply starts it.
                                 {"state", "running"}},
                                {ipKey});

    // DNS: the domain itself and every app's host name point at the machine.
    std::vector<std::string> configDeps{machineKey};
    std::vector<std::string> dnsKeys;
    json::array hostNames;
    json::object secrets;  // every generated secret, delivered to the machine under its name
    for (auto& host : nixos::publishedHosts(d_)) {
      dnsKeys.push_back(add(ResourceKind::DnsRecordSet, "A-" + host,
                            {{"zone", d_.domain},
                             {"name", host + "."},
                             {"type", "A"},
                             {"ttl", 300},
                             {"records", json::array{address}}},
                            {ipKey}));
      hostNames.emplace_back(host);
    }
    configDeps.insert(configDeps.end(), dnsKeys.begin(), dnsKeys.end());

    // TLS: one certificate for every host name of the deployment (one SAN certificate, so a
    // deployment costs one certificate of the CA's weekly limit), after its DNS exists.
    configDeps.push_back(
        add(ResourceKind::Certificate, "main", {{"zone", d_.domain}, {"names", std::move(hostNames)}}, dnsKeys));

    for (auto& inst : d_.apps) {
      const auto& app = appOf(inst);
      for (auto& engine : app.needs.databases) {
        auto name = naming::databaseName(d_.id, app.id);
        configDeps.push_back(add(ResourceKind::Database, app.id,
                                 {{"engine", engine},
                                  {"name", name},
                                  {"owner", name},
                                  {"password", secretOf(secrets, app.id, "database-password")}},
                                 {}));
      }
      if (!app.needs.buckets.empty()) {
        std::vector<std::string> bucketKeys;
        json::array bucketNames;
        for (auto& b : app.needs.buckets) {
          auto name = naming::bucketName(d_.id, app.id, b.name);
          bucketKeys.push_back(
              add(ResourceKind::Bucket, app.id + "-" + b.name, {{"name", name}, {"purpose", b.purpose}}, {}));
          bucketNames.emplace_back(name);
        }
        configDeps.push_back(add(ResourceKind::AccessKey, app.id,
                                 {{"name", app.id},
                                  {"buckets", bucketNames},
                                  {"secretKey", secretOf(secrets, app.id, "s3-secret-key")}},
                                 bucketKeys));
      }
      if (app.needs.mail)
        configDeps.push_back(add(ResourceKind::MailAccount, app.id,
                                 {{"address", naming::mailAddress(d_.domain, app.id)},
                                  {"password", secretOf(secrets, app.id, "mail-password")}},
                                 {}));
      // The app's own secrets (keys, its first administrator's password): delivered with the others.
      for (auto& need : app.needs.secrets) secretOf(secrets, app.id, need.purpose);
    }

    // The configuration refers to the outputs of everything in configDeps (the database's host,
    // the access key's endpoint, the relay, the certificate's serial): it is written after them.
    auto configuration = nixos::renderMachineConfiguration(d_, {"main", address});
    // The machine's address for the delivery (a NixOS provider that reaches the machine over SSH),
    // and its host key where the machine provider made it (null where it gives none: proxmox, file).
    auto hostKey = ref(machineKey, "hostKeyFingerprint");
    hostKey["default"] = nullptr;
    add(ResourceKind::NixosConfig, "main",
        {{"machine", "main"},
         {"address", address},
         {"hostKeyFingerprint", std::move(hostKey)},
         {"configuration", std::move(configuration)},
         {"secrets", secrets}},
        configDeps);
    return std::move(out_);
  }

 private:
  const catalog::App& appOf(const AppInstance& inst) {
    auto* app = catalog::find(inst.app);
    if (!app) throw AbortError(Error::invalid("apps", "unknown app \"" + inst.app + "\""));
    return *app;
  }

  std::string add(ResourceKind kind, const std::string& name, json::object attributes, std::vector<std::string> deps) {
    Resource r;
    r.key = resourceKey(d_.id, kind, name);
    r.kind = kind;
    r.deployment = d_.id;
    r.name = name;
    r.attributes = std::move(attributes);
    std::sort(deps.begin(), deps.end());
    r.dependsOn = std::move(deps);
    out_.push_back(std::move(r));
    return out_.back().key;
  }

  const Deployment& d_;
  std::vector<Resource> out_;
};

}  // namespace

std::vector<Resource> expand(const Deployment& d) { return Expander(d).run(); }

}  // namespace fedihost::orchestrator
