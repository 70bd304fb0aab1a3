// The "ssh" NixOS provider against real sshd in LXC containers
// (scripts/site/lxc-sshd.sh: a cached Debian root with openssh-server, made into
// containers by the lxc machine provider with the site's key for root and a host key
// of their own), each with /run on tmpfs as on NixOS (the containers' init) and
// a FAKE nixos-rebuild (tests/fakes/nixos-rebuild-fake.sh: NixOS cannot run here)
// that records its arguments and keeps generations as the system profile link.
// Checked: the files with their modes and owners, the secrets in memory only (the
// container's disk searched for each value), the switch command's arguments, the
// generation recorded, no second switch for the same configuration (also after a
// delivery killed between its switch and its record), a changed host key refused
// (trust on first use, and against the machine's own key when its provider gives it),
// a failing switch or health check rolled back with the command's message.
#include "providers/nixos_ssh/nixos_ssh.hh"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "core/fd.hh"
#include "orchestrator/expand.hh"
#include "providers/lxc/lxc.hh"
#include "secrets/reference.hh"
#include "store/migrations.hh"
#include "store/ssh_host_key_store.hh"
#include "support/site.hh"
#include "unit/providers/test_support.hh"

namespace fedihost::providers::testing {
namespace {

using fedihost::testing::CommandResult;
using fedihost::testing::run;
using fedihost::testing::SharedSite;
using fedihost::testing::shellQuote;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kFakeState = "/var/lib/fake-nixos-rebuild";
const std::vector<std::string> kSwitch{"nixos-rebuild", "switch", "-I", "nixos-config=/etc/nixos/configuration.nix"};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

json::array jsonArray(const std::vector<std::string>& v) {
  json::array a;
  for (auto& s : v) a.emplace_back(s);
  return a;
}

/// A machine: an LXC container with sshd, our key in root's authorized_keys, /run on tmpfs and the fake.
struct Machine {
  ResolvedResource machine;
  ResolvedResource config;                   ///< its nixos-config resource, references resolved
  std::map<std::string, std::string> secrets;  ///< file name -> clear value
  std::string container;
  std::string address;
  std::string hostKey;  ///< the machine's output hostKeyFingerprint
};

class NixosSshSiteTest : public SharedSite<NixosSshSiteTest> {
 protected:
  static void SetUpTestSuite() {
    startSite({"lxc-sshd"});
    if (!site_) return;
    stateUrl_ = "sqlite:" + (site_->dir() / "state.db").string();
    auto c = store::connect(stateUrl_);
    store::migrate(*c, store::DatabaseKind::State);
  }

  void TearDown() override {
    for (auto& m : made_)
      if (auto ok = machines()->remove(m); !ok) ADD_FAILURE() << "cleanup: " << ok.error().message;
  }

  static json::object machineSettings() { return site_->settings("lxc-sshd", "machine"); }
  static std::string lxcPath() { return std::string(machineSettings().at("lxcPath").as_string()); }
  static std::unique_ptr<MachineProvider> machines(const json::object& extra = {}) {
    auto settings = machineSettings();
    for (auto& kv : extra) settings[kv.key()] = kv.value();
    return lxc::makeMachineProvider({"lxc", {}, settings, "site", ""});
  }
  static std::string subnet() {
    auto text = slurp(site_->dir() / "lxc-sshd" / "site.json");
    return std::string(json::parse(text).as_object().at("subnet").as_string());
  }

  /// The site's nixos-config settings (the key file read), with the fake's switch command and `extra`.
  static json::object nixosSettings(const json::object& extra = {}) {
    auto s = secrets::resolveReferences(site_->settings("lxc-sshd", "nixos-config"), nullptr, "settings").orThrow();
    s["switchCommand"] = jsonArray(kSwitch);
    s["timeoutMs"] = 30000;
    for (auto& kv : extra) s[kv.key()] = kv.value();
    return s;
  }
  static Result<std::unique_ptr<NixosProvider>> make(const json::object& settings) {
    registerBuiltinProviders();
    return Registry<NixosProvider>::instance().make({"ssh", {}, settings, "site", stateUrl_});
  }
  static std::unique_ptr<NixosProvider> nixos(const json::object& extra = {}) {
    auto p = make(nixosSettings(extra));
    if (!p) throw std::runtime_error(p.error().message);
    return std::move(*p);
  }

