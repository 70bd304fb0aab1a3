#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sodium.h>

#include "catalog/catalog.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/orchestrator.hh"
#include "nixos/render.hh"
#include "secrets/keys.hh"
#include "store/accounting_store.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"

namespace fedihost::orchestrator {
namespace {

namespace fs = std::filesystem;

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.root = tmp_.path() / "var";
    prepareDataDir(dir_);
    conn_ = store::connect(dir_.stateUrl());
    state_ = std::make_unique<store::StateStore>(*conn_);
    auto org = state_->createOrganisation("Riverside", "").value();
    Deployment d;
    d.organisation = org.id;
    d.name = "social";
    d.domain = "social.example.test";
    for (std::string app : {"mastodon", "pixelfed"})
      d.apps.push_back({app, catalog::validateSettings(*catalog::find(app), boost::json::value(), "s").value(), {}, 0});
    deployment_ = state_->createDeployment(d, nixos::publishedHosts(d)).value();
  }

  fedihost::Run applyAndWait(Orchestrator& o, RunKind kind) {
    auto d = state_->getDeployment(deployment_.id).value();
    auto run = (kind == RunKind::Apply ? o.apply(*state_, d) : o.destroy(*state_, d)).value();
    o.waitIdle();
    return state_->getRun(run.id, true).value();
  }

  static int countFiles(const fs::path& p) {
    if (!fs::exists(p)) return 0;
    int n = 0;
    for (auto& e : fs::recursive_directory_iterator(p)) n += e.is_regular_file();
    return n;
  }

  testing::TempDir tmp_;
  DataDir dir_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::StateStore> state_;
  Deployment deployment_;
};

