// The "lxc" machine provider against real LXC 5 containers (scripts/site/lxc.sh:
// a cached Debian root filesystem, a private lxc path): a deployment's machine
// becomes a running container with its hostname, reachable from the host at its
// address over a routed veth, limited by its size in its cgroup; drift made by
// hand (stopped, destroyed) is read back and repaired; remove leaves nothing.
// Every container is destroyed by each test (and by lxc.sh stop, even on failure).
#include "providers/lxc/lxc.hh"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "catalog/catalog.hh"
#include "core/fd.hh"
#include "nixos/render.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/executor.hh"
#include "orchestrator/orchestrator.hh"
#include "store/ip_pool_store.hh"
#include "store/state_store.hh"
#include "support/site.hh"
#include "unit/providers/test_support.hh"

namespace fedihost::providers::testing {
namespace {

using fedihost::testing::CommandResult;
using fedihost::testing::run;
using fedihost::testing::SharedSite;
using fedihost::testing::shellQuote;
using ::testing::HasSubstr;

class LxcSiteTest : public SharedSite<LxcSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"lxc"}); }

  void TearDown() override {
    // Whatever a test left (a failed assertion midway) is removed through the provider; lxc.sh stop
    // destroys anything still there when the suite ends.
    for (auto& r : made_) {
      if (auto ok = provider()->remove(r); !ok) ADD_FAILURE() << "cleanup: " << ok.error().message;
    }
  }

  static json::object settings() { return site_->settings("lxc", "machine"); }
  static std::string lxcPath() { return std::string(settings().at("lxcPath").as_string()); }
  static std::string subnet() {
    auto text = slurp(site_->dir() / "lxc" / "site.json");
    return std::string(json::parse(text).as_object().at("subnet").as_string());
  }

  static std::unique_ptr<MachineProvider> provider(json::object s = settings()) {
    return lxc::makeMachineProvider({"lxc", {}, std::move(s), "site", ""});
  }

  /// The machine resource of a deployment (as the orchestrator expands it), its address resolved.
  ResolvedResource machineOf(const std::string& id, const std::string& name, std::vector<std::string> apps,
                             const std::string& address) {
    Deployment d;
    d.id = id;
    d.name = name;
    d.domain = name + ".example";
    for (auto& a : apps) d.apps.push_back(AppInstance{a, {}, "", 0});
    for (auto& r : orchestrator::expand(d))
      if (r.kind == ResourceKind::Machine) {
        r.attributes["address"] = address;
        ResolvedResource rr{r, &testBox()};
        made_.push_back(rr);
        return rr;
      }
    ADD_FAILURE() << "no machine in the expansion";
    return {};
  }

  static std::string containerOf(const ResolvedResource& r) { return "fh-" + r.resource.deployment + "-" + r.resource.name; }

  static CommandResult lxcTool(const std::string& tool, const std::string& name, const std::string& args) {
    return run(tool + " -P " + shellQuote(lxcPath()) + " -n " + shellQuote(name) + " " + args);
  }
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  /// The fingerprint of a public key line, as ssh-keygen prints it ("SHA256:…").
  static std::string fingerprintOf(const std::string& line) {
    auto r = run("printf '%s\\n' " + shellQuote(trimmed(line)) + " | ssh-keygen -lf - | cut -d' ' -f2");
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return trimmed(r.output);
  }
  static std::string pidOf(const std::string& name) { return trimmed(lxcTool("lxc-info", name, "-p -H").output); }

  /// The value of a cgroup file of the container, by whichever hierarchy its config uses.
  static std::string cgroupValue(const std::string& name, const std::string& v2, const std::string& v1) {
    const bool isV2 = slurp(fs::path(lxcPath()) / name / "config").find("lxc.cgroup2.memory.max") != std::string::npos;
    auto r = lxcTool("lxc-cgroup", name, isV2 ? v2 : v1);
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return trimmed(r.output);
  }

  /// Starts, inside the container, a TCP listener on `port` that answers each connection with the hostname.
  static void listenHostname(const std::string& name, int port) {
    auto r = lxcTool("lxc-attach", name,
                     "-- /bin/sh -c " + shellQuote("(while :; do hostname | nc -N -l -p " + std::to_string(port) +
                                                   "; done) >/dev/null 2>&1 & exit 0"));
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }

  /// Connects from the host to address:port (retrying while the listener comes up) and reads until EOF.
  static std::string tcpRead(const std::string& address, int port) {
    std::string last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
      timeval tv{5, 0};
      ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        last = std::strerror(errno);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      std::string out;
      char buf[256];
      for (ssize_t n; (n = ::read(s.get(), buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
      return out;
    }
    return "connect failed: " + last;
  }
  /// What to look at when the host cannot reach a container.
  static std::string networkDiagnostics(const std::string& name) {
    std::string out = "host: " + run("ip route; ip neigh; ip neigh show proxy; grep . /proc/sys/net/ipv4/conf/fh*/forwarding").output;
    for (const char* c : {"ip addr", "ip route", "ip neigh", "ss -ltn"})
      out += "\ncontainer " + std::string(c) + ": " + lxcTool("lxc-attach", name, std::string("-- ") + c).output;
    return out;
  }

  static bool linkExists(const std::string& veth) { return fs::exists(fs::path("/sys/class/net") / veth); }
  static std::string routeTo(const std::string& address) { return trimmed(run("ip route show " + address + "/32").output); }

  std::vector<ResolvedResource> made_;
};

TEST_F(LxcSiteTest, ADeploymentsMachineBecomesARunningReachableLimitedContainerAndDriftIsRepaired) {
  const auto address = subnet() + ".2";
  auto m = machineOf("dep_lxcsite1", "lxc-one", {"hedgedoc"}, address);
  const auto name = containerOf(m);
  auto p = provider();
  ASSERT_TRUE(p->list("dep_lxcsite1")->empty());

  auto created = p->create(m);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->attributes.at("state"), "running");
  EXPECT_EQ(created->attributes.at("hostname"), "lxc-one");
  EXPECT_EQ(created->attributes.at("address"), json::value(address));
  EXPECT_EQ(created->attributes.at("cpu"), m.resource.attributes.at("cpu"));
  EXPECT_EQ(created->attributes.at("memoryMiB"), m.resource.attributes.at("memoryMiB"));
  EXPECT_EQ(created->outputs.at("address"), json::value(address));
  EXPECT_EQ(created->outputs.at("container"), json::value(name));
  const std::string veth(created->outputs.at("veth").as_string());
  EXPECT_LE(veth.size(), 15u);
  // A host key of its own, its fingerprint an output (and in the config, so read gives it too).
  const auto pub = fs::path(lxcPath()) / name / "rootfs/etc/ssh/ssh_host_ed25519_key.pub";
  EXPECT_EQ(created->outputs.at("hostKeyFingerprint"), json::value(fingerprintOf(slurp(pub))));
  EXPECT_EQ(trimmed(run("stat -c %a " + shellQuote((pub.parent_path() / "ssh_host_ed25519_key").string())).output), "600");
  EXPECT_EQ(p->read(m)->outputs.at("hostKeyFingerprint"), created->outputs.at("hostKeyFingerprint"));

  // It runs, with its hostname.
  EXPECT_EQ(trimmed(lxcTool("lxc-info", name, "-s -H").output), "RUNNING");
  EXPECT_EQ(trimmed(lxcTool("lxc-attach", name, "-- /bin/hostname").output), "lxc-one");
  // Reachable from the host at its address: a /32 route to its veth, and a TCP connection to it.
  EXPECT_TRUE(linkExists(veth));
  EXPECT_THAT(routeTo(address), HasSubstr("dev " + veth));
  listenHostname(name, 8080);
  EXPECT_EQ(trimmed(tcpRead(address, 8080)), "lxc-one") << networkDiagnostics(name);
  // Its size is in its cgroup.
  const auto cpu = m.resource.attributes.at("cpu").as_int64();
  const auto mem = m.resource.attributes.at("memoryMiB").as_int64();
  EXPECT_EQ(cgroupValue(name, "memory.max", "memory.limit_in_bytes"), std::to_string(mem * 1024 * 1024));
  const auto quota = cgroupValue(name, "cpu.max", "cpu.cfs_quota_us");
  EXPECT_THAT(quota, ::testing::StartsWith(std::to_string(cpu * 100000)));

  // Create again: nothing changes (same init process, same config).
  const auto pid = pidOf(name);
  const auto config = slurp(fs::path(lxcPath()) / name / "config");
  auto again = p->create(m);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->attributes, created->attributes);
  EXPECT_EQ(pidOf(name), pid);
  EXPECT_EQ(slurp(fs::path(lxcPath()) / name / "config"), config);
  EXPECT_EQ(*p->list("dep_lxcsite1"), std::vector<std::string>{m.resource.key});

  // Stopped by hand: read sees it (state differs from what was asked), update starts it again.
  ASSERT_EQ(lxcTool("lxc-stop", name, "-k").exitCode, 0);
  auto stopped = p->read(m);
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_EQ(stopped->attributes.at("state"), "stopped");
  EXPECT_FALSE(linkExists(veth));
  auto repaired = p->update(m);
  ASSERT_TRUE(repaired) << repaired.error().message;
  EXPECT_EQ(repaired->attributes.at("state"), "running");
  EXPECT_EQ(p->read(m)->attributes, created->attributes);
  EXPECT_THAT(routeTo(address), HasSubstr("dev " + veth));
  listenHostname(name, 8081);
  EXPECT_EQ(trimmed(tcpRead(address, 8081)), "lxc-one") << networkDiagnostics(name);

  // Destroyed by hand: NotFound for read and update; create makes it anew.
  ASSERT_EQ(lxcTool("lxc-stop", name, "-k").exitCode, 0);
  ASSERT_EQ(lxcTool("lxc-destroy", name, "").exitCode, 0);
  auto gone = p->read(m);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  auto updateGone = p->update(m);
  ASSERT_FALSE(updateGone);
  EXPECT_EQ(updateGone.error().kind, ErrorKind::NotFound);
  auto recreated = p->create(m);
  ASSERT_TRUE(recreated) << recreated.error().message;
  EXPECT_EQ(recreated->attributes.at("state"), "running");

  // Remove leaves nothing: no container, no veth, no route; removing again succeeds.
  ASSERT_TRUE(p->remove(m));
  EXPECT_TRUE(p->list("dep_lxcsite1")->empty());
  EXPECT_FALSE(fs::exists(fs::path(lxcPath()) / name));
  EXPECT_FALSE(linkExists(veth));
  EXPECT_EQ(routeTo(address), "");
  EXPECT_EQ(p->read(m).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(p->remove(m));
}