  static CommandResult lxcTool(const std::string& tool, const std::string& name, const std::string& args) {
    return run(tool + " -P " + shellQuote(lxcPath()) + " -n " + shellQuote(name) + " " + args);
  }
  /// A shell command inside the container; its output (stdout and stderr).
  static CommandResult inside(const Machine& m, const std::string& command) {
    return lxcTool("lxc-attach", m.container, "-- /bin/sh -c " + shellQuote(command));
  }
  static fs::path rootfs(const Machine& m) { return fs::path(lxcPath()) / m.container / "rootfs"; }

  /// The fake's record of its calls, one line each.
  static std::vector<std::string> calls(const Machine& m) {
    std::vector<std::string> out;
    std::istringstream in(slurp(rootfs(m) / "var/lib/fake-nixos-rebuild/calls"));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  static std::string generationLink(const Machine& m) {
    return trimmed(inside(m, "readlink /nix/var/nix/profiles/system").output);
  }

  /// Replaces {"ref", "output"} with a value of the test and {"secret": name} with the sealed secret.
  static json::value resolve(const json::value& v, Machine& m) {
    if (v.is_array()) {
      json::array out;
      for (auto& e : v.get_array()) out.push_back(resolve(e, m));
      return out;
    }
    if (!v.is_object()) return v;
    const auto& o = v.get_object();
    if (o.contains("ref") && o.contains("output")) {
      if (o.at("output") == "address") return json::value(m.address);
      // As from a machine provider that makes no host key (proxmox): trust on first use.
      // TheMachinesHostKeyIsCheckedAndFollowedWhenItChanges sets the lxc provider's output.
      if (o.at("output") == "hostKeyFingerprint") return json::value(nullptr);
      return json::value("GK0123456789abcdef");
    }
    if (o.size() == 1 && o.contains("secret")) {
      std::string name(o.at("secret").as_string());
      if (!m.secrets.count(name)) m.secrets[name] = "clear-" + name + "-" + std::to_string(::getpid()) + "-" + m.address;
      return json::object{{"secret", name}, {"sealed", testBox().seal(m.secrets[name])}};
    }
    json::object out;
    for (auto& kv : o) out[kv.key()] = resolve(kv.value(), m);
    return out;
  }

  /// A deployment's machine as a running container reachable over SSH, and its nixos-config resource.
  Machine startMachine(const std::string& id, int octet, const json::object& machineExtra = {}) {
    Machine m;
    m.address = subnet() + "." + std::to_string(octet);
    Deployment d;
    d.id = id;
    d.name = "nix-" + std::to_string(octet);
    d.domain = d.name + ".example";
    d.apps.push_back(AppInstance{"mastodon", {}, "", 0});
    for (auto& r : orchestrator::expand(d)) {
      if (r.kind == ResourceKind::Machine) {
        r.attributes["address"] = m.address;
        m.machine = ResolvedResource{r, &testBox()};
      }
      if (r.kind == ResourceKind::NixosConfig) {
        r.attributes = resolve(r.attributes, m).as_object();
        m.config = ResolvedResource{r, &testBox()};
      }
    }
    made_.push_back(m.machine);
    // The provider gives the container the site's key for root (authorizedKeys) and a host
    // key of its own; its init mounts /run on tmpfs (as on NixOS) and starts sshd.
    auto created = machines(machineExtra)->create(m.machine);
    if (!created) throw std::runtime_error("the container: " + created.error().message);
    m.container = std::string(created->outputs.at("container").as_string());
    m.hostKey = std::string(created->outputs.at("hostKeyFingerprint").as_string());
    // The fake as nixos-rebuild (written from inside: an overlay root is mounted there only).
    auto fake = run("lxc-attach -P " + shellQuote(lxcPath()) + " -n " + shellQuote(m.container) +
                    " -- /bin/sh -c 'cat >/usr/local/bin/nixos-rebuild && chmod 0755 /usr/local/bin/nixos-rebuild && "
                    "ln -sfn nixos-rebuild /usr/local/bin/nix-env' < " +
                    shellQuote((fs::path(FEDIHOST_SOURCE_DIR) / "tests/fakes/nixos-rebuild-fake.sh").string()));
    if (fake.exitCode != 0) throw std::runtime_error("the fake: " + fake.output);
    waitForPort(m.address, 22);
    return m;
  }

  /// Restarts sshd with new host keys (the machine "rebuilt").
  static void newHostKeys(const Machine& m) {
    auto r = inside(m, "pkill -x sshd; while pgrep -x sshd >/dev/null; do sleep 0.05; done; rm -f /etc/ssh/ssh_host_* && "
                       "ssh-keygen -q -A && /usr/sbin/sshd");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    waitForPort(m.address, 22);
  }

  /// Until something accepts TCP connections at address:port (a readiness wait: a minute at most).
  static void waitForPort(const std::string& address, int port) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
      if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("nothing answers at " + address + ":" + std::to_string(port));
  }

