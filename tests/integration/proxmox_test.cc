// The "proxmox" machine provider against tests/fakes/proxmox_fake.mjs, a FAKE
// of the Proxmox VE API that follows the published schema (parameters checked,
// {"data": …} envelopes, UPIDs, asynchronous tasks that take time and can fail,
// 500 on a locked guest), over HTTPS with a certificate made for each test. The
// fake's request log shows exactly which calls the provider made.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "net/http.hh"
#include "orchestrator/expand.hh"
#include "providers/proxmox/proxmox.hh"
#include "support/targets.hh"
#include "providers/proxmox/proxmox_api.hh"
#include "support/process.hh"
#include "support/test_server.hh"
#include "support/temp_dir.hh"

namespace fedihost::providers::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using fedihost::testing::Process;
using fedihost::testing::run;
using fedihost::testing::shellQuote;
using fedihost::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kTokenId = "fedihost@pve!deploy";
constexpr const char* kSecret = "5f1e8a0c-3b7d-4c2e-9a61-0d4f2b8e7c13";
const std::vector<std::string> kKeys = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl op+1@example.net",
                                        "ssh-rsa AAAAB3NzaC1yc2E= second/key=="};

std::string schemaPath() {
  if (auto* e = std::getenv("FEDIHOST_PROXMOX_SCHEMA")) return e;
  // The published schema cut to the paths the fake serves (tests/data/proxmox/extract.mjs
  // makes it from the whole schema, which FEDIHOST_PROXMOX_SCHEMA may name instead).
  return std::string(FEDIHOST_SOURCE_DIR) + "/tests/data/proxmox/api-schema-subset.json";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A self-signed certificate for 127.0.0.1 and its SHA-256 fingerprint ("AB:CD:…").
std::string makeCertificate(const fs::path& dir, const std::string& name) {
  auto r = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=pve1 "
               "-addext subjectAltName=IP:127.0.0.1 -days 2 -keyout " +
               shellQuote((dir / (name + ".key")).string()) + " -out " + shellQuote((dir / (name + ".pem")).string()) +
               " && openssl x509 -noout -fingerprint -sha256 -in " + shellQuote((dir / (name + ".pem")).string()));
  if (r.exitCode != 0) throw std::runtime_error("openssl: " + r.output);
  auto eq = r.output.rfind('=');
  auto fp = r.output.substr(eq + 1);
  while (!fp.empty() && (fp.back() == '\n' || fp.back() == '\r')) fp.pop_back();
  return fp;
}

