#include "store/state_store.hh"

#include <gtest/gtest.h>

#include <functional>

#include "store/accounting_store.hh"
#include "store/migrations.hh"
#include "store/plan_inputs.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::store {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect(db_.url());
    migrate(*conn_, DatabaseKind::State);
    state_ = std::make_unique<StateStore>(*conn_);
    org_ = state_->createOrganisation("Riverside School", "").value();
  }

  Deployment deployment(const std::string& name) {
    Deployment d;
    d.organisation = org_.id;
    d.name = name;
    d.domain = name + ".example.test";
    d.apps = {{"mastodon", {{"subdomain", "mastodon"}}, {}, 0}, {"pixelfed", {}, {}, 0}};
    return d;
  }

  testing::TempDir dir_;
  testing::TestDatabase db_{dir_.path(), "state.db"};
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<StateStore> state_;
  Organisation org_;
};

TEST_F(StateStoreTest, MigrationsAreAppliedOnceAndRecorded) {
  EXPECT_TRUE(migrate(*conn_, DatabaseKind::State).empty());
  auto v = conn_->queryOne("SELECT max(version) FROM schema_migrations");
  EXPECT_EQ(v->integer(0), latestVersion(DatabaseKind::State));
  EXPECT_GE(latestVersion(DatabaseKind::State), 1);
}

TEST_F(StateStoreTest, OrganisationNamesAreUnique) {
  auto dup = state_->createOrganisation("Riverside School", "");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(dup.error().field, "name");
  EXPECT_EQ(state_->getOrganisation(org_.id)->displayName, "Riverside School");
  EXPECT_EQ(state_->getOrganisation("org_nope").error().kind, ErrorKind::NotFound);
}

TEST_F(StateStoreTest, OrganisationsArePagedWithoutGapsOrRepeats) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(state_->createOrganisation("Org " + std::to_string(i), "").ok());
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = state_->listOrganisations(std::nullopt, 3, cursor);
    for (auto& o : page.items) EXPECT_TRUE(seen.insert(o.id).second) << o.id << " repeated";
    cursor = page.next;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(pages, 3);
}

TEST_F(StateStoreTest, DeploymentRoundTripKeepsAppsInOrderWithSettings) {
  auto d = state_->createDeployment(deployment("social"), {deployment("social").domain}).value();
  auto got = state_->getDeployment(d.id).value();
  EXPECT_EQ(got.name, "social");
  EXPECT_EQ(got.version, 1);
  EXPECT_EQ(got.status, DeploymentStatus::New);
  ASSERT_EQ(got.apps.size(), 2u);
  EXPECT_EQ(got.apps[0].app, "mastodon");
  EXPECT_EQ(got.apps[0].settings.at("subdomain").as_string(), "mastodon");
  EXPECT_EQ(got.apps[1].app, "pixelfed");
}

TEST_F(StateStoreTest, DuplicateLiveNameConflictsButADeletedNameIsFree) {
  auto d = state_->createDeployment(deployment("social"), {deployment("social").domain}).value();
  auto dup = state_->createDeployment(deployment("social"), {deployment("social").domain});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(dup.error().field, "name");
  EXPECT_EQ(state_->listDeployments(std::vector<std::string>{org_.id}, 50, "").items.size(), 1u);  // nothing half-written

  state_->setDeploymentStatus(d.id, DeploymentStatus::Deleted);
  EXPECT_TRUE(state_->createDeployment(deployment("social"), {deployment("social").domain}).ok());
  EXPECT_EQ(state_->listDeployments(std::vector<std::string>{org_.id}, 50, "").items.size(), 1u);  // deleted ones are not listed
}

TEST_F(StateStoreTest, ALiveDomainBelongsToOneDeployment) {
  auto d = state_->createDeployment(deployment("social"), {deployment("social").domain}).value();
  auto other = deployment("other");
  other.domain = d.domain;
  auto dup = state_->createDeployment(other, {other.domain});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().field, "domain");
  auto second = state_->createDeployment(deployment("second"), {deployment("second").domain}).value();
  second.domain = d.domain;
  EXPECT_EQ(state_->updateDeployment(second, 1, {second.domain}).error().kind, ErrorKind::Conflict);
  state_->setDeploymentStatus(d.id, DeploymentStatus::Deleted);
  EXPECT_TRUE(state_->createDeployment(other, {other.domain}).ok());
}