  /// Every fingerprint of the container's host keys, as ssh-keygen -l prints them.
  static std::string hostKeyFingerprints(const Machine& m) {
    return run("for k in " + shellQuote((rootfs(m) / "etc/ssh").string()) + "/ssh_host_*_key.pub; do ssh-keygen -lf \"$k\"; done")
        .output;
  }

  static json::object configurationOf(const Machine& m) {
    return m.config.resource.attributes.at("configuration").as_object();
  }

  static inline std::string stateUrl_;
  std::vector<ResolvedResource> made_;
};

TEST_F(NixosSshSiteTest, DeliversFilesAndSecretsInMemorySwitchesOnceAndRecordsTheGeneration) {
  auto m = startMachine("dep_nixssh1", 11);
  ASSERT_FALSE(m.secrets.empty());
  // Built from the target as a server builds it: the key file read from the site's {"file": …}.
  auto providers = site_->providers({"ip-address", "machine", "dns-record-set", "certificate"});
  providers["nixos-config"].as_object()["settings"].as_object()["switchCommand"] = jsonArray(kSwitch);
  fedihost::testing::TempDir root("nixos-ssh-target");
  auto t = Target::fromConfig({{"name", "site"}, {"providers", providers}}, root.path(), stateUrl_);
  ASSERT_TRUE(t) << t.error().message;
  auto& p = t->provider(ResourceKind::NixosConfig);
  EXPECT_EQ(p.implementation(), "ssh");
  EXPECT_EQ(p.read(m.config).error().kind, ErrorKind::NotFound);

  auto created = p.create(m.config);
  ASSERT_TRUE(created) << created.error().message;
  const auto canonical = jsonutil::canonical(json::value(configurationOf(m)));
  EXPECT_EQ(created->outputs.at("generation"), 1);
  EXPECT_EQ(created->outputs.at("address"), json::value(m.address));
  const std::string fingerprint(created->outputs.at("hostKeyFingerprint").as_string());
  EXPECT_THAT(fingerprint, ::testing::StartsWith("SHA256:"));
  EXPECT_THAT(hostKeyFingerprints(m), HasSubstr(fingerprint));
  // Pinned in the state database.
  {
    auto c = store::connect(stateUrl_);
    auto pinned = store::SshHostKeyStore(*c).find(m.config.resource.key);
    ASSERT_TRUE(pinned);
    EXPECT_EQ(pinned->fingerprint, fingerprint);
    EXPECT_EQ(pinned->address, m.address);
  }

  // The configuration: its exact bytes, 0644 root.
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json"), canonical);
  EXPECT_EQ(trimmed(inside(m, "stat -c '%a %U %G' /etc/nixos/fedihost/configuration.json").output), "644 root root");
  // The secrets: in /run/fedihost/secrets on tmpfs, the directory 0711 root, each file 0400 root.
  EXPECT_EQ(trimmed(inside(m, "stat -f -c %T /run/fedihost/secrets").output), "tmpfs");
  EXPECT_EQ(trimmed(inside(m, "stat -c '%a %U %G' /run/fedihost/secrets").output), "711 root root");
  for (auto& [name, value] : m.secrets) {
    EXPECT_EQ(trimmed(inside(m, "stat -c '%a %U %G' /run/fedihost/secrets/" + name).output), "400 root root") << name;
    EXPECT_EQ(inside(m, "cat /run/fedihost/secrets/" + name).output, value);
    // Nowhere on the container's disk (its root filesystem seen from the host: /run is not on it).
    auto found = run("grep -rlF " + shellQuote(value) + " " + shellQuote(rootfs(m).string()));
    EXPECT_EQ(found.exitCode, 1) << name << " found on disk: " << found.output;
  }
  EXPECT_EQ(trimmed(inside(m, "ls -A /run/fedihost/secrets | wc -l").output), std::to_string(m.secrets.size()));
  // One switch, with the configured arguments; the generation it made.
  EXPECT_THAT(calls(m), ::testing::ElementsAre("switch -I nixos-config=/etc/nixos/configuration.nix"));
  EXPECT_EQ(generationLink(m), "system-1-link");
  EXPECT_EQ(slurp(rootfs(m) / "nix/var/nix/profiles/system-1-link/configuration.json"), canonical);
  auto delivered = json::parse(slurp(rootfs(m) / "etc/nixos/fedihost/delivery.json")).as_object();
  EXPECT_EQ(delivered.at("generation"), 1);
  EXPECT_EQ(delivered.at("configurationSha256"), created->outputs.at("configurationSha256"));

  // Read back: the configuration as delivered, the generation, no drift.
  auto held = p.read(m.config);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(held->attributes.at("configuration"), json::value(configurationOf(m)));
  EXPECT_EQ(held->outputs.at("generation"), 1);
  EXPECT_EQ(held->outputs.at("configurationSha256"), created->outputs.at("configurationSha256"));
  EXPECT_EQ(held->due, "");

  // Again (a repeated apply, a create resumed): nothing switches, nothing changes.
  ASSERT_TRUE(p.create(m.config));
  auto again = p.update(m.config);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outputs, created->outputs);
  EXPECT_EQ(calls(m).size(), 1u);