/// A JSON string (or number) as text, for comparisons.
std::string str(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

/// One call of the request log: "GET /cluster/nextid" and its parameters.
struct Call {
  std::string line;
  json::object params;
  std::string status;
};

class ProxmoxFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(schemaPath())) GTEST_FAIL() << "the Proxmox VE API schema is missing: " << schemaPath()
                                                << " (set FEDIHOST_PROXMOX_SCHEMA)";
    fingerprint_ = makeCertificate(dir_.path(), "fake");
    const auto log = (dir_ / "fake.log").string();
    fake_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/node", std::string(FEDIHOST_SOURCE_DIR) + "/tests/fakes/proxmox_fake.mjs",
                                 "--port", "0", "--cert", (dir_ / "fake.pem").string(), "--key",
                                 (dir_ / "fake.key").string(), "--schema", schemaPath(), "--token",
                                 std::string(kTokenId) + "=" + kSecret, "--node", "pve1", "--task-ms", "40"},
        log);
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      auto text = slurp(log);
      auto at = text.find("listening on 127.0.0.1:");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos)
        port_ = std::stoi(text.substr(at + 23));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_NE(port_, 0) << "the fake did not start: " << slurp(log);
  }

  json::object settings(const std::string& guest = "qemu") const {
    json::object s{{"apiUrl", "https://127.0.0.1:" + std::to_string(port_)},
                   {"tokenId", kTokenId},
                   {"tokenSecret", kSecret},
                   {"fingerprint", fingerprint_},
                   {"node", "pve1"},
                   {"template", guest == "qemu" ? 9000 : 9001},
                   {"guest", guest},
                   {"gateway", "10.20.0.1"},
                   {"prefixLength", 24},
                   {"nameservers", json::array{"10.20.0.2", "10.20.0.3"}},
                   {"pollMs", 5},
                   {"lockBackoffMs", 5}};
    if (guest == "qemu") {
      s["ciuser"] = "root";
      json::array keys;
      for (auto& k : kKeys) keys.emplace_back(k);
      s["sshKeys"] = keys;
    }
    return s;
  }

  std::unique_ptr<MachineProvider> provider(json::object s) const {
    return proxmox::makeMachineProvider({"proxmox", {}, std::move(s), "pve", ""});
  }

  /// The machine of a deployment as the orchestrator expands it, its address resolved.
  static ResolvedResource machine(const std::string& id = "d1", const std::string& address = "10.20.0.15") {
    Deployment d;
    d.id = id;
    d.name = "social";
    d.domain = "social.example";
    d.apps.push_back(AppInstance{"mastodon", {}, "", 0});
    for (auto& r : orchestrator::expand(d))
      if (r.kind == ResourceKind::Machine) {
        r.attributes["address"] = address;
        return ResolvedResource{r, nullptr};
      }
    throw std::runtime_error("no machine in the expansion");
  }

  /// GET/POST of the fake's own control API (over HTTPS, the test's CA the certificate itself).
  json::value fake(const std::string& method, const std::string& path, const std::string& body = "") const {
    net::HttpRequest req;
    req.method = method;
    req.url = "https://127.0.0.1:" + std::to_string(port_) + path;
    req.tls.caFile = (dir_ / "fake.pem").string();
    req.body = body;
    if (!body.empty()) req.headers = {{"Content-Type", "application/json"}};
    auto r = net::send(req);
    if (!r || r->status != 200) throw std::runtime_error("fake control " + path + " failed");
    return json::parse(r->body);
  }
  void control(const json::object& c) const { fake("POST", "/_fake/control", json::serialize(c)); }

  /// The request log, task status polls folded (their number depends on timing).
  std::vector<Call> calls(bool foldPolls = true) const {
    std::vector<Call> out;
    const auto log = fake("GET", "/_fake/log");
    for (auto& e : log.as_array()) {
      auto& o = e.as_object();
      Call c{std::string(o.at("method").as_string()) + " " + std::string(o.at("path").as_string()),
             o.at("params").as_object(),
             o.contains("status") ? json::serialize(o.at("status")) : ""};
      auto task = c.line.find("/tasks/");
      if (task != std::string::npos) c.line = c.line.substr(0, task) + "/tasks/{upid}" + c.line.substr(c.line.rfind('/'));
      if (foldPolls && !out.empty() && out.back().line == c.line && c.line.ends_with("/tasks/{upid}/status")) continue;
      out.push_back(std::move(c));
    }
    return out;
  }
  static std::vector<std::string> lines(const std::vector<Call>& cs) {
    std::vector<std::string> v;
    for (auto& c : cs) v.push_back(c.line);
    return v;
  }
  json::array vms() const { return fake("GET", "/_fake/vms").as_array(); }
  json::object vm(int vmid) const {
    for (auto& v : vms())
      if (v.as_object().at("vmid").to_number<int>() == vmid) return v.as_object();
    return {};
  }
  std::size_t logSize() const { return fake("GET", "/_fake/log").as_array().size(); }

  TempDir dir_{"fedihost-proxmox"};
  std::string fingerprint_;
  int port_ = 0;
  std::unique_ptr<Process> fake_;
};

const std::vector<std::string> kQemuCreate = {
    "GET /nodes/pve1/qemu",                       // is it there already (a resumed run)?
    "GET /cluster/nextid",                        // a free VM id
    "POST /nodes/pve1/qemu/9000/clone",           // the template, cloned under our name
    "GET /nodes/pve1/tasks/{upid}/status",        // … until stopped/OK
    "GET /nodes/pve1/qemu",                       // found by its name
    "GET /nodes/pve1/qemu/100/config",            // and its description's identity key
    "POST /nodes/pve1/qemu/100/config",           // cores, memory, cloud-init, tags
    "GET /nodes/pve1/tasks/{upid}/status",
    "PUT /nodes/pve1/qemu/100/resize",            // the disk to the machine's size
    "GET /nodes/pve1/tasks/{upid}/status",
    "GET /nodes/pve1/qemu/100/status/current",
    "POST /nodes/pve1/qemu/100/status/start",
    "GET /nodes/pve1/tasks/{upid}/status",
    "GET /nodes/pve1/qemu/100/config",            // read back
    "GET /nodes/pve1/qemu/100/status/current",
};

