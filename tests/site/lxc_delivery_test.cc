// A whole deployment delivered end to end into a machine fedihost made itself: the
// orchestrator applies a Mastodon deployment onto a target whose machines are LXC
// containers ("lxc": root's authorized_keys from the target, a host key of each
// container's own, its fingerprint an output) and whose NixOS configuration goes over
// SSH ("ssh"); addresses from an IP pool, the other kinds in files. The containers run
// sshd from the cache of scripts/site/lxc-sshd.sh, with a FAKE nixos-rebuild
// (tests/fakes/nixos-rebuild-fake.sh: NixOS cannot run here) copied into the test's
// own copy of that cache. Checked: the container made by fedihost, the configuration
// delivered inside it, the fake's switch and the generation recorded, the secrets on
// tmpfs only; a machine destroyed by hand and made again by the next apply, with a
// new host key the delivery follows without any pin cleared by hand; a host key
// swapped by hand inside the container refused, naming the machine's key and the pin.
// Every container goes with the test (the deployment destroyed, and lxc-sshd.sh stop).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/catalog.hh"
#include "nixos/render.hh"
#include "orchestrator/orchestrator.hh"
#include "store/ip_pool_store.hh"
#include "store/ssh_host_key_store.hh"
#include "store/state_store.hh"
#include "support/site.hh"
#include "support/targets.hh"
#include "unit/providers/test_support.hh"