TEST_F(ExecutorTest, ApplyWritesTheFileTargetAndASecondPlanIsEmpty) {
  Orchestrator o(dir_, 2);
  o.start();
  auto run = applyAndWait(o, RunKind::Apply);
  EXPECT_EQ(run.status, RunStatus::Succeeded) << run.error;
  EXPECT_EQ(run.done, run.total);
  for (auto& s : run.steps) EXPECT_EQ(s.status, StepStatus::Succeeded) << s.resourceKey << ": " << s.error;
  EXPECT_EQ(state_->getDeployment(deployment_.id)->status, DeploymentStatus::Ready);

  auto path = o.deploymentPath(deployment_.id);
  EXPECT_TRUE(fs::exists(path / "machines" / "main" / "configuration.json"));
  EXPECT_TRUE(fs::exists(path / "dns" / "social.example.test.zone"));
  EXPECT_TRUE(o.planFor(*state_, state_->getDeployment(deployment_.id).value()).empty());

  // The database manifest holds the password sealed, never in clear.
  std::ifstream in(path / "databases" / ("mastodon_" + deployment_.id.substr(4) + ".json"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("\"sealed\": \"sb2:"), std::string::npos);

  // Applying again changes nothing on disk.
  int before = countFiles(path);
  auto second = applyAndWait(o, RunKind::Apply);
  EXPECT_EQ(second.status, RunStatus::Succeeded);
  EXPECT_EQ(second.total, 0);
  EXPECT_EQ(countFiles(path), before);
}

TEST_F(ExecutorTest, TheNixosConfigurationOnTheFileTargetGetsItsProvidersOutputs) {
  Orchestrator o(dir_, 2);
  o.start();
  ASSERT_EQ(applyAndWait(o, RunKind::Apply).status, RunStatus::Succeeded);
  std::ifstream in(o.deploymentPath(deployment_.id) / "machines" / "main" / "configuration.json");
  auto c = boost::json::parse(std::string((std::istreambuf_iterator<char>(in)), {})).as_object();
  const auto& db = c.at("apps").at("mastodon").at("database");
  EXPECT_EQ(db.at("host"), "localhost");  // a database in files: the machine's own server
  EXPECT_EQ(db.at("port"), 5432);
  EXPECT_EQ(db.at("name"), boost::json::value("mastodon_" + deployment_.id.substr(4)));
  EXPECT_EQ(db.at("user"), db.at("name"));
  EXPECT_EQ(c.at("apps").at("mastodon").at("s3").at("endpoint"), "");  // the machine's operator names it
  EXPECT_EQ(c.at("apps").at("mastodon").at("smtp").at("host"), "");
  EXPECT_EQ(c.at("apps").at("mastodon").at("smtp").at("user"), "mastodon@social.example.test");
  auto cert = state_->recordedResource(deployment_.id + "/certificate/main");
  ASSERT_TRUE(cert);
  EXPECT_EQ(c.at("services").at("nginx").at("certificate").at("serial"), cert->outputs.at("serial"));
}

TEST_F(ExecutorTest, TheNixosConfigurationGetsTheRealProvidersOutputsAndSecretsStayPaths) {
  // Every resource recorded as the target's real providers (postgresql, s3, postfix, acme) leave them.
  auto d = state_->getDeployment(deployment_.id).value();
  Resource nixosConfig;
  for (auto& r : expand(d)) {
    boost::json::object outputs;
    switch (r.kind) {
      case ResourceKind::IpAddress: outputs = {{"address", "203.0.113.7"}}; break;
      case ResourceKind::Database:
        outputs = {{"host", "db.dc1.example.net"}, {"port", 6432}, {"name", r.attributes.at("name")},
                   {"role", r.attributes.at("owner")}};
        break;
      case ResourceKind::AccessKey:
        outputs = {{"accessKeyId", "AKID-" + r.name}, {"endpoint", "https://s3.dc1.example.net:3900"}, {"region", "dc1"}};
        break;
      case ResourceKind::MailAccount:
        outputs = {{"host", "smtp.dc1.example.net"}, {"port", 2525}, {"username", r.attributes.at("address")}};
        break;
      case ResourceKind::Certificate:
        outputs = {{"chain", "-----BEGIN CERTIFICATE-----"}, {"key", "sb2:00000000:sealed"}, {"serial", "0a1b2c"}};
        break;
      case ResourceKind::NixosConfig: nixosConfig = r; continue;
      default: break;
    }
    state_->recordResource(r, outputs);
  }
  auto box = secrets::SecretBox::openOrCreate(dir_.secretKey());
  auto resolved = resolveAttributes(*state_, box, d.id, nixosConfig.attributes);
  ASSERT_TRUE(resolved) << resolved.error().message;
  const auto& c = resolved->at("configuration").as_object();
  const auto& mastodon = c.at("apps").at("mastodon");
  EXPECT_EQ(mastodon.at("database").at("host"), "db.dc1.example.net");
  EXPECT_EQ(mastodon.at("database").at("port"), 6432);
  EXPECT_EQ(mastodon.at("database").at("user"), boost::json::value("mastodon_" + d.id.substr(4)));
  EXPECT_EQ(mastodon.at("database").at("passwordFile"), "/run/fedihost/secrets/mastodon-database-password");
  EXPECT_EQ(mastodon.at("s3").at("endpoint"), "https://s3.dc1.example.net:3900");
  EXPECT_EQ(mastodon.at("s3").at("region"), "dc1");
  EXPECT_EQ(mastodon.at("s3").at("accessKey"), "AKID-mastodon");
  EXPECT_EQ(mastodon.at("s3").at("secretAccessKeyFile"), "/run/fedihost/secrets/mastodon-s3-secret-key");
  EXPECT_EQ(mastodon.at("smtp").at("host"), "smtp.dc1.example.net");
  EXPECT_EQ(mastodon.at("smtp").at("port"), 2525);
  EXPECT_EQ(mastodon.at("smtp").at("user"), "mastodon@social.example.test");
  EXPECT_EQ(c.at("apps").at("pixelfed").at("database").at("host"), "db.dc1.example.net");
  EXPECT_EQ(c.at("services").at("postgresql").at("users").at(0).at("host"), "db.dc1.example.net");
  EXPECT_EQ(c.at("services").at("nginx").at("certificate").at("serial"), "0a1b2c");
  EXPECT_EQ(c.at("networking").at("address"), "203.0.113.7");
  // No secret and no sealed value in the configuration: only paths of delivered files.
  const auto text = boost::json::serialize(c);
  EXPECT_EQ(text.find("sb2:"), std::string::npos);
  EXPECT_EQ(text.find("BEGIN CERTIFICATE"), std::string::npos);
  // The secrets travel beside the configuration, sealed, to be delivered as files (nixos-config's
  // `secrets`, the ssh provider), never inside it.
  ASSERT_TRUE(resolved->contains("secrets"));
  EXPECT_TRUE(resolved->at("secrets").as_object().contains("mastodon-database-password"));
  // Pixelfed's APP_KEY is made here, sealed like the others, in Laravel's form: "base64:" and
  // the base64 of 32 random bytes; it is made once and kept.
  auto appKey = [&](const boost::json::object& attrs) {
    auto sealed = attrs.at("secrets").at("pixelfed-app-key").at("sealed").as_string();
    return box.open(std::string_view(sealed.data(), sealed.size())).value();
  };
  const std::string key = appKey(*resolved);
  ASSERT_TRUE(key.starts_with("base64:")) << "not a Laravel key";
  unsigned char raw[64];
  std::size_t len = 0;
  ASSERT_EQ(sodium_base642bin(raw, sizeof raw, key.data() + 7, key.size() - 7, nullptr, &len, nullptr,
                              sodium_base64_VARIANT_ORIGINAL),
            0);
  EXPECT_EQ(len, 32u);
  EXPECT_EQ(state_->sealedSecrets(d.id).count("pixelfed-app-key"), 1u);
  auto again = resolveAttributes(*state_, box, d.id, nixosConfig.attributes);
  ASSERT_TRUE(again);
  EXPECT_EQ(appKey(*again), key);
}

TEST_F(ExecutorTest, APublicKeyIsMadeFromItsPrivateKeyAndBothAreKept) {
  const std::string dep = "dep_0000000000000077";
  auto box = secrets::SecretBox::openOrCreate(dir_.secretKey());
  auto refs = [](std::initializer_list<const char*> names) {
    boost::json::object secrets;
    for (auto* n : names) secrets[n] = boost::json::object{{"secret", n}};
    return boost::json::object{{"secrets", std::move(secrets)}};
  };
  auto clear = [&](const boost::json::object& attrs, const std::string& name) {
    auto sealed = attrs.at("secrets").at(name).at("sealed").as_string();
    return box.open(std::string_view(sealed.data(), sealed.size())).value();
  };
  // The public key asked for first: its private key is made for it, kept, and the pair matches.
  auto early = resolveAttributes(*state_, box, dep, refs({"mastodon-vapid-public-key"}));
  ASSERT_TRUE(early) << early.error().message;
  const auto kept = state_->sealedSecrets(dep);
  ASSERT_EQ(kept.count("mastodon-vapid-private-key"), 1u);
  ASSERT_EQ(kept.count("mastodon-vapid-public-key"), 1u);
  const std::string vapidPublic = clear(*early, "mastodon-vapid-public-key");
  EXPECT_EQ(vapidPublic, secrets::vapidPublicKey(box.open(kept.at("mastodon-vapid-private-key")).value()).value());

  // Asked for again with the private key: the same pair (the RSA pair is left to
  // tests/unit/secrets/keys_test.cc and the restore test).
  auto both = refs({"mastodon-vapid-private-key", "mastodon-vapid-public-key"});
  auto resolved = resolveAttributes(*state_, box, dep, both);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(clear(*resolved, "mastodon-vapid-public-key"), vapidPublic);
  EXPECT_EQ(clear(*resolved, "mastodon-vapid-public-key"),
            secrets::vapidPublicKey(clear(*resolved, "mastodon-vapid-private-key")).value());
  EXPECT_EQ(state_->sealedSecrets(dep).size(), 2u);

  // A private key that is none (a corrupt row): an error, never a fresh key in its place.
  const std::string broken = "dep_0000000000000078";
  state_->sealedSecret(broken, "pixelfed-passport-private-key", [&] { return box.seal("not a key"); });
  EXPECT_THROW(resolveAttributes(*state_, box, broken, refs({"pixelfed-passport-public-key"})), AbortError);
  EXPECT_EQ(state_->sealedSecrets(broken).count("pixelfed-passport-public-key"), 0u);
  EXPECT_EQ(box.open(state_->sealedSecrets(broken).at("pixelfed-passport-private-key")).value(), "not a key");
}

TEST_F(ExecutorTest, AReferenceWithADefaultIsTheOutputOrTheDefaultWhenTheProviderGivesNone) {
  auto d = state_->getDeployment(deployment_.id).value();
  Resource machine, nixosConfig;
  for (auto& r : expand(d)) {
    if (r.kind == ResourceKind::Machine) machine = r;
    if (r.kind == ResourceKind::NixosConfig) nixosConfig = r;
  }
  auto box = secrets::SecretBox::openOrCreate(dir_.secretKey());
  const boost::json::object attrs{{"hostKeyFingerprint", nixosConfig.attributes.at("hostKeyFingerprint")}};
  // Not recorded yet: an error, default or not.
  EXPECT_FALSE(resolveAttributes(*state_, box, d.id, attrs));
  // A machine provider without the output (file, proxmox): the default, null.
  state_->recordResource(machine, {{"address", "203.0.113.7"}});
  auto resolved = resolveAttributes(*state_, box, d.id, attrs);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_TRUE(resolved->at("hostKeyFingerprint").is_null());
  // One that gives it (lxc): the output.
  state_->recordResource(machine, {{"address", "203.0.113.7"}, {"hostKeyFingerprint", "SHA256:abc"}});
  resolved = resolveAttributes(*state_, box, d.id, attrs);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->at("hostKeyFingerprint"), "SHA256:abc");
  // Without a default, a missing output stays an error.
  EXPECT_FALSE(resolveAttributes(*state_, box, d.id,
                                 {{"x", {{"ref", machine.key}, {"output", "nothing"}}}}));
}