  // A changed configuration: written (the old one kept as .previous), switched to generation 2.
  auto changed = m.config;
  auto& conf = changed.resource.attributes["configuration"].as_object();
  conf["networking"].as_object()["hostName"] = "nix-renamed";
  auto updated = p.update(changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->outputs.at("generation"), 2);
  EXPECT_EQ(calls(m).size(), 2u);
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json"), jsonutil::canonical(json::value(conf)));
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json.previous"), canonical);

  // Rolled back by hand: read reports the generation; the next apply switches again.
  ASSERT_EQ(inside(m, "nixos-rebuild switch --rollback").exitCode, 0);
  held = p.read(changed);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_THAT(held->due, HasSubstr("runs generation 1, not 2"));
  auto repaired = p.update(changed);
  ASSERT_TRUE(repaired) << repaired.error().message;
  EXPECT_EQ(repaired->outputs.at("generation"), 3);
  EXPECT_EQ(p.read(changed)->due, "");

  // The secrets gone (as after a reboot: /run is emptied): drift, and the next apply delivers them again.
  ASSERT_EQ(inside(m, "rm -rf /run/fedihost/secrets").exitCode, 0);
  held = p.read(changed);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_THAT(held->due, HasSubstr("secrets differ"));
  ASSERT_TRUE(p.update(changed));
  for (auto& [name, value] : m.secrets) EXPECT_EQ(inside(m, "cat /run/fedihost/secrets/" + name).output, value);
  EXPECT_EQ(p.read(changed)->due, "");