TEST_F(ProxmoxFakeTest, CreateIssuesExactlyTheCallsARealClusterNeedsAndTheGuestRunsAsAsked) {
  auto p = provider(settings());
  auto m = machine();
  auto o = p->create(m);
  ASSERT_TRUE(o) << o.error().message;
  auto cs = calls();
  EXPECT_THAT(lines(cs), ::testing::ElementsAreArray(kQemuCreate));
  for (auto& c : cs) EXPECT_EQ(c.status, "200") << c.line;

  // The clone: our name, our identity key in the description, a full copy.
  auto& clone = cs[2].params;
  EXPECT_EQ(str(clone.at("newid")), "100");
  EXPECT_EQ(str(clone.at("name")), "fh-d1-main");
  EXPECT_EQ(str(clone.at("description")), "fedihost.key=" + m.resource.key);
  EXPECT_EQ(str(clone.at("full")), "1");
  EXPECT_EQ(clone.size(), 4u);
  // The config: as the fake decoded the form, so sshkeys is still URL-encoded once (Proxmox decodes it itself).
  auto& config = cs[6].params;
  EXPECT_EQ(str(config.at("cores")), std::to_string(m.resource.attributes.at("cpu").as_int64()));
  EXPECT_EQ(str(config.at("memory")), std::to_string(m.resource.attributes.at("memoryMiB").as_int64()));
  EXPECT_EQ(str(config.at("ipconfig0")), "ip=10.20.0.15/24,gw=10.20.0.1");
  EXPECT_EQ(str(config.at("ciuser")), "root");
  EXPECT_EQ(str(config.at("nameserver")), "10.20.0.2 10.20.0.3");
  EXPECT_EQ(config.at("sshkeys"),
            "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl%20op%2B1%40example.net%0A"
            "ssh-rsa%20AAAAB3NzaC1yc2E%3D%20second%2Fkey%3D%3D");
  EXPECT_EQ(str(config.at("tags")), "fedihost;" + proxmox::identityTag(m.resource.key));
  EXPECT_EQ(str(cs[8].params.at("disk")), "scsi0");
  EXPECT_EQ(str(cs[8].params.at("size")), std::to_string(m.resource.attributes.at("diskGiB").as_int64()) + "G");

  // What the cluster holds now, and what the provider reports.
  auto held = vm(100);
  EXPECT_EQ(str(held.at("status")), "running");
  EXPECT_FALSE(held.contains("lock"));
  EXPECT_EQ(str(held.at("config").as_object().at("name")), "fh-d1-main");
  EXPECT_EQ(str(o->attributes.at("state")), "running");
  EXPECT_EQ(str(o->attributes.at("address")), "10.20.0.15");
  EXPECT_EQ(o->attributes.at("cpu"), m.resource.attributes.at("cpu"));
  EXPECT_EQ(o->attributes.at("memoryMiB"), m.resource.attributes.at("memoryMiB"));
  EXPECT_EQ(o->attributes.at("diskGiB"), m.resource.attributes.at("diskGiB"));
  EXPECT_EQ(o->outputs.at("vmid"), 100);
  EXPECT_EQ(str(o->outputs.at("address")), "10.20.0.15");

  // A second create (a retried step) finds it and changes nothing.
  const auto before = logSize();
  auto again = p->create(m);
  ASSERT_TRUE(again) << again.error().message;
  std::vector<std::string> second;
  auto all = calls(false);
  for (std::size_t i = before; i < all.size(); ++i) second.push_back(all[i].line);
  EXPECT_THAT(second, ElementsAre("GET /nodes/pve1/qemu", "GET /nodes/pve1/qemu/100/config",
                                  "GET /nodes/pve1/qemu/100/status/current", "GET /nodes/pve1/qemu/100/config",
                                  "GET /nodes/pve1/qemu/100/status/current"));
  auto listed = p->list("d1");
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_THAT(*listed, ElementsAre(m.resource.key));
  EXPECT_THAT(*p->list("d2"), ::testing::IsEmpty());
}

TEST_F(ProxmoxFakeTest, AStoppedGuestIsDriftThatUpdateRepairsAndARemovedOneIsNotFound) {
  auto p = provider(settings());
  auto m = machine();
  ASSERT_TRUE(p->create(m));
  control({{"stop", 100}});  // stopped by hand
  auto r = p->read(m);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(str(r->attributes.at("state")), "stopped");
  auto u = p->update(m);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(str(u->attributes.at("state")), "running");
  EXPECT_EQ(str(vm(100).at("status")), "running");

  control({{"destroy", 100}});  // removed by hand
  auto gone = p->read(m);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(p->update(m).error().kind, ErrorKind::NotFound);
}