TEST_F(ExecutorTest, DestroyRemovesExactlyItsFilesAndForgetsItsResources) {
  Orchestrator o(dir_, 1);
  o.start();
  applyAndWait(o, RunKind::Apply);
  // A file that belongs to nobody else in the target must survive.
  auto other = dir_.targetRoot("local") / "dep_other";
  fs::create_directories(other);
  std::ofstream(other / "keep.txt") << "x";

  auto run = applyAndWait(o, RunKind::Destroy);
  EXPECT_EQ(run.status, RunStatus::Succeeded) << run.error;
  EXPECT_FALSE(fs::exists(o.deploymentPath(deployment_.id))) << countFiles(o.deploymentPath(deployment_.id)) << " files left: " << [&] { std::string s; for (auto& e : fs::recursive_directory_iterator(o.deploymentPath(deployment_.id))) s += e.path().string() + " "; return s; }();
  for (auto& s : run.steps) EXPECT_EQ(s.status, StepStatus::Succeeded) << s.resourceKey << s.error;
  EXPECT_TRUE(fs::exists(other / "keep.txt"));
  EXPECT_TRUE(state_->recordedResources(deployment_.id).empty());
  EXPECT_EQ(state_->getDeployment(deployment_.id)->status, DeploymentStatus::Deleted);
}