  // Remove: what was delivered goes (no switch), and the pin with it.
  const auto switches = calls(m).size();
  ASSERT_TRUE(p.remove(changed));
  EXPECT_FALSE(fs::exists(rootfs(m) / "etc/nixos/fedihost"));
  EXPECT_EQ(inside(m, "test -e /run/fedihost/secrets").exitCode, 1);
  EXPECT_EQ(calls(m).size(), switches);
  EXPECT_EQ(p.read(changed).error().kind, ErrorKind::NotFound);
  auto c = store::connect(stateUrl_);
  EXPECT_FALSE(store::SshHostKeyStore(*c).find(m.config.resource.key));
}

TEST_F(NixosSshSiteTest, AHostKeyOtherThanThePinnedOneIsRefusedUnlessTheTargetNamesIt) {
  auto m = startMachine("dep_nixssh2", 12);
  auto p = nixos();
  auto created = p->create(m.config);
  ASSERT_TRUE(created) << created.error().message;
  const std::string pinned(created->outputs.at("hostKeyFingerprint").as_string());

  // The machine answers with another key: refused before anything is sent.
  newHostKeys(m);
  auto changed = m.config;
  changed.resource.attributes["configuration"].as_object()["networking"].as_object()["hostName"] = "nix-other";
  auto refused = p->update(changed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Provider);
  EXPECT_THAT(refused.error().message, HasSubstr("but " + pinned + " was pinned"));
  EXPECT_THAT(refused.error().message, HasSubstr("knownHostKeys"));
  EXPECT_EQ(calls(m).size(), 1u);
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json"),
            jsonutil::canonical(json::value(configurationOf(m))));
  EXPECT_FALSE(p->read(m.config));
  EXPECT_FALSE(p->remove(m.config));

  // The key it saw, named in the message (and among the container's new keys).
  std::smatch seen;
  const std::string message = refused.error().message;
  ASSERT_TRUE(std::regex_search(message, seen, std::regex("is (SHA256:[^,]+), but"))) << message;
  const std::string newKey = seen[1];
  EXPECT_THAT(hostKeyFingerprints(m), HasSubstr(newKey));
  ASSERT_NE(newKey, pinned);

  // The target names another key for the address: refused too.
  auto wrong = nixos({{"knownHostKeys", {{m.address, pinned}}}});
  refused = wrong->update(changed);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("not " + pinned + " as the target's knownHostKeys says"));

  // The target names the new key: accepted, and pinned from now on.
  auto named = nixos({{"knownHostKeys", {{m.address, newKey}}}});
  auto updated = named->update(changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->outputs.at("hostKeyFingerprint"), json::value(newKey));
  EXPECT_EQ(calls(m).size(), 2u);
  auto again = p->read(changed);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->due, "");
}