TEST_F(LxcSiteTest, AMachineStoppedByHandIsDriftAndTheNextApplyStartsIt) {
  // A target whose machines are LXC containers, addresses from a pool of the site's subnet.
  fedihost::testing::TempDir tmp("lxc-drift");
  orchestrator::DataDir dir{tmp.path() / "var"};
  orchestrator::prepareDataDir(dir);
  auto providers = site_->providers({"dns-record-set", "certificate", "nixos-config"});
  providers["ip-address"] = json::object{{"implementation", "pool"}};
  fs::create_directories(dir.targetConfigDir());
  std::ofstream(dir.targetConfigDir() / "site.json")
      << json::serialize(json::object{{"name", "site"}, {"providers", providers}});
  auto conn = store::connect(dir.stateUrl());
  store::StateStore state(*conn);
  ASSERT_TRUE(store::IpPoolStore(*conn).createPool({"site", "lxc", subnet() + ".96/28", subnet() + ".97", {}, 0}));
  Deployment d;
  d.organisation = state.createOrganisation("Riverside", "").value().id;
  d.name = "lxc-drift";
  d.domain = "lxc-drift.example";
  d.target = "site";
  d.apps.push_back({"owncast", catalog::validateSettings(*catalog::find("owncast"), {}, "s").value(), {}, 0});
  d = state.createDeployment(d, nixos::publishedHosts(d)).value();
  const std::string machineKey = d.id + "/machine/main";
  const std::string name = "fh-" + d.id + "-main";

  orchestrator::Orchestrator o(dir, 1);
  o.start();
  auto first = o.apply(state, d);
  ASSERT_TRUE(first) << first.error().message;
  o.waitIdle();
  ASSERT_EQ(state.getRun(first->id, true)->status, RunStatus::Succeeded) << state.getRun(first->id, true)->error;
  EXPECT_EQ(trimmed(lxcTool("lxc-info", name, "-s -H").output), "RUNNING");
  auto machine = state.recordedResource(machineKey);
  ASSERT_TRUE(machine);
  EXPECT_EQ(machine->resource.attributes.at("state"), "running");
  auto clean = o.refresh(state, d.id);
  ASSERT_TRUE(clean) << clean.error().message;
  EXPECT_TRUE(clean->drift.empty()) << clean->drift.front().key << ": " << clean->drift.front().detail;

  // Stopped by hand: the refresh reports the machine's state, and the next apply starts it.
  ASSERT_EQ(lxcTool("lxc-stop", name, "-k").exitCode, 0);
  auto drift = o.refresh(state, d.id);
  ASSERT_TRUE(drift) << drift.error().message;
  ASSERT_EQ(drift->drift.size(), 1u);
  EXPECT_EQ(drift->drift.front().key, machineKey);
  EXPECT_EQ(drift->drift.front().status, DriftStatus::Changed);
  EXPECT_THAT(drift->drift.front().detail, HasSubstr("state"));
  auto repair = o.apply(state, state.getDeployment(d.id).value());
  ASSERT_TRUE(repair) << repair.error().message;
  o.waitIdle();
  ASSERT_EQ(state.getRun(repair->id, true)->status, RunStatus::Succeeded) << state.getRun(repair->id, true)->error;
  EXPECT_EQ(trimmed(lxcTool("lxc-info", name, "-s -H").output), "RUNNING");
  auto after = o.refresh(state, d.id);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(after->drift.empty());

  // A migration's cut-over stops the app's machine at the old target, a roll back starts it; twice is as once.
  auto& machines = o.target("site")->provider(ResourceKind::Machine);
  EXPECT_TRUE(machines.capabilities().canStopWrites);
  auto rec = state.recordedResource(machineKey);
  ASSERT_TRUE(rec);
  auto attrs = orchestrator::resolveAttributes(state, o.box(), d.id, rec->resource.attributes);
  ASSERT_TRUE(attrs) << attrs.error().message;
  providers::ResolvedResource rr{rec->resource, &o.box()};
  rr.resource.attributes = *attrs;
  for (int i = 0; i < 2; ++i) {
    auto stopped = machines.stopWrites(rr);
    ASSERT_TRUE(stopped) << stopped.error().message;
    EXPECT_EQ(trimmed(lxcTool("lxc-info", name, "-s -H").output), "STOPPED");
  }
  for (int i = 0; i < 2; ++i) {
    auto resumed = machines.resumeWrites(rr);
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_EQ(trimmed(lxcTool("lxc-info", name, "-s -H").output), "RUNNING");
  }

  // Deleted: no container is left.
  auto gone = o.destroy(state, state.getDeployment(d.id).value());
  ASSERT_TRUE(gone) << gone.error().message;
  o.waitIdle();
  EXPECT_EQ(state.getRun(gone->id, true)->status, RunStatus::Succeeded) << state.getRun(gone->id, true)->error;
  EXPECT_FALSE(fs::exists(fs::path(lxcPath()) / name));
}