TEST_F(ProxmoxFakeTest, DeleteStopsAndDestroysWithPurgeAndDeletingAgainSucceeds) {
  auto p = provider(settings());
  auto m = machine();
  ASSERT_TRUE(p->create(m));
  const auto before = logSize();
  ASSERT_TRUE(p->remove(m));
  std::vector<Call> del;
  auto all = calls(false);
  for (std::size_t i = before; i < all.size(); ++i)
    if (all[i].line.find("/tasks/") == std::string::npos) del.push_back(all[i]);
  EXPECT_THAT(lines(del), ElementsAre("GET /nodes/pve1/qemu", "GET /nodes/pve1/qemu/100/config",
                                      "GET /nodes/pve1/qemu/100/status/current",
                                      "POST /nodes/pve1/qemu/100/status/stop", "DELETE /nodes/pve1/qemu/100"));
  EXPECT_EQ(str(del.back().params.at("purge")), "1");
  EXPECT_EQ(str(del.back().params.at("destroy-unreferenced-disks")), "1");
  EXPECT_EQ(vms().size(), 2u);  // the two templates only
  EXPECT_TRUE(p->remove(m));
  EXPECT_EQ(p->read(m).error().kind, ErrorKind::NotFound);
}

TEST_F(ProxmoxFakeTest, AFailingTaskReportsItsExitStatusAndTaskLog) {
  auto p = provider(settings());
  control({{"failNextTask",
            {{"type", "qmclone"},
             {"message", "clone failed: lvcreate 'pve/vm-100-disk-0' error: Volume group \"pve\" has insufficient free space"},
             {"log", json::array{"create full clone of drive scsi0 (local-lvm:base-9000-disk-0)",
                                 "  Volume group \"pve\" has insufficient free space (1023 extents): 1024 required."}}}}});
  auto o = p->create(machine());
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().kind, ErrorKind::Provider);
  EXPECT_THAT(o.error().message, HasSubstr("qmclone 9000 on pve1 failed: clone failed: lvcreate"));
  EXPECT_THAT(o.error().message, HasSubstr("has insufficient free space (1023 extents): 1024 required."));
  EXPECT_THAT(o.error().message, HasSubstr("TASK ERROR: clone failed"));
  auto cs = lines(calls());
  EXPECT_EQ(cs.back(), "GET /nodes/pve1/tasks/{upid}/log");
  EXPECT_EQ(vms().size(), 2u);  // a failed clone leaves nothing
}

TEST_F(ProxmoxFakeTest, ACreateKilledAfterItsCloneWasSentResumesWithoutASecondGuest) {
  auto p = provider(settings());
  auto m = machine();
  // The clone reaches the cluster, the answer never reaches us (as for a run killed then).
  control({{"hangupAfter", "/clone"}});
  auto first = p->create(m);
  ASSERT_FALSE(first);
  // The resumed run (a new provider: nothing kept in memory) finds the guest being cloned, waits, adopts it.
  auto again = provider(settings())->create(m);
  ASSERT_TRUE(again) << again.error().message;
  int clones = 0;
  for (auto& c : calls(false)) clones += c.line.ends_with("/clone");
  EXPECT_EQ(clones, 1);
  EXPECT_EQ(vms().size(), 3u);
  EXPECT_EQ(str(vm(100).at("status")), "running");
  EXPECT_EQ(again->outputs.at("vmid"), 100);
}

TEST_F(ProxmoxFakeTest, AVmIdTakenBetweenNextidAndCloneIsRetriedWithTheNextOne) {
  auto p = provider(settings());
  control({{"raceNextid", true}});  // another client clones to the id /cluster/nextid proposed
  auto o = p->create(machine());
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->outputs.at("vmid"), 101);
  std::vector<std::string> clones;
  for (auto& c : calls(false))
    if (c.line.ends_with("/clone")) clones.push_back(json::value_to<std::string>(c.params.at("newid")) + " " + c.status);
  EXPECT_THAT(clones, ElementsAre("100 500", "101 200"));
  EXPECT_EQ(str(vm(100).at("config").as_object().at("name")), "another-client");  // theirs, untouched
}