TEST_F(NixosSshSiteTest, TheMachinesHostKeyIsCheckedAndFollowedWhenItChanges) {
  auto m = startMachine("dep_nixssh6", 16);
  EXPECT_EQ(m.hostKey, trimmed(run("ssh-keygen -lf " + shellQuote((rootfs(m) / "etc/ssh/ssh_host_ed25519_key.pub").string()) +
                                   " | cut -d' ' -f2")
                                   .output));
  auto withKey = [&](const json::value& key) {
    auto c = m.config;
    c.resource.attributes["hostKeyFingerprint"] = key;
    return c;
  };
  auto p = nixos();
  // The machine's key (its provider's output): checked, and pinned.
  auto created = p->create(withKey(json::value(m.hostKey)));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->outputs.at("hostKeyFingerprint"), json::value(m.hostKey));
  auto c = store::connect(stateUrl_);
  EXPECT_EQ(store::SshHostKeyStore(*c).find(m.config.resource.key)->fingerprint, m.hostKey);

  // Another key at the address, while the machine's output still names the old one: refused,
  // naming the key seen, the machine's and the pin; nothing sent.
  newHostKeys(m);
  const auto newKey = trimmed(
      run("ssh-keygen -lf " + shellQuote((rootfs(m) / "etc/ssh/ssh_host_ed25519_key.pub").string()) + " | cut -d' ' -f2")
          .output);
  ASSERT_NE(newKey, m.hostKey);
  auto changed = withKey(json::value(m.hostKey));
  changed.resource.attributes["configuration"].as_object()["networking"].as_object()["hostName"] = "nix-rebuilt";
  auto refused = p->update(changed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Provider);
  EXPECT_THAT(refused.error().message, HasSubstr("is " + newKey + ", but the machine's host key is " + m.hostKey));
  EXPECT_THAT(refused.error().message, HasSubstr(m.hostKey + " was pinned for " + m.config.resource.key));
  EXPECT_EQ(calls(m).size(), 1u);
  EXPECT_FALSE(p->read(withKey(json::value(m.hostKey))));

  // The machine made again (its output the new key): followed without clearing the pin by hand.
  changed.resource.attributes["hostKeyFingerprint"] = newKey;
  auto updated = p->update(changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->outputs.at("hostKeyFingerprint"), json::value(newKey));
  EXPECT_EQ(calls(m).size(), 2u);
  EXPECT_EQ(store::SshHostKeyStore(*c).find(m.config.resource.key)->fingerprint, newKey);

  // An output naming a key the host does not have: refused even though the pin matches.
  auto other = changed;
  other.resource.attributes["hostKeyFingerprint"] = m.hostKey;
  refused = p->update(other);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("but the machine's host key is " + m.hostKey + " (the output"));
  EXPECT_THAT(refused.error().message, HasSubstr(newKey + " was pinned"));
  // No output (null): the pin decides, as for machines whose provider gives none.
  auto held = p->read(withKey(json::value(nullptr)));
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_FALSE(p->create(withKey(json::value("MD5:aa"))));
  EXPECT_EQ(p->create(withKey(json::value("MD5:aa"))).error().field, "attributes.hostKeyFingerprint");
}

TEST_F(NixosSshSiteTest, AnOverlayContainerOffersItsOwnHostKeyOnlyAndTakesADelivery) {
  // The cache as the overlay's lower layer: its host keys (the same in every container) whited out.
  auto m = startMachine("dep_nixssh7", 17, {{"rootfs", "overlay"}});
  EXPECT_EQ(trimmed(inside(m, "ls /etc/ssh | grep ssh_host_").output), "ssh_host_ed25519_key\nssh_host_ed25519_key.pub");
  const auto delta = fs::path(lxcPath()) / m.container / "delta0";
  EXPECT_TRUE(fs::is_character_file(delta / "etc/ssh/ssh_host_rsa_key"));
  EXPECT_EQ(trimmed(inside(m, "stat -c '%a %U' /root/.ssh /root/.ssh/authorized_keys").output), "700 root\n600 root");
  auto seen = run("lxc-attach -P " + shellQuote(lxcPath()) + " -n " + shellQuote(m.container) +
                  " -- cat /etc/ssh/ssh_host_ed25519_key.pub | ssh-keygen -lf - | cut -d' ' -f2");
  EXPECT_EQ(trimmed(seen.output), m.hostKey);
  auto config = m.config;
  config.resource.attributes["hostKeyFingerprint"] = m.hostKey;
  auto created = nixos()->create(config);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->outputs.at("hostKeyFingerprint"), json::value(m.hostKey));
  EXPECT_EQ(trimmed(inside(m, "stat -f -c %T /run/fedihost/secrets").output), "tmpfs");
}