TEST_F(StateStoreTest, UpdateWithStaleVersionIsRefusedAndChangesNothing) {
  auto d = state_->createDeployment(deployment("social"), {deployment("social").domain}).value();
  d.domain = "new.example.test";
  auto updated = state_->updateDeployment(d, 1, {d.domain}).value();
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(updated.domain, "new.example.test");

  d.domain = "stale.example.test";
  auto stale = state_->updateDeployment(d, 1, {d.domain});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, ErrorKind::PreconditionFailed);
  EXPECT_EQ(state_->getDeployment(d.id)->domain, "new.example.test");
}

TEST_F(StateStoreTest, SecretsAreCreatedOnceAndKept) {
  int made = 0;
  auto make = [&] { return "sb1:sealed" + std::to_string(++made); };
  auto a = state_->sealedSecret("dep_1", "mastodon-database-password", make);
  auto b = state_->sealedSecret("dep_1", "mastodon-database-password", make);
  EXPECT_EQ(a, b);
  EXPECT_EQ(made, 1);
  state_->deleteSecrets("dep_1");
  EXPECT_NE(state_->sealedSecret("dep_1", "mastodon-database-password", make), a);
}

TEST_F(StateStoreTest, RecordedResourcesRoundTrip) {
  Resource r{"dep_1/machine/main", ResourceKind::Machine, "dep_1", "main", {{"cpu", 2}}, {"dep_1/ip-address/main"}};
  state_->recordResource(r, {{"hostname", "social"}});
  auto got = state_->recordedResource(r.key).value();
  EXPECT_EQ(got.resource.kind, ResourceKind::Machine);
  EXPECT_EQ(got.resource.attributes.at("cpu").as_int64(), 2);
  EXPECT_EQ(got.resource.dependsOn, r.dependsOn);
  EXPECT_EQ(got.outputs.at("hostname").as_string(), "social");
  r.attributes["cpu"] = 4;
  state_->recordResource(r, {});
  EXPECT_EQ(state_->recordedResources("dep_1").size(), 1u);
  EXPECT_EQ(state_->recordedResource(r.key)->resource.attributes.at("cpu").as_int64(), 4);
  state_->forgetResource(r.key);
  EXPECT_FALSE(state_->recordedResource(r.key).has_value());
}

TEST_F(StateStoreTest, RunsJournalStepsAndTrackProgress) {
  std::vector<PlanAction> actions{
      {ActionKind::Create, {"dep_1/ip-address/main", ResourceKind::IpAddress, "dep_1", "main", {}, {}}, "new"},
      {ActionKind::Create, {"dep_1/machine/main", ResourceKind::Machine, "dep_1", "main", {}, {"dep_1/ip-address/main"}},
       "new"}};
  auto run = state_->createRun("dep_1", RunKind::Apply, actions).value();
  EXPECT_EQ(run.total, 2);
  EXPECT_EQ(state_->activeRun("dep_1")->id, run.id);
  EXPECT_EQ(state_->unfinishedRuns().size(), 1u);

  state_->setRunStatus(run.id, RunStatus::Running);
  state_->setStepStatus(run.id, 1, StepStatus::Succeeded);
  state_->setStepStatus(run.id, 2, StepStatus::Failed, "disk full");
  auto got = state_->getRun(run.id, true).value();
  EXPECT_EQ(got.done, 2);
  EXPECT_EQ(got.steps[1].error, "disk full");
  EXPECT_EQ(got.steps[1].resource.at("dependsOn").as_array().size(), 1u);
  EXPECT_FALSE(got.startedAt.empty());

  state_->setRunStatus(run.id, RunStatus::Failed, "1 step failed");
  EXPECT_FALSE(state_->activeRun("dep_1").has_value());
  EXPECT_TRUE(state_->unfinishedRuns().empty());
  EXPECT_EQ(state_->listRuns("dep_1", 10, "").items.size(), 1u);
}