TEST_F(ProxmoxFakeTest, ALockedGuestIsRetriedWithBackoffUntilTheLockIsGone) {
  auto p = provider(settings());
  auto m = machine();
  ASSERT_TRUE(p->create(m));
  control({{"lock", {{"vmid", 100}, {"lock", "backup"}, {"requests", 2}}}});  // a backup holds it for two attempts
  m.resource.attributes["cpu"] = 4;
  const auto before = logSize();
  auto u = p->update(m);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->attributes.at("cpu"), 4);
  std::vector<std::string> configs;
  auto all = calls(false);
  for (std::size_t i = before; i < all.size(); ++i)
    if (all[i].line == "POST /nodes/pve1/qemu/100/config") configs.push_back(all[i].status);
  EXPECT_THAT(configs, ElementsAre("500", "500", "200"));
  // Only what changed is sent, and the running guest is rebooted to apply it.
  EXPECT_EQ(all[all.size() - 1].line.find("status/current") != std::string::npos, true);
  bool rebooted = false;
  for (std::size_t i = before; i < all.size(); ++i) rebooted |= all[i].line.ends_with("/status/reboot");
  EXPECT_TRUE(rebooted);
}

TEST_F(ProxmoxFakeTest, AWrongFingerprintIsRefusedBeforeTheTokenIsSent) {
  TempDir other{"fedihost-proxmox-other"};
  auto s = settings();
  s["fingerprint"] = makeCertificate(other.path(), "other");
  auto o = provider(s)->create(machine());
  ASSERT_FALSE(o);
  EXPECT_THAT(o.error().message, HasSubstr("TLS certificate"));
  EXPECT_THAT(o.error().message, HasSubstr("not the pinned certificate"));
  EXPECT_EQ(logSize(), 0u);  // no request reached the server

  // A CA file that did not sign it is refused too; the right one is accepted.
  s.erase("fingerprint");
  s["caFile"] = (other.path() / "other.pem").string();
  auto viaCa = provider(s)->read(machine());
  ASSERT_FALSE(viaCa);
  EXPECT_THAT(viaCa.error().message, HasSubstr("TLS certificate"));
  EXPECT_EQ(logSize(), 0u);
  s["caFile"] = (dir_ / "fake.pem").string();
  auto ok = provider(s)->create(machine());
  ASSERT_TRUE(ok) << ok.error().message;
}

TEST_F(ProxmoxFakeTest, AWrongTokenIsRefusedWithProxmoxsMessage) {
  auto s = settings();
  s["tokenSecret"] = "not-the-secret";
  auto o = provider(s)->create(machine());
  ASSERT_FALSE(o);
  EXPECT_THAT(o.error().message, HasSubstr("401 invalid token value!"));
  EXPECT_THAT(o.error().message, HasSubstr("credentials refused"));
}

TEST_F(ProxmoxFakeTest, AContainerGuestGoesThroughTheLxcPaths) {
  auto p = provider(settings("lxc"));
  auto m = machine();
  auto o = p->create(m);
  ASSERT_TRUE(o) << o.error().message;
  auto cs = calls();
  EXPECT_THAT(lines(cs), ElementsAre("GET /nodes/pve1/lxc", "GET /cluster/nextid", "POST /nodes/pve1/lxc/9001/clone",
                                     "GET /nodes/pve1/tasks/{upid}/status", "GET /nodes/pve1/lxc",
                                     "GET /nodes/pve1/lxc/100/config", "PUT /nodes/pve1/lxc/100/config",
                                     "PUT /nodes/pve1/lxc/100/resize", "GET /nodes/pve1/tasks/{upid}/status",
                                     "GET /nodes/pve1/lxc/100/status/current", "POST /nodes/pve1/lxc/100/status/start",
                                     "GET /nodes/pve1/tasks/{upid}/status", "GET /nodes/pve1/lxc/100/config",
                                     "GET /nodes/pve1/lxc/100/status/current"));
  EXPECT_EQ(str(cs[2].params.at("hostname")), "fh-d1-main");
  EXPECT_EQ(str(cs[6].params.at("net0")), "name=eth0,bridge=vmbr0,ip=10.20.0.15/24,gw=10.20.0.1");
  EXPECT_EQ(str(cs[7].params.at("disk")), "rootfs");
  EXPECT_EQ(str(o->attributes.at("address")), "10.20.0.15");
  EXPECT_EQ(str(o->attributes.at("state")), "running");
  ASSERT_TRUE(p->remove(m));
  EXPECT_EQ(vms().size(), 2u);
}

