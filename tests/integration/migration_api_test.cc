// Migrations over the API (docs/backup-and-migration.md, "Migration"), between two file
// targets ("local" and "dc2", each its own directory of files): the deployment moves with
// its identity and secrets, its DNS records are switched, the downtime is measured, the
// old side is kept until an operator removes it. A health check that fails after the DNS
// switch rolls back (DNS back to the old side, the new side removed); a migration left in
// its cut-over by a killed server is rolled back at the next start. Who may ask (operators;
// members see it; another organisation 404), and what is refused. Runs on SQLite and, in
// label pg, on PostgreSQL. The real data path (two PostgreSQL servers, a writer that keeps
// writing) is tests/site/migration_test.cc.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "orchestrator/backups.hh"
#include "orchestrator/orchestrator.hh"
#include "secrets/secret_box.hh"
#include "store/migration_store.hh"
#include "store/state_store.hh"
#include "support/targets.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class MigrationApiTest : public ::testing::Test {
 protected:
  testing::TestServer server_{[](const orchestrator::DataDir& dir) {
    fs::create_directories(dir.targetConfigDir());
    std::ofstream(dir.targetConfigDir() / "dc2.json")
        << json::serialize(json::object{{"name", "dc2"}, {"providers", testing::withFileProviders()}});
  }};
  std::unique_ptr<client::Client> op_ = server_.operatorClient();
  secrets::SecretBox box_ = secrets::SecretBox::openOrCreate(server_.dataDir().secretKey());
  std::string org_ = organisation("harbour");

  std::string organisation(const std::string& name) {
    auto r = op_->post("/api/v1/organisations", json::serialize(json::object{{"name", name}, {"displayName", name}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  std::string deployment(const std::string& name) {
    auto r = op_->post("/api/v1/organisations/" + org_ + "/deployments",
                       json::serialize(json::object{{"name", name},
                                                    {"domain", name + ".example.test"},
                                                    {"apps", json::array{json::object{{"app", "mastodon"}}}}}));
    EXPECT_EQ(r.status, 201) << r.body;
    auto id = std::string(json::parse(r.body).at("id").as_string());
    EXPECT_EQ(op_->post("/api/v1/deployments/" + id + "/apply", "").status, 202);
    server_.orchestrator().waitIdle();
    return id;
  }
  json::object read(const std::string& path) {
    auto r = op_->get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body).as_object();
  }
  std::string migrate(const std::string& dep, const std::string& to) {
    auto r = op_->post("/api/v1/deployments/" + dep + "/migrations", json::serialize(json::object{{"target", to}}));
    EXPECT_EQ(r.status, 202) << r.body;
    auto id = std::string(json::parse(r.body).at("id").as_string());
    EXPECT_EQ(r.headers["location"], "/api/v1/migrations/" + id);
    server_.orchestrator().backups().waitIdle();
    return id;
  }
  std::map<std::string, std::string> secretsOf(const std::string& dep) {
    std::map<std::string, std::string> out;
    for (auto& [name, sealed] : server_.state().sealedSecrets(dep)) out[name] = box_.open(sealed).value();
    return out;
  }
  /// The identity keys a target's providers hold for the deployment, DNS record sets apart or not.
  std::set<std::string> heldAt(const std::string& target, const std::string& dep, bool withDns) {
    std::set<std::string> out;
    const auto* t = server_.orchestrator().target(target);
    for (auto kind : allResourceKinds()) {
      if (!t->has(kind) || (!withDns && kind == ResourceKind::DnsRecordSet)) continue;
      auto listed = t->provider(kind).list(dep);
      EXPECT_TRUE(listed) << listed.error().message;
      if (listed) out.insert(listed->begin(), listed->end());
    }
    return out;
  }
  std::set<std::string> recordedKeys(const std::string& dep, bool withDns) {
    std::set<std::string> out;
    for (auto& r : server_.state().recordedResources(dep))
      if (withDns || r.resource.kind != ResourceKind::DnsRecordSet) out.insert(r.resource.key);
    return out;
  }
  std::string journalText(const json::object& m) {
    std::string out;
    for (auto& l : m.at("journal").as_array())
      out += std::string(l.at("part").as_string()) + ": " + std::string(l.at("message").as_string()) + "\n";
    return out;
  }
  /// The addresses a target's DNS provider holds for the deployment's domain.
  std::string dnsAt(const std::string& target, const std::string& dep) {
    std::string out;
    for (auto& rec : server_.state().recordedResources(dep)) {
      if (rec.resource.kind != ResourceKind::DnsRecordSet) continue;
      providers::ResolvedResource rr{rec.resource, &box_};
      auto held = server_.orchestrator().target(target)->provider(ResourceKind::DnsRecordSet).read(rr);
      if (held) out += json::serialize(held->attributes.at("records"));
    }
    return out;
  }
};

TEST_F(MigrationApiTest, TheDeploymentMovesWithItsSecretsAndTheOldSideIsKeptUntilRemoved) {
  const auto dep = deployment("social");
  const auto secrets = secretsOf(dep);
  const auto keys = recordedKeys(dep, true);
  ASSERT_FALSE(keys.empty());
  ASSERT_EQ(heldAt("local", dep, true), keys);
  ASSERT_TRUE(heldAt("dc2", dep, true).empty());

  // Customers may not move a deployment: targets are the provider's.
  auto admin = server_.customerClient("admin@harbour.example.test", org_, Role::OrgAdmin);
  EXPECT_EQ(admin->post("/api/v1/deployments/" + dep + "/migrations", R"({"target":"dc2"})").status, 403);

  const auto id = migrate(dep, "dc2");
  auto m = read("/api/v1/migrations/" + id);
  ASSERT_EQ(m.at("status"), "succeeded") << json::serialize(m);
  EXPECT_EQ(m.at("phase"), "done");
  EXPECT_EQ(m.at("from"), "local");
  EXPECT_EQ(m.at("to"), "dc2");
  EXPECT_EQ(m.at("oldSide"), "kept");
  ASSERT_TRUE(m.at("downtimeMs").is_int64()) << json::serialize(m);
  EXPECT_GE(m.at("downtimeMs").as_int64(), 0);
  EXPECT_TRUE(m.at("writesStoppedAt").is_string());
  EXPECT_EQ(m.at("done"), m.at("total"));
  const auto journal = journalText(m);
  EXPECT_NE(journal.find("DNS switched to dc2"), std::string::npos) << journal;
  EXPECT_NE(journal.find("first copy while the app runs"), std::string::npos) << journal;
  EXPECT_NE(journal.find("final copy"), std::string::npos) << journal;

  // The deployment is dc2's: same identity keys, same secrets, every resource held there, and
  // nothing left to do (what is recorded is what dc2 holds).
  auto d = read("/api/v1/deployments/" + dep);
  EXPECT_EQ(d.at("target"), "dc2");
  EXPECT_EQ(d.at("status"), "ready");
  EXPECT_EQ(recordedKeys(dep, true), keys);
  EXPECT_EQ(secretsOf(dep), secrets);
  EXPECT_EQ(heldAt("dc2", dep, true), keys);
  auto plan = read("/api/v1/deployments/" + dep + "/plan");
  EXPECT_EQ(plan.at("empty"), true) << json::serialize(plan);

  // The members of the organisation see the migration; another organisation does not.
  auto viewer = server_.customerClient("viewer@harbour.example.test", org_, Role::Viewer);
  auto listed = viewer->get("/api/v1/deployments/" + dep + "/migrations");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body).at("items").as_array().at(0).at("id"), json::value(id));
  const auto other = organisation("elsewhere");
  auto outsider = server_.customerClient("admin@elsewhere.example.test", other, Role::OrgAdmin);
  EXPECT_EQ(outsider->get("/api/v1/migrations/" + id).status, 404);

  // The old side is still there (writes stopped where its providers can) until removed.
  EXPECT_EQ(heldAt("local", dep, false), recordedKeys(dep, false));
  EXPECT_EQ(admin->post("/api/v1/migrations/" + id + "/old-side-removal", "").status, 403);
  auto removal = op_->post("/api/v1/migrations/" + id + "/old-side-removal", "");
  ASSERT_EQ(removal.status, 202) << removal.body;
  server_.orchestrator().backups().waitIdle();
  m = read("/api/v1/migrations/" + id);
  EXPECT_EQ(m.at("oldSide"), "removed") << json::serialize(m);
  EXPECT_TRUE(heldAt("local", dep, false).empty());
  EXPECT_EQ(heldAt("dc2", dep, true), keys) << "removing the old side leaves the new one alone";
  EXPECT_EQ(op_->post("/api/v1/migrations/" + id + "/old-side-removal", "").status, 409);

  // An apply at dc2 afterwards finds nothing to do, and a second move back works the same way.
  EXPECT_EQ(op_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
  EXPECT_EQ(heldAt("dc2", dep, true), keys);
  const auto back = migrate(dep, "local");
  EXPECT_EQ(read("/api/v1/migrations/" + back).at("status"), "succeeded");
  EXPECT_EQ(read("/api/v1/deployments/" + dep).at("target"), "local");
  EXPECT_EQ(heldAt("local", dep, true), keys);
}

TEST_F(MigrationApiTest, AFailedHealthCheckRollsBackToTheOldSide) {
  const auto dep = deployment("social");
  const auto secrets = secretsOf(dep);
  const auto keys = recordedKeys(dep, true);
  const auto dnsBefore = dnsAt("local", dep);
  ASSERT_FALSE(dnsBefore.empty());
  // After the DNS switch, the new machine vanishes: the health check cannot read it back.
  std::string dnsAtSwitch;
  server_.orchestrator().backups().setMigrationHook([&](const std::string&, const std::string& step) {
    if (step == "switched") {
      dnsAtSwitch = dnsAt("dc2", dep);
      fs::remove_all(server_.dataDir().targetRoot("dc2") / dep / "machines");
    }
    return true;
  });
  const auto id = migrate(dep, "dc2");
  auto m = read("/api/v1/migrations/" + id);
  ASSERT_EQ(m.at("status"), "failed") << json::serialize(m);
  const std::string error(m.at("error").as_string());
  EXPECT_NE(error.find("health check at dc2"), std::string::npos) << error;
  EXPECT_NE(error.find("rolled back to local"), std::string::npos) << error;
  EXPECT_NE(std::string(m.at("failedPart").as_string()).find("/machine/"), std::string::npos);
  EXPECT_TRUE(m.at("downtimeMs").is_int64()) << "the time writes were stopped is said";
  EXPECT_TRUE(m.at("oldSide").is_null());
  EXPECT_FALSE(dnsAtSwitch.empty()) << "the switch wrote dc2's records";

  // Everything is as before: the deployment at local, its DNS records there, its resources and secrets.
  EXPECT_EQ(read("/api/v1/deployments/" + dep).at("target"), "local");
  EXPECT_EQ(dnsAt("local", dep), dnsBefore);
  EXPECT_EQ(heldAt("local", dep, true), keys);
  EXPECT_TRUE(heldAt("dc2", dep, false).empty()) << "what was made at dc2 is removed";
  EXPECT_EQ(secretsOf(dep), secrets);
  EXPECT_EQ(read("/api/v1/deployments/" + dep + "/plan").at("empty"), true);
  // The deployment is free again: a run may start.
  EXPECT_EQ(op_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
}

TEST_F(MigrationApiTest, AMigrationLeftInItsCutOverIsRolledBackAtTheNextStart) {
  const auto dep = deployment("social");
  const auto keys = recordedKeys(dep, true);
  // The server "dies" right after the final copy: writes stopped, the new side made, DNS not yet switched.
  server_.orchestrator().backups().setMigrationHook(
      [](const std::string&, const std::string& step) { return step != "final-copied"; });
  const auto id = migrate(dep, "dc2");
  auto row = store::MigrationStore(server_.state().connection()).get(id).value();
  ASSERT_EQ(row.status, store::JobStatus::Running);
  ASSERT_EQ(row.phase, store::MigrationPhase::CuttingOver);
  ASSERT_FALSE(heldAt("dc2", dep, false).empty());
  // While it is unfinished, the deployment is held.
  EXPECT_EQ(op_->post("/api/v1/deployments/" + dep + "/apply", "").status, 409);

  {
    orchestrator::Backups next(server_.orchestrator(), server_.dataDir().stateUrl(), server_.dataDir().backupsDir(),
                               server_.dataDir().bundleKey());
    next.start();
    next.waitIdle();
  }
  auto m = read("/api/v1/migrations/" + id);
  EXPECT_EQ(m.at("status"), "failed") << json::serialize(m);
  EXPECT_NE(std::string(m.at("error").as_string()).find("interrupted"), std::string::npos);
  EXPECT_NE(journalText(m).find("phase cutting-over"), std::string::npos);
  EXPECT_EQ(read("/api/v1/deployments/" + dep).at("target"), "local");
  EXPECT_EQ(heldAt("local", dep, true), keys);
  EXPECT_TRUE(heldAt("dc2", dep, false).empty());
  EXPECT_EQ(op_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
}

TEST_F(MigrationApiTest, WhatIsRefused) {
  const auto dep = deployment("social");
  auto post = [&](const std::string& body) { return op_->post("/api/v1/deployments/" + dep + "/migrations", body); };
  auto unknown = post(R"({"target":"nowhere"})");
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_NE(unknown.body.find("\"target\""), std::string::npos) << unknown.body;
  EXPECT_EQ(post(R"({"target":"local"})").status, 409) << "already there";
  EXPECT_EQ(post(R"({})").status, 400);
  EXPECT_EQ(post(R"({"target":"dc2","extra":1})").status, 422) << "an unknown field";
  // Held by a run: refused, and nothing is queued.
  auto claim = server_.state().claimRefresh(dep);
  ASSERT_TRUE(claim);
  EXPECT_EQ(post(R"({"target":"dc2"})").status, 409);
  server_.state().releaseRefresh(*claim);
  EXPECT_TRUE(store::MigrationStore(server_.state().connection()).list(dep).empty());
  // A deleted deployment has nothing to move.
  EXPECT_EQ(op_->request("DELETE", "/api/v1/deployments/" + dep).status, 202);
  server_.orchestrator().waitIdle();
  EXPECT_EQ(post(R"({"target":"dc2"})").status, 409);
}

}  // namespace
}  // namespace fedihost