TEST_F(StateStoreTest, OneActiveRunPerDeploymentIsAConstraintOfTheDatabase) {
  auto first = state_->createRun("dep_1", RunKind::Apply, {}).value();
  auto second = state_->createRun("dep_1", RunKind::Destroy, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::Conflict);
  EXPECT_NE(second.error().message.find(first.id), std::string::npos) << second.error().message;
  // The database itself refuses it, whoever inserts (no check before the insert to race past).
  EXPECT_THROW(conn_->execute("INSERT INTO runs (id, deployment_id, kind, status, total, created_at) "
                              "VALUES ('run_raw', 'dep_1', 'apply', 'running', 0, 'x')"),
               ConstraintError);
  EXPECT_TRUE(state_->createRun("dep_2", RunKind::Apply, {}).ok()) << "another deployment is not held up";
  // A refresh takes the same exclusion, both ways.
  auto claim = state_->claimRefresh("dep_1");
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.error().kind, ErrorKind::Conflict);
  state_->setRunStatus(first.id, RunStatus::Succeeded);
  claim = state_->claimRefresh("dep_1");
  ASSERT_TRUE(claim.ok());
  auto during = state_->createRun("dep_1", RunKind::Apply, {});
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().kind, ErrorKind::Conflict);
  EXPECT_NE(during.error().message.find("being refreshed"), std::string::npos) << during.error().message;
  EXPECT_FALSE(state_->claimRefresh("dep_1").ok());
  // A claim is neither listed nor resumed, and is gone once released.
  EXPECT_EQ(state_->listRuns("dep_1", 10, "").items.size(), 1u);
  for (auto& r : state_->unfinishedRuns()) EXPECT_NE(r.id, *claim);
  state_->releaseRefresh(*claim);
  EXPECT_TRUE(state_->createRun("dep_1", RunKind::Apply, {}).ok());
  // Claims left by a process that died are dropped at the next start.
  auto left = state_->claimRefresh("dep_3").value();
  state_->dropRefreshClaims();
  EXPECT_FALSE(state_->getRun(left, false).ok());
}

TEST_F(StateStoreTest, ADatabaseOfANewerFedihostIsRefusedNamingBothVersions) {
  // As after a downgrade: a newer fedihost applied a migration this binary does not have.
  const int known = latestVersion(DatabaseKind::State);
  conn_->execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'from_the_future.sql', 'x')",
                 {std::int64_t{known + 1}});
  try {
    migrate(*conn_, DatabaseKind::State);
    FAIL() << "a database newer than the binary was accepted";
  } catch (const AbortError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("state database is at schema version " + std::to_string(known + 1)), std::string::npos) << m;
    EXPECT_NE(m.find("fedihost " FEDIHOST_VERSION " knows (schema version " + std::to_string(known) + ")"),
              std::string::npos)
        << m;
  }
  // The accounting database too.
  auto accounting = connect("sqlite:" + (dir_ / "accounting.db").string());
  migrate(*accounting, DatabaseKind::Accounting);
  accounting->execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x.sql', 'x')");
  EXPECT_THROW(migrate(*accounting, DatabaseKind::Accounting), AbortError);
}

TEST_F(StateStoreTest, MigrationSixEndsAllButTheOldestActiveRunOfADeployment) {
  // A database from before migration 006, where the race left two active runs.
  conn_->execScript("DROP INDEX runs_one_active_per_deployment; DELETE FROM schema_migrations WHERE version = 6;");
  conn_->execute("INSERT INTO runs (id, deployment_id, kind, status, total, created_at) VALUES "
                 "('run_a', 'dep_1', 'apply', 'running', 0, '2026-01-01T00:00:00.000Z'), "
                 "('run_b', 'dep_1', 'apply', 'queued', 0, '2026-01-01T00:00:01.000Z'), "
                 "('run_c', 'dep_2', 'apply', 'queued', 0, '2026-01-01T00:00:02.000Z'), "
                 "('run_d', 'dep_1', 'apply', 'succeeded', 0, '2025-01-01T00:00:00.000Z')");
  EXPECT_EQ(migrate(*conn_, DatabaseKind::State), std::vector<int>{6});
  EXPECT_EQ(state_->getRun("run_a", false)->status, RunStatus::Running);
  auto b = state_->getRun("run_b", false).value();
  EXPECT_EQ(b.status, RunStatus::Failed);
  EXPECT_NE(b.error.find("migration 006"), std::string::npos);
  EXPECT_FALSE(b.finishedAt.empty());
  EXPECT_EQ(state_->getRun("run_c", false)->status, RunStatus::Queued);
  EXPECT_EQ(state_->getRun("run_d", false)->status, RunStatus::Succeeded);
  EXPECT_FALSE(state_->createRun("dep_1", RunKind::Apply, {}).ok());
}

