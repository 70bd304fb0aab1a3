// The "proxmox" machine provider (see proxmox.hh): a guest cloned from a
// template, sized and configured through /config, its disk grown through
// /resize, started, read back for drift, stopped and destroyed.
#include <arpa/inet.h>

#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "providers/attributes.hh"
#include "providers/proxmox/proxmox.hh"
#include "providers/proxmox/proxmox_api.hh"

namespace fedihost::providers::proxmox {
namespace {

[[noreturn]] void bad(std::string_view name, const std::string& message) {
  throw AbortError(Error::invalid("settings." + std::string(name), message));
}

bool validIpv4(const std::string& s) {
  in_addr a{};
  return ::inet_pton(AF_INET, s.c_str(), &a) == 1;
}

/// The machine's attributes, checked.
struct Spec {
  std::string hostname;
  std::string address;
  std::int64_t cpu = 1;
  std::int64_t memoryMiB = 512;
  std::int64_t diskGiB = 0;  ///< 0: not asked for
  bool running = true;
};

Result<std::int64_t> positive(const json::object& attrs, std::string_view name, std::int64_t fallback,
                              std::int64_t max) {
  auto* v = attrs.if_contains(name);
  if (!v) return fallback;
  std::int64_t n = 0;
  if (v->is_int64()) n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(max)) n = static_cast<std::int64_t>(v->get_uint64());
  else return Error::invalid("attributes." + std::string(name), "must be a positive integer");
  if (n < 1 || n > max)
    return Error::invalid("attributes." + std::string(name), "must be an integer from 1 to " + std::to_string(max));
  return n;
}

Result<Spec> validate(const Resource& r) {
  Spec s;
  auto host = stringAttribute(r.attributes, "hostname");
  if (!host) return host.error();
  s.hostname = std::move(*host);
  auto addr = stringAttribute(r.attributes, "address");
  if (!addr) return addr.error();
  if (!validIpv4(*addr))
    return Error::invalid("attributes.address", "\"" + *addr + "\" is not an IPv4 address");
  s.address = std::move(*addr);
  auto cpu = positive(r.attributes, "cpu", 1, 512);
  if (!cpu) return cpu.error();
  s.cpu = *cpu;
  auto mem = positive(r.attributes, "memoryMiB", 512, std::int64_t(1) << 24);
  if (!mem) return mem.error();
  if (*mem < 16) return Error::invalid("attributes.memoryMiB", "must be at least 16 (Proxmox's minimum)");
  s.memoryMiB = *mem;
  auto disk = positive(r.attributes, "diskGiB", 0, 1 << 20);
  if (!disk) return disk.error();
  s.diskGiB = *disk;
  if (auto* st = r.attributes.if_contains("state")) {
    if (!st->is_string() || (st->get_string() != "running" && st->get_string() != "stopped"))
      return Error::invalid("attributes.state", "must be \"running\" or \"stopped\"");
    s.running = st->get_string() == "running";
  }
  if (r.deployment.empty() || r.name.empty()) return Error::invalid("name", "a machine needs a deployment and a name");
  return s;
}

std::string text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return json::serialize(v);
  return {};
}
std::string field(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v ? text(*v) : std::string{};
}