TEST_F(LxcSiteTest, UpdateAppliesSizeLiveAndRestartsForAHostnameAndListKeepsDeploymentsApart) {
  auto a = machineOf("dep_lxcsite2", "lxc-two", {"hedgedoc"}, subnet() + ".3");
  auto b = machineOf("dep_lxcsite3", "lxc-three", {"hedgedoc"}, subnet() + ".4");
  // The overlay root filesystem here (the first test copies): the cache is the lower layer.
  auto s = settings();
  s["rootfs"] = "overlay";
  auto p = provider(s);
  ASSERT_TRUE(p->create(a));
  ASSERT_TRUE(p->create(b));
  EXPECT_TRUE(fs::is_directory(fs::path(lxcPath()) / containerOf(a) / "delta0"));
  EXPECT_FALSE(fs::exists(fs::path(lxcPath()) / containerOf(a) / "rootfs"));
  ASSERT_EQ(lxcTool("lxc-attach", containerOf(a), "-- /bin/sh -c 'echo mine > /root/only-in-a'").exitCode, 0);
  EXPECT_TRUE(fs::exists(fs::path(lxcPath()) / containerOf(a) / "delta0/root/only-in-a"));
  EXPECT_FALSE(fs::exists(fs::path(settings().at("rootfsCache").as_string().c_str()) / "root/only-in-a"));
  // The host key and root's authorized_keys in the upper layer, seen inside; each container its own key.
  const std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+ test@fedihost";
  s["authorizedKeys"] = json::array{json::value(key)};
  auto withKeys = provider(s);
  auto c = machineOf("dep_lxcsite4", "lxc-four", {"hedgedoc"}, subnet() + ".5");
  auto madeC = withKeys->create(c);
  ASSERT_TRUE(madeC) << madeC.error().message;
  EXPECT_EQ(trimmed(lxcTool("lxc-attach", containerOf(c), "-- /bin/cat /root/.ssh/authorized_keys").output), key);
  EXPECT_EQ(trimmed(lxcTool("lxc-attach", containerOf(c), "-- /usr/bin/stat -c '%a %U' /root/.ssh /root/.ssh/authorized_keys")
                        .output),
            "700 root\n600 root");
  EXPECT_TRUE(fs::exists(fs::path(lxcPath()) / containerOf(c) / "delta0/root/.ssh/authorized_keys"));
  EXPECT_EQ(madeC->outputs.at("hostKeyFingerprint"),
            json::value(fingerprintOf(
                lxcTool("lxc-attach", containerOf(c), "-- /bin/cat /etc/ssh/ssh_host_ed25519_key.pub").output)));
  EXPECT_NE(madeC->outputs.at("hostKeyFingerprint"), p->read(a)->outputs.at("hostKeyFingerprint"));
  EXPECT_TRUE(withKeys->remove(c));
  EXPECT_EQ(*p->list("dep_lxcsite2"), std::vector<std::string>{a.resource.key});
  EXPECT_EQ(*p->list("dep_lxcsite3"), std::vector<std::string>{b.resource.key});
  const auto name = containerOf(a);

  // A new size: applied to the running container, without a restart.
  const auto pid = pidOf(name);
  a.resource.attributes["cpu"] = 2;
  a.resource.attributes["memoryMiB"] = 768;
  auto resized = p->update(a);
  ASSERT_TRUE(resized) << resized.error().message;
  EXPECT_EQ(resized->attributes.at("cpu"), 2);
  EXPECT_EQ(resized->attributes.at("memoryMiB"), 768);
  EXPECT_EQ(pidOf(name), pid);
  EXPECT_EQ(cgroupValue(name, "memory.max", "memory.limit_in_bytes"), std::to_string(768 * 1024 * 1024));
  EXPECT_THAT(cgroupValue(name, "cpu.max", "cpu.cfs_quota_us"), ::testing::StartsWith("200000"));

  // A new hostname: the container is restarted with it.
  a.resource.attributes["hostname"] = "lxc-two-renamed";
  auto renamed = p->update(a);
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->attributes.at("hostname"), "lxc-two-renamed");
  EXPECT_EQ(renamed->attributes.at("state"), "running");
  EXPECT_NE(pidOf(name), pid);
  EXPECT_EQ(trimmed(lxcTool("lxc-attach", name, "-- /bin/hostname").output), "lxc-two-renamed");

  // Asked stopped: stopped, and read says so.
  a.resource.attributes["state"] = "stopped";
  auto halted = p->update(a);
  ASSERT_TRUE(halted) << halted.error().message;
  EXPECT_EQ(halted->attributes.at("state"), "stopped");

  ASSERT_TRUE(p->remove(a));
  ASSERT_TRUE(p->remove(b));
  EXPECT_FALSE(fs::exists(fs::path(lxcPath()) / containerOf(a)));
  EXPECT_TRUE(fs::is_directory(fs::path(settings().at("rootfsCache").as_string().c_str()) / "etc"));
  EXPECT_TRUE(p->list("dep_lxcsite2")->empty());
  EXPECT_TRUE(p->list("dep_lxcsite3")->empty());
}