TEST_F(NixosSshSiteTest, AFailingSwitchOrHealthCheckRollsBackAndFailsWithTheCommandsMessage) {
  auto m = startMachine("dep_nixssh3", 13);
  const std::string health = std::string("if [ -e ") + kFakeState + "/unhealthy ]; then cat " + kFakeState +
                             "/unhealthy >&2; exit 1; fi";
  auto p = nixos({{"healthCommand", jsonArray({"sh", "-c", health})}});
  ASSERT_TRUE(p->create(m.config));
  const auto good = jsonutil::canonical(json::value(configurationOf(m)));
  const auto goodState = slurp(rootfs(m) / "etc/nixos/fedihost/delivery.json");
  EXPECT_EQ(generationLink(m), "system-1-link");

  auto changed = m.config;
  changed.resource.attributes["configuration"].as_object()["networking"].as_object()["hostName"] = "nix-broken";

  // The activation fails: the step fails with its error output; generation 1 runs again, with its file.
  ASSERT_EQ(inside(m, std::string("echo 'error: unit mastodon-web.service failed to start' > ") + kFakeState +
                          "/fail-activation")
                .exitCode,
            0);
  auto failed = p->update(changed);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::Provider);
  EXPECT_THAT(failed.error().message, HasSubstr("error: unit mastodon-web.service failed to start"));
  EXPECT_THAT(failed.error().message, HasSubstr("rolled back to generation 1"));
  // Back to generation 1 by number (the default rollbackCommand), and activated.
  EXPECT_THAT(calls(m), ::testing::ElementsAre("switch -I nixos-config=/etc/nixos/configuration.nix",
                                               "switch -I nixos-config=/etc/nixos/configuration.nix",
                                               "nix-env -p /nix/var/nix/profiles/system --switch-generation 1",
                                               "switch-to-configuration switch"));
  EXPECT_EQ(generationLink(m), "system-1-link");
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json"), good);
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/delivery.json"), goodState);
  ASSERT_EQ(inside(m, std::string("rm ") + kFakeState + "/fail-activation").exitCode, 0);

  // The build fails: no generation was made, so nothing is rolled back.
  ASSERT_EQ(inside(m, std::string("echo 'error: attribute missing' > ") + kFakeState + "/fail-build").exitCode, 0);
  failed = p->update(changed);
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("error: attribute missing"));
  EXPECT_THAT(failed.error().message, HasSubstr("no new generation was made"));
  EXPECT_EQ(calls(m).size(), 5u);
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json"), good);
  ASSERT_EQ(inside(m, std::string("rm ") + kFakeState + "/fail-build").exitCode, 0);

  // The switch works (generation 3: the failed 2 is still there) but the health check fails:
  // rolled back to generation 1, not to the failed 2, with the check's message.
  ASSERT_EQ(inside(m, std::string("echo 'nginx does not answer on 443' > ") + kFakeState + "/unhealthy").exitCode, 0);
  failed = p->update(changed);
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("nginx does not answer on 443"));
  EXPECT_THAT(failed.error().message, HasSubstr("rolled back to generation 1"));
  EXPECT_EQ(calls(m).back(), "switch-to-configuration switch");
  EXPECT_EQ(calls(m)[calls(m).size() - 2], "nix-env -p /nix/var/nix/profiles/system --switch-generation 1");
  EXPECT_EQ(generationLink(m), "system-1-link");
  EXPECT_EQ(slurp(rootfs(m) / "etc/nixos/fedihost/configuration.json"), good);
  ASSERT_EQ(inside(m, std::string("rm ") + kFakeState + "/unhealthy").exitCode, 0);

  // Healthy again: the retry succeeds, on a generation after the failed ones.
  auto updated = p->update(changed);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->outputs.at("generation"), 4);
  EXPECT_EQ(generationLink(m), "system-4-link");
}