namespace fedihost::providers::testing {
namespace {

using fedihost::testing::CommandResult;
using fedihost::testing::run;
using fedihost::testing::SharedSite;
using fedihost::testing::shellQuote;
using ::testing::HasSubstr;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class LxcDeliveryTest : public SharedSite<LxcDeliveryTest> {
 protected:
  static void SetUpTestSuite() {
    startSite({"lxc-sshd"});
    if (!site_) return;
    // The sshd cache with the fake as nixos-rebuild (and nix-env), in the site's directory.
    cache_ = site_->dir() / "rootfs-sshd-fake-nixos";
    const std::string from(site_->settings("lxc-sshd", "machine").at("rootfsCache").as_string());
    const auto fake = fs::path(FEDIHOST_SOURCE_DIR) / "tests/fakes/nixos-rebuild-fake.sh";
    auto copied = run("cp -a --reflink=auto " + shellQuote(from) + " " + shellQuote(cache_.string()) + " && install -m 0755 " +
                      shellQuote(fake.string()) + " " + shellQuote((cache_ / "usr/local/bin/nixos-rebuild").string()) +
                      " && ln -sfn nixos-rebuild " + shellQuote((cache_ / "usr/local/bin/nix-env").string()));
    if (copied.exitCode != 0) siteError_ = "the test's root filesystem: " + copied.output;
  }

  void SetUp() override {
    SharedSite::SetUp();
    ASSERT_TRUE(fs::is_directory(cache_ / "usr/local/bin")) << siteError_;
  }

  static std::string lxcPath() {
    return std::string(site_->settings("lxc-sshd", "machine").at("lxcPath").as_string());
  }
  static std::string subnet() {
    return std::string(
        json::parse(slurp(site_->dir() / "lxc-sshd" / "site.json")).as_object().at("subnet").as_string());
  }
  static CommandResult lxcTool(const std::string& tool, const std::string& name, const std::string& args) {
    return run(tool + " -P " + shellQuote(lxcPath()) + " -n " + shellQuote(name) + " " + args);
  }
  static CommandResult inside(const std::string& name, const std::string& command) {
    return lxcTool("lxc-attach", name, "-- /bin/sh -c " + shellQuote(command));
  }
  static fs::path rootfs(const std::string& name) { return fs::path(lxcPath()) / name / "rootfs"; }
  /// The fingerprint of a public key file, as ssh-keygen prints it.
  static std::string fingerprintOf(const fs::path& pub) {
    auto r = run("ssh-keygen -lf " + shellQuote(pub.string()));
    EXPECT_EQ(r.exitCode, 0) << r.output;
    auto words = r.output.substr(r.output.find(' ') + 1);
    return words.substr(0, words.find(' '));
  }
  static std::vector<std::string> calls(const std::string& name) {
    std::vector<std::string> out;
    std::istringstream in(slurp(rootfs(name) / "var/lib/fake-nixos-rebuild/calls"));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  /// A data directory with the target "site": lxc machines from the test's cache, ssh
  /// delivery, pool addresses in `prefix`, every other kind in files.
  struct Fixture {
    fedihost::testing::TempDir tmp{"lxc-delivery"};
    orchestrator::DataDir dir{tmp.path() / "var"};
    std::unique_ptr<store::Connection> conn;
    std::unique_ptr<store::StateStore> state;
  };
  static std::unique_ptr<Fixture> fixture(const std::string& prefix, const std::string& gateway) {
    auto f = std::make_unique<Fixture>();
    orchestrator::prepareDataDir(f->dir);
    auto providers = site_->providers();
    providers["machine"].as_object()["settings"].as_object()["rootfsCache"] = cache_.string();
    providers["ip-address"] = json::object{{"implementation", "pool"}};
    providers = fedihost::testing::withFileProviders(std::move(providers));
    fs::create_directories(f->dir.targetConfigDir());
    std::ofstream(f->dir.targetConfigDir() / "site.json")
        << json::serialize(json::object{{"name", "site"}, {"providers", providers}});
    f->conn = store::connect(f->dir.stateUrl());
    f->state = std::make_unique<store::StateStore>(*f->conn);
    auto pool = store::IpPoolStore(*f->conn).createPool({"site", "lxc", prefix, gateway, {}, 0});
    EXPECT_TRUE(pool) << pool.error().message;
    return f;
  }

  static Deployment mastodon(store::StateStore& state, const std::string& name) {
    Deployment d;
    d.organisation = state.createOrganisation("Riverside " + name, "").value().id;
    d.name = name;
    d.domain = name + ".example";
    d.target = "site";
    d.apps.push_back({"mastodon", catalog::validateSettings(*catalog::find("mastodon"), {}, "s").value(), {}, 0});
    return state.createDeployment(d, nixos::publishedHosts(d)).value();
  }

  /// Applies the deployment as it is stored; the run's error if it did not succeed.
  static std::string applied(orchestrator::Orchestrator& o, store::StateStore& state, const std::string& id) {
    auto r = o.apply(state, state.getDeployment(id).value());
    if (!r) return "apply: " + r.error().message;
    o.waitIdle();
    auto run = state.getRun(r->id, true);
    if (run->status == RunStatus::Succeeded) return "";
    std::string why = "run " + std::string(toString(run->status)) + ": " + run->error;
    for (auto& step : run->steps)
      if (!step.error.empty()) why += "\n" + step.resourceKey + ": " + step.error;
    return why;
  }

  static std::string pinOf(store::Connection& c, const std::string& key) {
    auto pinned = store::SshHostKeyStore(c).find(key);
    return pinned ? pinned->fingerprint : "";
  }

  static inline fs::path cache_;
};

TEST_F(LxcDeliveryTest, ADeploymentIsDeliveredIntoAMachineFedihostMadeAndFollowsItWhenItIsMadeAgain) {
  auto f = fixture(subnet() + ".96/28", subnet() + ".97");
  auto& state = *f->state;
  auto d = mastodon(state, "lxc-deliver");
  const std::string machineKey = d.id + "/machine/main", configKey = d.id + "/nixos-config/main";
  const std::string name = "fh-" + d.id + "-main";
  orchestrator::Orchestrator o(f->dir, 1);
  o.start();
  struct Destroy {  // the deployment's containers go even when an assertion fails
    orchestrator::Orchestrator& o;
    store::StateStore& state;
    std::string id;
    bool done = false;
    ~Destroy() {
      if (done) return;
      if (auto gone = o.destroy(state, state.getDeployment(id).value()); gone) o.waitIdle();
    }
  } destroy{o, state, d.id};

  ASSERT_EQ(applied(o, state, d.id), "");

  // The container: made by fedihost (its identity key in the config), running, with a host
  // key of its own (the only one: the cache's are gone) and the target's key for root.
  EXPECT_EQ(trimmed(lxcTool("lxc-info", name, "-s -H").output), "RUNNING");
  EXPECT_THAT(slurp(fs::path(lxcPath()) / name / "config"), HasSubstr("# fedihost.key = " + machineKey + "\n"));
  auto machine = state.recordedResource(machineKey);
  ASSERT_TRUE(machine);
  const std::string firstKey(machine->outputs.at("hostKeyFingerprint").as_string());
  EXPECT_EQ(fingerprintOf(rootfs(name) / "etc/ssh/ssh_host_ed25519_key.pub"), firstKey);
  EXPECT_NE(fingerprintOf(cache_ / "etc/ssh/ssh_host_ed25519_key.pub"), firstKey);
  EXPECT_EQ(run("ls " + shellQuote((rootfs(name) / "etc/ssh").string()) + " | grep ssh_host_").output,
            "ssh_host_ed25519_key\nssh_host_ed25519_key.pub\n");
  EXPECT_EQ(slurp(rootfs(name) / "root/.ssh/authorized_keys"), slurp(site_->dir() / "lxc-sshd/id_ed25519.pub"));
  EXPECT_EQ(trimmed(inside(name, "stat -c '%a %U' /root/.ssh /root/.ssh/authorized_keys").output), "700 root\n600 root");
  EXPECT_EQ(trimmed(inside(name, "pgrep -x sshd >/dev/null && stat -f -c %T /run").output), "tmpfs");

  // The configuration delivered inside it, as recorded; the fake's one switch; the generation.
  auto config = state.recordedResource(configKey);
  ASSERT_TRUE(config);
  const auto delivered = slurp(rootfs(name) / "etc/nixos/fedihost/configuration.json");
  EXPECT_THAT(delivered, HasSubstr("\"hostName\": \"lxc-deliver\""));
  EXPECT_EQ(trimmed(inside(name, "sha256sum /etc/nixos/fedihost/configuration.json | cut -d' ' -f1").output),
            std::string(config->outputs.at("configurationSha256").as_string()));
  EXPECT_THAT(calls(name), ::testing::ElementsAre("switch"));
  EXPECT_EQ(trimmed(inside(name, "readlink /nix/var/nix/profiles/system").output), "system-1-link");
  EXPECT_EQ(config->outputs.at("generation"), 1);
  EXPECT_EQ(json::parse(slurp(rootfs(name) / "etc/nixos/fedihost/delivery.json")).as_object().at("generation"), 1);
  // The host key checked against the machine's output, and pinned as such.
  EXPECT_EQ(config->outputs.at("hostKeyFingerprint"), json::value(firstKey));
  EXPECT_EQ(pinOf(*f->conn, configKey), firstKey);

  // The secrets: every one in /run/fedihost/secrets on tmpfs, none on the container's disk.
  const auto secrets = config->resource.attributes.at("secrets").as_object();
  ASSERT_FALSE(secrets.empty());
  EXPECT_EQ(trimmed(inside(name, "stat -f -c %T /run/fedihost/secrets").output), "tmpfs");
  EXPECT_EQ(trimmed(inside(name, "ls -A /run/fedihost/secrets | wc -l").output), std::to_string(secrets.size()));
  for (auto& kv : secrets) {
    const std::string file(kv.key());
    auto value = inside(name, "cat /run/fedihost/secrets/" + file);
    ASSERT_EQ(value.exitCode, 0) << file << ": " << value.output;
    ASSERT_GE(value.output.size(), 16u) << file;
    auto found = run("grep -rlF " + shellQuote(value.output) + " " + shellQuote(rootfs(name).string()));
    EXPECT_EQ(found.exitCode, 1) << file << " found on disk: " << found.output;
  }
  auto clean = o.refresh(state, d.id);
  ASSERT_TRUE(clean) << clean.error().message;
  EXPECT_TRUE(clean->errors.empty()) << clean->errors.front();
  EXPECT_TRUE(clean->drift.empty()) << clean->drift.front().key << ": " << clean->drift.front().detail;

  // The machine destroyed by hand: missing at the refresh; the next apply makes it again, with
  // a new host key, and delivers into it, following the new key (no pin cleared by hand).
  ASSERT_EQ(lxcTool("lxc-stop", name, "-k").exitCode, 0);
  ASSERT_EQ(lxcTool("lxc-destroy", name, "").exitCode, 0);
  auto missing = o.refresh(state, d.id);
  ASSERT_TRUE(missing) << missing.error().message;
  ASSERT_FALSE(missing->drift.empty());
  EXPECT_EQ(missing->drift.front().key, machineKey);
  EXPECT_EQ(missing->drift.front().status, DriftStatus::Missing);
  ASSERT_EQ(applied(o, state, d.id), "");
  machine = state.recordedResource(machineKey);
  const std::string secondKey(machine->outputs.at("hostKeyFingerprint").as_string());
  EXPECT_NE(secondKey, firstKey);
  EXPECT_EQ(fingerprintOf(rootfs(name) / "etc/ssh/ssh_host_ed25519_key.pub"), secondKey);
  config = state.recordedResource(configKey);
  EXPECT_EQ(config->outputs.at("hostKeyFingerprint"), json::value(secondKey));
  EXPECT_EQ(pinOf(*f->conn, configKey), secondKey);
  EXPECT_EQ(slurp(rootfs(name) / "etc/nixos/fedihost/configuration.json"), delivered);
  EXPECT_THAT(calls(name), ::testing::ElementsAre("switch"));
  EXPECT_EQ(trimmed(inside(name, "ls -A /run/fedihost/secrets | wc -l").output), std::to_string(secrets.size()));
  auto again = o.refresh(state, d.id);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->errors.empty()) << again->errors.front();
  EXPECT_TRUE(again->drift.empty()) << again->drift.front().key << ": " << again->drift.front().detail;

  // A host key swapped by hand inside the container: the refresh cannot read the machine, and
  // a change is refused before anything is sent, naming the key seen, the machine's and the pin.
  const std::string restartSshd = "pkill -x sshd; while pgrep -x sshd >/dev/null; do sleep 0.05; done; ";
  auto swapped = inside(name, restartSshd +
                                  "mkdir /root/kept && mv /etc/ssh/ssh_host_ed25519_key* /root/kept/ && "
                                  "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && /usr/sbin/sshd");
  ASSERT_EQ(swapped.exitCode, 0) << swapped.output;
  const auto seen = fingerprintOf(rootfs(name) / "etc/ssh/ssh_host_ed25519_key.pub");
  ASSERT_NE(seen, secondKey);
  auto refused = o.refresh(state, d.id);
  ASSERT_TRUE(refused) << refused.error().message;
  ASSERT_EQ(refused->errors.size(), 1u);
  EXPECT_THAT(refused->errors.front(), HasSubstr("refusing to connect"));
  auto edited = state.getDeployment(d.id).value();
  edited.apps[0].settings =
      catalog::validateSettings(*catalog::find("mastodon"), json::object{{"registrations", "closed"}}, "s").value();
  ASSERT_TRUE(state.updateDeployment(edited, edited.version, nixos::publishedHosts(edited)));
  const auto failed = applied(o, state, d.id);
  EXPECT_THAT(failed, HasSubstr("is " + seen + ", but the machine's host key is " + secondKey));
  EXPECT_THAT(failed, HasSubstr(secondKey + " was pinned for " + configKey));
  EXPECT_EQ(slurp(rootfs(name) / "etc/nixos/fedihost/configuration.json"), delivered);
  EXPECT_EQ(calls(name).size(), 1u);
  EXPECT_EQ(pinOf(*f->conn, configKey), secondKey);

  // Its own key back: the edit is delivered; then the deployment deleted leaves no container and no pin.
  auto restored = inside(name, restartSshd + "mv -f /root/kept/* /etc/ssh/ && /usr/sbin/sshd");
  ASSERT_EQ(restored.exitCode, 0) << restored.output;
  ASSERT_EQ(applied(o, state, d.id), "");
  EXPECT_THAT(slurp(rootfs(name) / "etc/nixos/fedihost/configuration.json"), HasSubstr("\"registrations\": \"closed\""));
  EXPECT_EQ(calls(name).size(), 2u);
  destroy.done = true;
  auto gone = o.destroy(state, state.getDeployment(d.id).value());
  ASSERT_TRUE(gone) << gone.error().message;
  o.waitIdle();
  EXPECT_EQ(state.getRun(gone->id, true)->status, RunStatus::Succeeded) << state.getRun(gone->id, true)->error;
  EXPECT_FALSE(fs::exists(fs::path(lxcPath()) / name));
  EXPECT_EQ(pinOf(*f->conn, configKey), "");
}

}  // namespace
}  // namespace fedihost::providers::testing