TEST_F(ProxmoxFakeTest, TheTargetBuildsItAndRefusesUnverifiedOrIncompleteSettings) {
  auto t = Target::fromConfig({{"name", "pve"}, {"providers", fedihost::testing::withFileProviders({{"machine", {{"implementation", "proxmox"}, {"settings", settings()}}}})}},
                              dir_.path(), "");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->provider(ResourceKind::Machine).implementation(), "proxmox");
  auto refused = [&](json::object s) {
    auto r = Target::fromConfig({{"name", "pve"}, {"providers", fedihost::testing::withFileProviders({{"machine", {{"implementation", "proxmox"}, {"settings", s}}}})}},
                                dir_.path(), "");
    return r ? std::string("accepted") : r.error().message;
  };
  auto s = settings();
  s.erase("fingerprint");
  EXPECT_THAT(refused(s), HasSubstr("never used unverified"));
  s = settings();
  s["caFile"] = "/etc/pve/pve-root-ca.pem";
  EXPECT_THAT(refused(s), HasSubstr("exactly one of caFile"));
  s = settings();
  s["apiUrl"] = "http://127.0.0.1:8006";
  EXPECT_THAT(refused(s), HasSubstr("https://"));
  s = settings();
  s["tokenId"] = "fedihost@pve";
  EXPECT_THAT(refused(s), HasSubstr("USER@REALM!TOKENID"));
  s = settings();
  s["fingerprint"] = "AB:CD";
  EXPECT_THAT(refused(s), HasSubstr("SHA-256"));
  s = settings();
  s["insecure"] = true;
  EXPECT_THAT(refused(s), HasSubstr("unknown setting"));
}

TEST_F(ProxmoxFakeTest, ADeploymentOntoTheFakeIssuesTheCallsOfOneGuestAndItsDeleteRemovesIt) {
  // A target whose machines are Proxmox guests (every other kind: files), applied through the API.
  auto prepare = [&](const orchestrator::DataDir& dir) {
    json::object target{{"name", "pve"},
                        {"providers", fedihost::testing::withFileProviders(
                                          {{"machine", {{"implementation", "proxmox"}, {"settings", settings()}}}})}};
    fs::create_directories(dir.targetConfigDir());
    std::ofstream(dir.targetConfigDir() / "pve.json") << json::serialize(target);
  };
  fedihost::testing::TestServer server(prepare);
  auto api = server.operatorClient();
  auto org = api->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside School"})");
  ASSERT_EQ(org.status, 201) << org.body;
  auto orgId = str(json::parse(org.body).at("id"));
  auto created = api->post("/api/v1/organisations/" + orgId + "/deployments",
                           R"({"name":"social","domain":"social.example.test","target":"pve","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto id = str(json::parse(created.body).at("id"));
  auto follow = [&](const client::HttpResponse& started) {
    EXPECT_EQ(started.status, 202) << started.body;
    json::value last;
    api->stream("/api/v1/runs/" + str(json::parse(started.body).at("id")) + "/events",
                [&](const std::string& ev, const std::string& d) {
                  if (ev == "run") last = json::parse(d);
                  return true;
                });
    return last.is_object() ? str(last.at("status")) : std::string("no run event");
  };
  ASSERT_EQ(follow(api->post("/api/v1/deployments/" + id + "/apply")), "succeeded");
  EXPECT_THAT(lines(calls()), ::testing::ElementsAreArray(kQemuCreate));
  auto guest = vm(100);
  EXPECT_EQ(str(guest.at("status")), "running");
  EXPECT_EQ(str(guest.at("config").as_object().at("name")), proxmox::guestName(id, "main"));
  EXPECT_EQ(str(guest.at("config").as_object().at("description")),
            "fedihost.key=" + resourceKey(id, ResourceKind::Machine, "main"));

  auto deleted = api->request("DELETE", "/api/v1/deployments/" + id, "");
  ASSERT_EQ(deleted.status, 202) << deleted.body;
  EXPECT_EQ(follow(deleted), "succeeded");
  EXPECT_EQ(vms().size(), 2u);  // the templates only
}

}  // namespace
}  // namespace fedihost::providers::testing