TEST_F(NixosSshSiteTest, ADeliveryKilledAfterItsSwitchDoesNotSwitchAgainWhenResumed) {
  auto m = startMachine("dep_nixssh4", 14);
  auto p = nixos();
  auto created = p->create(m.config);
  ASSERT_TRUE(created) << created.error().message;
  auto changed = m.config;
  changed.resource.attributes["configuration"].as_object()["networking"].as_object()["hostName"] = "nix-resumed";
  const auto text = jsonutil::canonical(changed.resource.attributes.at("configuration"));

  // What a delivery killed right after its switch leaves: the new file, the switch made,
  // delivery.json still naming generation 1 with the switch pending.
  std::ofstream(rootfs(m) / "etc/nixos/fedihost/configuration.json", std::ios::trunc) << text;
  ASSERT_EQ(inside(m, "nixos-rebuild switch").exitCode, 0);
  auto sha = trimmed(inside(m, "sha256sum < /etc/nixos/fedihost/configuration.json | cut -d' ' -f1").output);
  json::object pending{{"configurationSha256", created->outputs.at("configurationSha256")},
                       {"generation", 1},
                       {"pendingSha256", sha},
                       {"pendingFrom", 1}};
  std::ofstream(rootfs(m) / "etc/nixos/fedihost/delivery.json", std::ios::trunc) << json::serialize(pending) << "\n";
  ASSERT_EQ(calls(m).size(), 2u);

  auto resumed = p->update(changed);
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ(calls(m).size(), 2u);  // no second switch
  EXPECT_EQ(resumed->outputs.at("generation"), 2);
  EXPECT_EQ(resumed->outputs.at("configurationSha256"), json::value(sha));
  auto delivered = json::parse(slurp(rootfs(m) / "etc/nixos/fedihost/delivery.json")).as_object();
  EXPECT_EQ(delivered, (json::object{{"configurationSha256", sha}, {"generation", 2}}));
}

TEST_F(NixosSshSiteTest, BadSettingsAndAttributesAreRefused) {
  auto bad = nixosSettings({{"switchComand", jsonArray({"x"})}});
  auto made = make(bad);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().field, "settings.switchComand");
  bad = nixosSettings();
  bad.erase("privateKey");
  EXPECT_EQ(make(bad).error().field, "settings.privateKey");
  bad = nixosSettings({{"privateKey", "not a key"}});
  EXPECT_EQ(make(bad).error().field, "settings.privateKey");
  bad = nixosSettings({{"knownHostKeys", {{"10.0.0.1", "MD5:aa"}}}});
  EXPECT_EQ(make(bad).error().field, "settings.knownHostKeys.10.0.0.1");
  bad = nixosSettings({{"secretsDirectoryMode", "0644"}});
  EXPECT_EQ(make(bad).error().field, "settings.secretsDirectoryMode");
  EXPECT_EQ(Registry<NixosProvider>::instance().make({"ssh", {}, nixosSettings(), "site", ""}).error().field,
            "stateUrl");

  Machine m;
  m.address = subnet() + ".250";
  Deployment d;
  d.id = "dep_nixssh5";
  d.name = "nix-bad";
  d.domain = "nix-bad.example";
  d.apps.push_back(AppInstance{"mastodon", {}, "", 0});
  for (auto& r : orchestrator::expand(d))
    if (r.kind == ResourceKind::NixosConfig) {
      r.attributes = resolve(r.attributes, m).as_object();
      m.config = ResolvedResource{r, &testBox()};
    }
  auto p = nixos();
  auto noAddress = m.config;
  noAddress.resource.attributes.erase("address");
  EXPECT_EQ(p->create(noAddress).error().field, "attributes.address");
  auto badSecret = m.config;
  badSecret.resource.attributes["secrets"].as_object()["../etc/passwd"] = json::object{{"secret", "x"}, {"sealed", "y"}};
  EXPECT_EQ(p->create(badSecret).error().field, "attributes.secrets.../etc/passwd");
  EXPECT_FALSE(p->list("dep_nixssh5"));
}

}  // namespace
}  // namespace fedihost::providers::testing