TEST_F(StateStoreTest, CorruptRowsAreErrorsNotDefaults) {
  auto d = state_->createDeployment(deployment("social"), {"social.example.test"}).value();
  Resource r{d.id + "/machine/main", ResourceKind::Machine, d.id, "main", {{"cpu", 2}}, {}};
  state_->recordResource(r, {});
  std::vector<PlanAction> actions{{ActionKind::Create, r, "new"}};
  auto run = state_->createRun(d.id, RunKind::Apply, actions).value();
  state_->replaceDrift(d.id, {{r.key, d.id, DriftStatus::Missing, "gone", "t"}}, "t");
  auto plan = state_->savePlan(d.id, {}, actions);
  // Each read works before the row is spoilt.
  ASSERT_TRUE(state_->getRun(run.id, true).ok());
  ASSERT_EQ(state_->drift(d.id).size(), 1u);
  ASSERT_TRUE(state_->getSavedPlan(plan.id).ok());

  auto spoilt = [&](const std::string& sql, const std::function<void()>& read, const std::string& undo) {
    if (conn_->dialect() == "postgresql" && sql.find("= '") != std::string::npos) {
      // PostgreSQL's typed columns refuse text in an integer column: that corruption cannot happen there.
      try {
        conn_->execute(sql);
      } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("invalid input syntax for type bigint"), std::string::npos) << e.what();
        return;
      }
    } else {
      conn_->execute(sql);
    }
    EXPECT_THROW(read(), DatabaseError) << sql;
    conn_->execute(undo);
  };
  auto readRun = [&] { (void)state_->getRun(run.id, true); };
  spoilt("UPDATE run_steps SET action = 'obliterate'", readRun, "UPDATE run_steps SET action = 'create'");
  spoilt("UPDATE run_steps SET kind = 'spaceship'", readRun, "UPDATE run_steps SET kind = 'machine'");
  spoilt("UPDATE run_steps SET status = 'meh'", readRun, "UPDATE run_steps SET status = 'pending'");
  spoilt("UPDATE run_steps SET attempts = 'several'", readRun, "UPDATE run_steps SET attempts = 0");
  spoilt("UPDATE run_steps SET resource = '{\"key\":\"k\"}'", [&] {
    (void)store::resourceFromJson(state_->getRun(run.id, true)->steps.at(0).resource); }, "UPDATE run_steps SET resource = '{}'");
  spoilt("UPDATE runs SET kind = 'explode'", readRun, "UPDATE runs SET kind = 'apply'");
  spoilt("UPDATE runs SET status = 'maybe'", readRun, "UPDATE runs SET status = 'queued'");
  spoilt("UPDATE runs SET total = 'many'", readRun, "UPDATE runs SET total = 1");
  spoilt("UPDATE runs SET total = '12abc'", [&] { (void)state_->listRuns(d.id, 10, ""); }, "UPDATE runs SET total = 1");
  spoilt("UPDATE resources SET kind = 'spaceship'", [&] { (void)state_->recordedResources(d.id); },
         "UPDATE resources SET kind = 'machine'");
  spoilt("UPDATE deployments SET status = 'sideways'", [&] { (void)state_->getDeployment(d.id); },
         "UPDATE deployments SET status = 'new'");
  spoilt("UPDATE deployments SET version = 'v2'", [&] { (void)state_->getDeployment(d.id); },
         "UPDATE deployments SET version = 1");
  spoilt("UPDATE resource_drift SET status = 'wobbly'", [&] { (void)state_->drift(d.id); },
         "UPDATE resource_drift SET status = 'missing'");
  spoilt("UPDATE saved_plans SET actions = replace(actions, '\"action\":\"create\"', '\"action\":\"yeet\"')",
         [&] { (void)state_->getSavedPlan(plan.id); }, "UPDATE saved_plans SET actions = replace(actions, 'yeet', 'create')");
  // And every row is readable again once repaired.
  EXPECT_TRUE(state_->getRun(run.id, true).ok());
  EXPECT_TRUE(state_->getSavedPlan(plan.id).ok());
  EXPECT_TRUE(state_->getDeployment(d.id).ok());
}