TEST_F(ExecutorTest, OneRunAtATimePerDeployment) {
  Orchestrator o(dir_, 1);  // not started: the first run stays queued
  auto d = state_->getDeployment(deployment_.id).value();
  ASSERT_TRUE(o.apply(*state_, d).ok());
  auto second = o.apply(*state_, d);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::Conflict);
}

TEST_F(ExecutorTest, AnInterruptedRunResumesWithoutCreatingTwice) {
  std::string runId;
  {
    Orchestrator o(dir_, 1);  // queued, never started: as if the process died
    runId = o.apply(*state_, state_->getDeployment(deployment_.id).value()).value().id;
  }
  // Pretend the first half ran before the crash, and the step in flight was half done.
  {
    Orchestrator o(dir_, 1);
    o.start();
    o.waitIdle();
  }
  auto run = state_->getRun(runId, true).value();
  EXPECT_EQ(run.status, RunStatus::Succeeded) << run.error;
  auto firstIp = state_->recordedResource(deployment_.id + "/ip-address/main")->outputs.at("address");

  // Mark every step as interrupted and run it again: creates find what exists.
  for (auto& s : run.steps) state_->setStepStatus(runId, s.seq, StepStatus::Running);
  state_->setRunStatus(runId, RunStatus::Running);
  {
    Orchestrator o(dir_, 1);
    o.start();
    o.waitIdle();
  }
  run = state_->getRun(runId, true).value();
  EXPECT_EQ(run.status, RunStatus::Succeeded) << run.error;
  EXPECT_EQ(state_->recordedResource(deployment_.id + "/ip-address/main")->outputs.at("address"), firstIp);
  int ipFiles = countFiles(dir_.targetRoot("local") / deployment_.id / "ip");
  EXPECT_EQ(ipFiles, 1);
}

TEST_F(ExecutorTest, AFailedStepSkipsItsDependentsAndTheRunFails) {
  // Block the machine's directory with a file so the machine cannot be written.
  auto path = dir_.targetRoot("local") / deployment_.id;
  fs::create_directories(path);
  std::ofstream(path / "machines") << "not a directory";
  Orchestrator o(dir_, 1);
  o.start();
  auto run = applyAndWait(o, RunKind::Apply);
  EXPECT_EQ(run.status, RunStatus::Failed);
  bool sawFailed = false, sawSkipped = false;
  for (auto& s : run.steps) {
    if (s.kind == ResourceKind::Machine) {
      EXPECT_EQ(s.status, StepStatus::Failed);
      EXPECT_FALSE(s.error.empty());
      sawFailed = true;
    }
    if (s.kind == ResourceKind::NixosConfig) {
      EXPECT_EQ(s.status, StepStatus::Skipped);
      sawSkipped = true;
    }
    if (s.kind == ResourceKind::Database) {
      EXPECT_EQ(s.status, StepStatus::Succeeded);
    }
  }
  EXPECT_TRUE(sawFailed && sawSkipped);
  EXPECT_EQ(state_->getDeployment(deployment_.id)->status, DeploymentStatus::Failed);

  // Once the obstacle is gone, the next apply converges.
  fs::remove(path / "machines");
  auto retry = applyAndWait(o, RunKind::Apply);
  EXPECT_EQ(retry.status, RunStatus::Succeeded) << retry.error;
  EXPECT_TRUE(o.planFor(*state_, state_->getDeployment(deployment_.id).value()).empty());
}

}  // namespace
}  // namespace fedihost::orchestrator
