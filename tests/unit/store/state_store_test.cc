#include "store/state_store.hh"

#include <gtest/gtest.h>

#include "store/accounting_store.hh"
#include "store/migrations.hh"
#include "support/temp_dir.hh"

namespace fedihost::store {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect("sqlite:" + (dir_ / "state.db").string());
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
  auto run = state_->createRun("dep_1", RunKind::Apply, actions);
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

TEST(AccountingStoreTest, AuditLogKeepsEveryLineNewestFirst) {
  testing::TempDir dir;
  auto conn = connect((dir / "accounting.db").string());
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

}  // namespace
}  // namespace fedihost::store