TEST(AccountingStoreTest, AuditLogKeepsEveryLineNewestFirst) {
  testing::TempDir dir;
  testing::TestDatabase db(dir.path(), "accounting.db");
  auto conn = connect(db.url());
  migrate(*conn, DatabaseKind::Accounting);
  AccountingStore acc(*conn);
  auto row = [](std::string id, std::string method, std::string path, int status) {
    AuditEntry e;
    e.eventId = std::move(id);
    e.actorKind = "user";
    e.actorId = "usr_1";
    e.organisationId = "org_1";
    e.method = std::move(method);
    e.path = std::move(path);
    e.status = status;
    e.remote = "127.0.0.1";
    return e;
  };
  EXPECT_TRUE(acc.audit(row("evt_1", "POST", "/api/v1/organisations", 201)));
  EXPECT_TRUE(acc.audit(row("evt_2", "DELETE", "/api/v1/deployments/dep_1", 202)));
  EXPECT_FALSE(acc.audit(row("evt_2", "DELETE", "/api/v1/deployments/dep_1", 202))) << "the same event id twice";
  auto lines = acc.recentAudit(10);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].method, "DELETE");
  EXPECT_EQ(lines[0].seq, 2);
  EXPECT_EQ(lines[0].prevHash, lines[1].hash);
  EXPECT_EQ(lines[1].status, 201);
  EXPECT_TRUE(acc.resourceEvent({"run_1/1", {}, "org_1", "dep_1", "dep_1/machine/main", "machine", "created"}));
  EXPECT_FALSE(acc.resourceEvent({"run_1/1", {}, "org_1", "dep_1", "dep_1/machine/main", "machine", "created"}))
      << "an event recorded twice (same id) is recorded once";
  EXPECT_EQ(acc.resourceEventCount("dep_1"), 1);
}

TEST(ConnectTest, UnknownSchemeNamesTheKnownOnes) {
  try {
    connect("mysql://localhost/x");
    FAIL() << "expected an error";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("sqlite"), std::string::npos);
  }
}

TEST_F(StateStoreTest, ThePlanInputsGenerationMovesWithTheDesiredStateOnEitherBackend) {
  // The triggers of migrations 009 and 016 (each backend has its own form of them).
  auto d = state_->createDeployment(deployment("social"), {}).value();
  PlanInputs inputs(*conn_);
  auto g = [&] { return inputs.generation(d.id); };
  auto before = g();
  EXPECT_GT(before, 0) << "created";
  d.apps[0].settings = boost::json::object{{"subdomain", "toots"}};
  d = state_->updateDeployment(d, d.version, {}).value();
  EXPECT_GT(g(), before) << "edited";
  before = g();
  conn_->execute("UPDATE deployment_apps SET settings = '{}' WHERE deployment_id = ?1 AND app = 'pixelfed'", {d.id});
  EXPECT_GT(g(), before) << "an app edited past the store";
  before = g();
  conn_->execute("UPDATE deployments SET refreshed_at = 'now' WHERE id = ?1", {d.id});
  EXPECT_EQ(g(), before) << "what a plan does not read";
  auto other = state_->createDeployment(deployment("blog"), {}).value();
  auto live = inputs.live("", 10);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_LT(live[0].deployment, live[1].deployment) << "in id order";
  state_->setDeploymentStatus(other.id, DeploymentStatus::Deleted);
  live = inputs.live("", 10);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].deployment, d.id);
  EXPECT_EQ(live[0].generation, g());
}

}  // namespace
}  // namespace fedihost::store