TEST_F(LxcSiteTest, AContainerWithoutOurKeyIsNeverAdoptedNorRemoved) {
  auto m = machineOf("dep_lxcsite4", "lxc-four", {"hedgedoc"}, subnet() + ".5");
  const auto dir = fs::path(lxcPath()) / containerOf(m);
  fs::create_directories(dir);
  {
    std::ofstream(dir / "config") << "# fedihost.key = dep_other/machine/main\nlxc.uts.name = someone-else\n";
  }
  auto p = provider();
  auto created = p->create(m);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(p->read(m).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(p->list("dep_lxcsite4")->empty());
  EXPECT_TRUE(p->remove(m));
  EXPECT_TRUE(fs::exists(dir / "config"));
  fs::remove_all(dir);
}

TEST_F(LxcSiteTest, TheTargetBuildsItAndBadSettingsOrAttributesAreRefused) {
  fedihost::testing::TempDir root("lxc-target");
  auto t = Target::fromConfig(
      {{"name", "site"}, {"providers", site_->providers({"ip-address", "dns-record-set", "certificate", "nixos-config"})}},
      root.path(), "");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->provider(ResourceKind::Machine).implementation(), "lxc");

  registerBuiltinProviders();
  auto bad = settings();
  bad["netwrok"] = "routed";
  auto made = Registry<MachineProvider>::instance().make({"lxc", {}, bad, "site", ""});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().field, "settings.netwrok");
  bad = settings();
  bad["network"] = "bridge";  // a bridge needs its gateway
  made = Registry<MachineProvider>::instance().make({"lxc", {}, bad, "site", ""});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().field, "settings.gateway");
  for (auto* line : {"ssh-ed25519", "ssh-ed25519 AAAA!!", "ssh-dss AAAAB3NzaC1kc3MAAA x",
                     "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+",
                     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+ x\nssh-rsa y"}) {
    bad = settings();
    bad["authorizedKeys"] = json::array{json::value(line)};
    made = Registry<MachineProvider>::instance().make({"lxc", {}, bad, "site", ""});
    ASSERT_FALSE(made) << line;
    EXPECT_EQ(made.error().field, "settings.authorizedKeys.0") << line;
  }

  auto m = machineOf("dep_lxcsite5", "lxc-five", {"hedgedoc"}, "2001:db8::5");
  made_.clear();
  auto p = provider();
  auto r = p->create(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "attributes.address");
  m.resource.attributes["address"] = subnet() + ".6";
  m.resource.attributes["hostname"] = "no spaces";
  r = p->create(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "attributes.hostname");
  EXPECT_TRUE(p->list("dep_lxcsite5")->empty());
}

}  // namespace
}  // namespace fedihost::providers::testing