/// "k=v,k=v" as a map (a bare first value under "").
std::map<std::string, std::string> propertyString(const std::string& s) {
  std::map<std::string, std::string> m;
  std::istringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    auto eq = part.find('=');
    if (eq == std::string::npos) m[""] = part;
    else m[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return m;
}
/// True if every k=v of `want` is in `have`.
bool holds(const std::string& have, const std::string& want) {
  auto h = propertyString(have);
  for (auto& [k, v] : propertyString(want)) {
    auto it = h.find(k);
    if (it == h.end() || it->second != v) return false;
  }
  return true;
}
std::set<std::string> tagSet(const std::string& s) {
  std::set<std::string> out;
  std::string cur;
  for (char c : s + ";") {
    if (c == ';' || c == ',' || c == ' ') {
      if (!cur.empty()) out.insert(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}
/// Memory in MiB from a config value ("2048" or "current=2048").
std::int64_t memoryOf(const std::string& v) {
  auto m = propertyString(v);
  auto s = m.count("current") ? m["current"] : m[""];
  try {
    return std::stoll(s);
  } catch (...) {
    return 0;
  }
}

/// A guest of ours as found on the node.
struct Found {
  int vmid = 0;
  json::object config;
};

class ProxmoxMachineProvider final : public MachineProvider {
 public:
  explicit ProxmoxMachineProvider(const ProviderConfig& config) : api_(clientOptions(config.settings)) {
    Settings s(config.settings);
    node_ = s.string("node");
    for (char c : node_)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) bad("node", "is not a node name");
    auto tmpl = s.integer("template", -1);
    if (tmpl < 100 || tmpl > 999999999) bad("template", "must be the template's VM id (100 to 999999999)");
    template_ = static_cast<int>(tmpl);
    guest_ = s.string("guest", "qemu");
    if (guest_ != "qemu" && guest_ != "lxc") bad("guest", "must be \"qemu\" or \"lxc\"");
    fullClone_ = s.boolean("fullClone", true);
    storage_ = s.string("storage", "");
    pool_ = s.string("pool", "");
    bridge_ = s.string("bridge", "vmbr0");
    disk_ = s.string("disk", guest_ == "qemu" ? "scsi0" : "rootfs");
    gateway_ = s.string("gateway", "");
    if (!gateway_.empty() && !validIpv4(gateway_)) bad("gateway", "must be an IPv4 address");
    auto p = s.integer("prefixLength", 24);
    if (p < 1 || p > 32) bad("prefixLength", "must be from 1 to 32");
    prefix_ = static_cast<int>(p);
    nameservers_ = s.strings("nameservers");
    for (auto& n : nameservers_)
      if (!validIpv4(n)) bad("nameservers", "\"" + n + "\" is not an IPv4 address");
    ciuser_ = s.string("ciuser", "");
    sshKeys_ = s.strings("sshKeys");
    for (auto& k : sshKeys_)
      if (k.find('\n') != std::string::npos || k.find(' ') == std::string::npos)
        bad("sshKeys", "each entry is one OpenSSH public key (\"ssh-ed25519 AAAA… comment\")");
    if (guest_ == "lxc" && (!ciuser_.empty() || !sshKeys_.empty()))
      bad(!ciuser_.empty() ? "ciuser" : "sshKeys",
          "is cloud-init, for \"guest\": \"qemu\" only (a container's keys come with its template)");
  }

  std::string implementation() const override { return "proxmox"; }

  Result<Observed> create(const ResolvedResource& r) override {
    auto spec = validate(r.resource);
    if (!spec) return spec.error();
    const auto name = guestName(r.resource.deployment, r.resource.name);
    auto lock = lockFor(name);
    std::lock_guard guard(*lock);
    auto found = find(r.resource, name);
    if (!found) return found.error();
    if (!*found) {
      if (auto ok = cloneGuest(r.resource, name); !ok) return ok.error();
      found = find(r.resource, name);
      if (!found) return found.error();
      if (!*found)
        return Error{ErrorKind::Provider, "the clone of " + name + " finished but no guest of that name is on " + node_, {}};
    }
    return converge(r.resource, *spec, **found);
  }

  Result<Observed> read(const ResolvedResource& r) override {
    const auto name = guestName(r.resource.deployment, r.resource.name);
    auto found = find(r.resource, name);
    if (!found) return found.error();
    if (!*found) return Error::notFound("no guest \"" + name + "\" of " + r.resource.key + " on " + node_);
    return observe(r.resource, **found);
  }

  Result<Observed> update(const ResolvedResource& r) override {
    auto spec = validate(r.resource);
    if (!spec) return spec.error();
    const auto name = guestName(r.resource.deployment, r.resource.name);
    auto lock = lockFor(name);
    std::lock_guard guard(*lock);
    auto found = find(r.resource, name);
    if (!found) return found.error();
    if (!*found) return Error::notFound("no guest \"" + name + "\" of " + r.resource.key + " on " + node_);
    return converge(r.resource, *spec, **found);
  }

  Result<void> remove(const ResolvedResource& r) override {
    const auto name = guestName(r.resource.deployment, r.resource.name);
    auto lock = lockFor(name);
    std::lock_guard guard(*lock);
    auto found = find(r.resource, name, /*strict=*/false);
    if (!found) return found.error();
    if (!*found) return {};  // absent, or someone else's: nothing of ours to remove
    const auto path = guestPath((*found)->vmid);
    auto st = api_.call("GET", path + "/status/current");
    if (!st) return st.error();
    if (st->is_object() && field(st->get_object(), "status") == "running")
      if (auto ok = api_.callAndWait("POST", node_, path + "/status/stop"); !ok) return ok.error();
    if (auto ok = api_.callAndWait("DELETE", node_, path, {{"purge", "1"}, {"destroy-unreferenced-disks", "1"}}); !ok)
      return ok.error();
    return {};
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto guests = api_.call("GET", nodePath() + "/" + guest_);
    if (!guests) return guests.error();
    if (!guests->is_array()) return Error{ErrorKind::Provider, "Proxmox answered a guest list that is not an array", {}};
    std::vector<std::string> keys;
    const std::string prefix = guestName(std::string(deployment), "x");  // "fh-<deployment>-x"
    const std::string namePrefix = prefix.substr(0, prefix.size() - 1);
    for (auto& g : guests->get_array()) {
      if (!g.is_object()) return Error{ErrorKind::Provider, "Proxmox answered a guest that is not an object", {}};
      auto& o = g.get_object();
      if (!field(o, "name").starts_with(namePrefix)) continue;
      auto vmid = vmidOf(o);
      if (!vmid) return vmid.error();
      auto cfg = api_.call("GET", guestPath(*vmid) + "/config");
      if (!cfg && cfg.error().kind == ErrorKind::NotFound) continue;  // removed meanwhile
      if (!cfg) return cfg.error();
      if (!cfg->is_object()) return Error{ErrorKind::Provider, "Proxmox answered a config that is not an object", {}};
      auto key = identityOf(field(cfg->get_object(), "description"));
      if (key.starts_with(std::string(deployment) + "/")) keys.push_back(key);
    }
    return keys;
  }

 private:
  static ClientOptions clientOptions(const json::object& settings) {
    Settings s(settings);
    static const std::set<std::string, std::less<>> known = {
        "apiUrl", "tokenId", "tokenSecret", "caFile", "fingerprint", "node", "template", "guest", "fullClone",
        "storage", "pool", "bridge", "disk", "gateway", "prefixLength", "nameservers", "ciuser", "sshKeys",
        "timeoutMs", "taskTimeoutMs", "pollMs", "lockRetries", "lockBackoffMs"};
    for (auto& kv : settings)
      if (!known.count(kv.key())) bad(kv.key(), "unknown setting of the proxmox provider");
    ClientOptions o;
    o.apiUrl = s.string("apiUrl");
    if (!o.apiUrl.starts_with("https://"))
      bad("apiUrl", "must be an https:// URL, e.g. https://pve1.example.net:8006 (the API is never used unencrypted)");
    while (o.apiUrl.ends_with("/")) o.apiUrl.pop_back();
    if (o.apiUrl.ends_with("/api2/json")) bad("apiUrl", "is the server's URL without /api2/json");
    o.tokenId = s.string("tokenId");
    auto at = o.tokenId.find('@'), bang = o.tokenId.find('!');
    if (at == std::string::npos || bang == std::string::npos || at == 0 || bang < at + 2 || bang + 1 == o.tokenId.size())
      bad("tokenId", "must be USER@REALM!TOKENID, e.g. fedihost@pve!deploy");
    o.tokenSecret = s.string("tokenSecret");
    const bool ca = settings.contains("caFile"), pin = settings.contains("fingerprint");
    if (ca == pin)
      bad(ca ? "fingerprint" : "caFile",
          "give exactly one of caFile (the cluster's CA, /etc/pve/pve-root-ca.pem) and fingerprint (the SHA-256 "
          "fingerprint of the node's certificate); the API is never used unverified");
    if (ca) {
      o.tls.caFile = s.string("caFile");
      if (o.tls.caFile[0] != '/') bad("caFile", "must be an absolute path");
    } else {
      o.tls.pinnedSha256 = s.string("fingerprint");
      if (net::normalizeFingerprint(o.tls.pinnedSha256).empty())
        bad("fingerprint", "must be a SHA-256 fingerprint: 32 bytes in hex, colons allowed (AB:CD:…)");
    }
    o.timeout = milliseconds(s.integer("timeoutMs", 15000));
    o.taskTimeout = milliseconds(s.integer("taskTimeoutMs", 600000));
    o.poll = milliseconds(s.integer("pollMs", 1000));
    o.lockRetries = static_cast<int>(s.integer("lockRetries", 8));
    o.lockBackoff = milliseconds(s.integer("lockBackoffMs", 500));
    if (o.timeout.count() <= 0) bad("timeoutMs", "must be a positive number of milliseconds");
    if (o.taskTimeout.count() <= 0) bad("taskTimeoutMs", "must be a positive number of milliseconds");
    if (o.poll.count() < 1) bad("pollMs", "must be a positive number of milliseconds");
    if (o.lockRetries < 0 || o.lockRetries > 30) bad("lockRetries", "must be from 0 to 30");
    if (o.lockBackoff.count() < 1) bad("lockBackoffMs", "must be a positive number of milliseconds");
    return o;
  }

  std::string nodePath() const { return "/nodes/" + node_; }
  std::string guestPath(int vmid) const { return nodePath() + "/" + guest_ + "/" + std::to_string(vmid); }

  static Result<int> vmidOf(const json::object& o) {
    auto s = field(o, "vmid");
    try {
      std::size_t used = 0;
      int v = std::stoi(s, &used);
      if (used == s.size() && v >= 100) return v;
    } catch (...) {
    }
    return Error{ErrorKind::Provider, "Proxmox answered a guest without a valid vmid: " + json::serialize(o), {}};
  }

  std::shared_ptr<std::mutex> lockFor(const std::string& name) {
    std::lock_guard g(mu_);
    auto& m = locks_[name];
    if (!m) m = std::make_shared<std::mutex>();
    return m;
  }

  /// Our guest: the one named `name` whose description carries the identity key.
  /// Waits first for clones in flight (a guest being cloned has no name yet: it may
  /// be ours, from a run that was killed). A guest of that name without our key is a
  /// Conflict when `strict`, ignored otherwise.
  Result<std::optional<Found>> find(const Resource& r, const std::string& name, bool strict = true) {
    const auto deadline = std::chrono::steady_clock::now() + api_.options().taskTimeout;
    for (;;) {
      auto guests = api_.call("GET", nodePath() + "/" + guest_);
      if (!guests) return guests.error();
      if (!guests->is_array()) return Error{ErrorKind::Provider, "Proxmox answered a guest list that is not an array", {}};
      bool cloning = false;
      std::vector<int> candidates;
      for (auto& g : guests->get_array()) {
        if (!g.is_object()) return Error{ErrorKind::Provider, "Proxmox answered a guest that is not an object", {}};
        auto& o = g.get_object();
        auto lock = field(o, "lock");
        if (lock == "clone" || lock == "create") cloning = true;
        if (field(o, "name") == name) {
          auto vmid = vmidOf(o);
          if (!vmid) return vmid.error();
          candidates.push_back(*vmid);
        }
      }
      if (cloning && candidates.empty()) {
        if (std::chrono::steady_clock::now() >= deadline)
          return Error{ErrorKind::Unavailable, "a clone on " + node_ + " is still running after " +
                                                   std::to_string(api_.options().taskTimeout.count()) + " ms", {}};
        sleep(api_.options().poll);
        continue;
      }
      bool foreign = false;
      for (int vmid : candidates) {
        auto cfg = api_.call("GET", guestPath(vmid) + "/config");
        if (!cfg && cfg.error().kind == ErrorKind::NotFound) continue;  // removed meanwhile
        if (!cfg) return cfg.error();
        if (!cfg->is_object()) return Error{ErrorKind::Provider, "Proxmox answered a config that is not an object", {}};
        if (identityOf(field(cfg->get_object(), "description")) == r.key) return std::optional<Found>(Found{vmid, cfg->get_object()});
        foreign = true;
      }
      if (foreign && strict)
        return Error::conflict("a guest named \"" + name + "\" exists on " + node_ + " and is not managed by " + r.key +
                                   " (its description does not carry this identity key)",
                               "name");
      return std::optional<Found>{};
    }
  }

  void sleep(milliseconds d) {
    if (api_.options().sleep) api_.options().sleep(d);
    else std::this_thread::sleep_for(d);
  }

  /// A new guest from the template under a fresh VM id. /cluster/nextid only
  /// proposes an id: another client may take it before our clone does, which the
  /// clone then refuses ("… already exists"); we ask for the next one then.
  Result<void> cloneGuest(const Resource& r, const std::string& name) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto next = api_.call("GET", "/cluster/nextid");
      if (!next) return next.error();
      auto id = text(*next);
      if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
        return Error{ErrorKind::Provider, "Proxmox answered a next VM id that is not a number: " + json::serialize(*next), {}};
      Form form{{"newid", id}};
      form.emplace_back(guest_ == "qemu" ? "name" : "hostname", name);
      form.emplace_back("description", identityLine(r.key));
      form.emplace_back("full", fullClone_ ? "1" : "0");
      if (!storage_.empty()) form.emplace_back("storage", storage_);
      if (!pool_.empty()) form.emplace_back("pool", pool_);
      ApiFailure failure;
      auto upid = api_.callRaw("POST", guestPath(template_) + "/clone", form, &failure);
      if (!upid) {
        if (failure.status == 500 && failure.message.find("already exists") != std::string::npos) continue;
        return upid.error();
      }
      if (!upid->is_string()) return Error{ErrorKind::Provider, "Proxmox answered a clone without a task id", {}};
      return api_.waitTask(node_, std::string(upid->get_string()));
    }
    return Error{ErrorKind::Unavailable, "ten VM ids from /cluster/nextid were taken before our clone could use them", {}};
  }

  /// The settings the guest's config must hold, as sent.
  Form desiredConfig(const Resource& r, const Spec& s) const {
    Form f{{"cores", std::to_string(s.cpu)}, {"memory", std::to_string(s.memoryMiB)}};
    if (guest_ == "qemu") {
      f.emplace_back("ipconfig0", ipconfigValue(s.address, prefix_, gateway_));
      if (!ciuser_.empty()) f.emplace_back("ciuser", ciuser_);
      if (!sshKeys_.empty()) f.emplace_back("sshkeys", sshKeysValue(sshKeys_));
    } else {
      f.emplace_back("net0", lxcNetValue(bridge_, s.address, prefix_, gateway_));
    }
    if (!nameservers_.empty()) {
      std::string ns;
      for (auto& n : nameservers_) ns += (ns.empty() ? "" : " ") + n;
      f.emplace_back("nameserver", ns);
    }
    f.emplace_back("tags", "fedihost;" + identityTag(r.key));
    return f;
  }

  /// The part of `want` the config does not hold yet.
  static Form changes(const Form& want, const json::object& cfg) {
    Form out;
    for (auto& [k, v] : want) {
      auto have = field(cfg, k);
      bool same = false;
      if (k == "memory") same = memoryOf(have) == memoryOf(v);
      else if (k == "ipconfig0" || k == "net0") same = holds(have, v);
      else if (k == "tags") {
        auto h = tagSet(have);
        same = true;
        for (auto& t : tagSet(v)) same = same && h.count(t);
      } else same = have == v;
      if (!same) out.emplace_back(k, v);
    }
    return out;
  }

  Result<Observed> converge(const Resource& r, const Spec& s, const Found& f) {
    const auto path = guestPath(f.vmid);
    bool changed = false;
    auto delta = changes(desiredConfig(r, s), f.config);
    if (!delta.empty()) {
      // A VM's config through the asynchronous POST (a task); a container's through PUT (synchronous).
      auto ok = api_.callAndWait(guest_ == "qemu" ? "POST" : "PUT", node_, path + "/config", delta);
      if (!ok) return ok.error();
      changed = true;
    }
    if (s.diskGiB > 0) {
      auto size = driveSizeGiB(field(f.config, disk_));
      if (!size)
        return Error{ErrorKind::Provider,
                     "guest " + std::to_string(f.vmid) + " has no disk \"" + disk_ + "\" with a size (settings.disk)", {}};
      if (*size + 1e-9 < static_cast<double>(s.diskGiB)) {
        auto ok = api_.callAndWait("PUT", node_, path + "/resize", {{"disk", disk_}, {"size", std::to_string(s.diskGiB) + "G"}});
        if (!ok) return ok.error();
      }
    }
    auto st = api_.call("GET", path + "/status/current");
    if (!st) return st.error();
    if (!st->is_object()) return Error{ErrorKind::Provider, "Proxmox answered a status that is not an object", {}};
    const auto status = field(st->get_object(), "status");
    if (s.running && status != "running") {
      if (auto ok = api_.callAndWait("POST", node_, path + "/status/start"); !ok) return ok.error();
    } else if (!s.running && status == "running") {
      if (auto ok = api_.callAndWait("POST", node_, path + "/status/stop"); !ok) return ok.error();
    } else if (s.running && changed) {
      // Cores, memory and cloud-init apply at the next boot: reboot applies pending changes.
      if (auto ok = api_.callAndWait("POST", node_, path + "/status/reboot"); !ok) return ok.error();
    }
    auto cfg = api_.call("GET", path + "/config");
    if (!cfg) return cfg.error();
    if (!cfg->is_object()) return Error{ErrorKind::Provider, "Proxmox answered a config that is not an object", {}};
    return observe(r, Found{f.vmid, cfg->get_object()});
  }

  /// What the guest holds (its config as found) and its state, read now.
  Result<Observed> observe(const Resource& r, const Found& f) {
    auto st = api_.call("GET", guestPath(f.vmid) + "/status/current");
    if (!st) return st.error();
    if (!st->is_object()) return Error{ErrorKind::Provider, "Proxmox answered a status that is not an object", {}};
    Observed o;
    auto& a = o.attributes;
    if (auto* h = r.attributes.if_contains("hostname")) a["hostname"] = *h;  // set by the NixOS configuration
    auto address = addressOf(field(f.config, guest_ == "qemu" ? "ipconfig0" : "net0"));
    if (!address.empty()) a["address"] = address;
    if (auto c = field(f.config, "cores"); !c.empty()) {
      try {
        a["cpu"] = std::stoll(c);
      } catch (...) {
      }
    }
    if (auto m = memoryOf(field(f.config, "memory")); m > 0) a["memoryMiB"] = m;
    if (auto size = driveSizeGiB(field(f.config, disk_))) {
      // A disk is grown, never shrunk: one at least as large as asked is as asked.
      auto* want = r.attributes.if_contains("diskGiB");
      if (want && want->is_int64() && *size + 1e-9 >= static_cast<double>(want->get_int64())) a["diskGiB"] = *want;
      else a["diskGiB"] = static_cast<std::int64_t>(std::floor(*size));
    }
    a["state"] = field(st->get_object(), "status");
    o.outputs = {{"hostname", a.contains("hostname") ? a.at("hostname") : json::value()},
                 {"address", a.contains("address") ? a.at("address") : json::value()},
                 {"vmid", f.vmid},
                 {"node", node_},
                 {"guest", guest_},
                 {"name", guestName(r.deployment, r.name)}};
    return o;
  }

  Client api_;
  std::string node_, guest_, storage_, pool_, bridge_, disk_, gateway_, ciuser_;
  int template_ = 0;
  int prefix_ = 24;
  bool fullClone_ = true;
  std::vector<std::string> nameservers_, sshKeys_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

}  // namespace

std::unique_ptr<MachineProvider> makeMachineProvider(const ProviderConfig& config) {
  return std::make_unique<ProxmoxMachineProvider>(config);
}

}  // namespace fedihost::providers::proxmox
