// The authorization matrix, generated from the routes table: every route × every
// kind of caller × an object of the caller's own organisation and of another's.
// The expected access of each route is written here, independently of routes.cc:
// a route missing from this table, or declared differently there, fails.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "api/router.hh"
#include "core/clock.hh"
#include "store/billing_store.hh"
#include "store/ip_pool_store.hh"
#include "store/job_store.hh"
#include "store/backup_store.hh"
#include "store/migration_store.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;
using testing::TestServer;

/// Who may use a route, as this test expects it.
enum class Min { Anyone, SignedIn, Viewer, Member, OrgAdmin, Operator, AdminOfAnyOrganisation };
struct Expected {
  Min min;
  Scope scope;  ///< what an API token needs
};

// Every route of the API. Keep it in step with routes.cc on purpose.
const std::map<std::string, Expected> kExpected = {
    {"GET /api/v1/health", {Min::Anyone, Scope::Read}},
    {"GET /api/v1/openapi.json", {Min::Anyone, Scope::Read}},
    {"GET /metrics", {Min::Operator, Scope::Read}},
    {"GET /api/v1/auth/options", {Min::Anyone, Scope::Read}},
    {"POST /api/v1/auth/login", {Min::Anyone, Scope::Read}},
    {"POST /api/v1/auth/signup", {Min::Anyone, Scope::Read}},
    {"POST /api/v1/auth/logout", {Min::SignedIn, Scope::Read}},
    {"POST /api/v1/auth/logout-all", {Min::SignedIn, Scope::Read}},
    {"GET /api/v1/auth/me", {Min::SignedIn, Scope::Read}},
    {"GET /api/v1/auth/sessions", {Min::SignedIn, Scope::Read}},
    {"DELETE /api/v1/auth/sessions/{id}", {Min::SignedIn, Scope::Read}},
    {"POST /api/v1/auth/password", {Min::SignedIn, Scope::Admin}},
    {"POST /api/v1/auth/email", {Min::SignedIn, Scope::Admin}},
    {"POST /api/v1/auth/totp", {Min::SignedIn, Scope::Admin}},
    {"POST /api/v1/auth/totp/confirm", {Min::SignedIn, Scope::Admin}},
    {"DELETE /api/v1/auth/totp", {Min::SignedIn, Scope::Admin}},
    {"POST /api/v1/auth/password-reset", {Min::Anyone, Scope::Read}},
    {"POST /api/v1/auth/password-reset/confirm", {Min::Anyone, Scope::Read}},
    {"POST /api/v1/tokens", {Min::SignedIn, Scope::Admin}},
    {"GET /api/v1/tokens", {Min::SignedIn, Scope::Read}},
    {"DELETE /api/v1/tokens/{id}", {Min::SignedIn, Scope::Admin}},
    {"POST /api/v1/invitations/inspect", {Min::Anyone, Scope::Read}},
    {"POST /api/v1/invitations/accept", {Min::Anyone, Scope::Read}},
    {"GET /api/v1/catalog", {Min::SignedIn, Scope::Read}},
    {"GET /api/v1/catalog/{app}", {Min::SignedIn, Scope::Read}},
    {"POST /api/v1/organisations", {Min::Operator, Scope::Admin}},
    {"GET /api/v1/organisations", {Min::SignedIn, Scope::Read}},
    {"GET /api/v1/organisations/{id}", {Min::Viewer, Scope::Read}},
    {"PATCH /api/v1/organisations/{id}", {Min::OrgAdmin, Scope::Admin}},
    {"DELETE /api/v1/organisations/{id}", {Min::OrgAdmin, Scope::Admin}},
    {"GET /api/v1/organisations/{id}/members", {Min::Viewer, Scope::Read}},
    {"PATCH /api/v1/organisations/{id}/members/{user}", {Min::OrgAdmin, Scope::Admin}},
    {"DELETE /api/v1/organisations/{id}/members/{user}", {Min::OrgAdmin, Scope::Admin}},
    {"POST /api/v1/organisations/{id}/invitations", {Min::OrgAdmin, Scope::Admin}},
    {"GET /api/v1/organisations/{id}/invitations", {Min::OrgAdmin, Scope::Read}},
    {"DELETE /api/v1/organisations/{id}/invitations/{invitation}", {Min::OrgAdmin, Scope::Admin}},
    {"POST /api/v1/organisations/{id}/domains", {Min::OrgAdmin, Scope::Admin}},
    {"GET /api/v1/organisations/{id}/domains", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/organisations/{id}/domains/{domain}/verify", {Min::OrgAdmin, Scope::Admin}},
    {"DELETE /api/v1/organisations/{id}/domains/{domain}", {Min::OrgAdmin, Scope::Admin}},
    {"POST /api/v1/organisations/{id}/deployments", {Min::Member, Scope::Write}},
    {"GET /api/v1/deployments", {Min::SignedIn, Scope::Read}},
    {"GET /api/v1/deployments/{id}", {Min::Viewer, Scope::Read}},
    {"PATCH /api/v1/deployments/{id}", {Min::Member, Scope::Write}},
    {"DELETE /api/v1/deployments/{id}", {Min::Member, Scope::Write}},
    {"GET /api/v1/deployments/{id}/plan", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/deployments/{id}/plan", {Min::Member, Scope::Deploy}},
    {"GET /api/v1/deployments/{id}/plans/{plan}", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/deployments/{id}/drift", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/deployments/{id}/refresh", {Min::Member, Scope::Deploy}},
    {"POST /api/v1/deployments/{id}/apply", {Min::Member, Scope::Deploy}},
    {"POST /api/v1/deployments/{id}/admin-logins/reveal", {Min::OrgAdmin, Scope::Admin}},
    {"GET /api/v1/deployments/{id}/upgrade", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/deployments/{id}/upgrade", {Min::Member, Scope::Deploy}},
    {"GET /api/v1/deployments/{id}/runs", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/runs/{id}", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/runs/{id}/events", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/runs/{id}/cancel", {Min::Member, Scope::Deploy}},
    {"POST /api/v1/deployments/{id}/backups", {Min::Member, Scope::Deploy}},
    {"GET /api/v1/deployments/{id}/backups", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/deployments/{id}/backup-schedule", {Min::Viewer, Scope::Read}},
    {"PUT /api/v1/deployments/{id}/backup-schedule", {Min::OrgAdmin, Scope::Write}},
    {"DELETE /api/v1/deployments/{id}/backup-schedule", {Min::OrgAdmin, Scope::Write}},
    {"GET /api/v1/backups/{id}", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/backups/{id}/bundle", {Min::Member, Scope::Read}},
    {"POST /api/v1/backups/{id}/verify", {Min::Member, Scope::Read}},
    {"POST /api/v1/organisations/{id}/restores", {Min::Member, Scope::Deploy}},
    {"POST /api/v1/deployments/{id}/restores", {Min::Member, Scope::Deploy}},
    {"GET /api/v1/restores/{id}", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/deployments/{id}/migrations", {Min::Operator, Scope::Deploy}},
    {"GET /api/v1/deployments/{id}/migrations", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/migrations/{id}", {Min::Viewer, Scope::Read}},
    {"POST /api/v1/migrations/{id}/old-side-removal", {Min::Operator, Scope::Deploy}},
    {"GET /api/v1/audit", {Min::AdminOfAnyOrganisation, Scope::Read}},
    {"GET /api/v1/audit/verification", {Min::AdminOfAnyOrganisation, Scope::Read}},
    {"GET /api/v1/users", {Min::Operator, Scope::Read}},
    {"POST /api/v1/users/{id}/disable", {Min::Operator, Scope::Admin}},
    {"POST /api/v1/users/{id}/enable", {Min::Operator, Scope::Admin}},
    {"GET /api/v1/targets", {Min::Operator, Scope::Read}},
    {"GET /api/v1/instances", {Min::Operator, Scope::Read}},
    {"POST /api/v1/orphans/scan", {Min::Operator, Scope::Read}},
    {"GET /api/v1/jobs/{id}", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/jobs/{id}/events", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/targets/{target}/ip-pools", {Min::Operator, Scope::Read}},
    {"POST /api/v1/targets/{target}/ip-pools", {Min::Operator, Scope::Admin}},
    {"GET /api/v1/ip-pools/{id}", {Min::Operator, Scope::Read}},
    {"DELETE /api/v1/ip-pools/{id}", {Min::Operator, Scope::Admin}},
    {"GET /api/v1/ip-pools/{id}/allocations", {Min::Operator, Scope::Read}},
    {"GET /api/v1/organisations/{id}/usage", {Min::Viewer, Scope::Read}},
    {"GET /api/v1/organisations/{id}/statements/{month}", {Min::OrgAdmin, Scope::Read}},
    {"GET /api/v1/organisations/{id}/forecast", {Min::OrgAdmin, Scope::Read}},
    {"GET /api/v1/statements", {Min::Operator, Scope::Read}},
    {"GET /api/v1/statements/totals", {Min::Operator, Scope::Read}},
    {"GET /api/v1/organisations/{id}/price-plan", {Min::OrgAdmin, Scope::Read}},
    {"PUT /api/v1/organisations/{id}/price-plan", {Min::Operator, Scope::Admin}},
    {"POST /api/v1/organisations/{id}/adjustments", {Min::Operator, Scope::Admin}},
    {"GET /api/v1/organisations/{id}/adjustments", {Min::OrgAdmin, Scope::Read}},
    {"POST /api/v1/price-plans", {Min::Operator, Scope::Admin}},
    {"GET /api/v1/price-plans", {Min::Operator, Scope::Read}},
    {"GET /api/v1/price-plans/{id}", {Min::Operator, Scope::Read}},
    {"PATCH /api/v1/price-plans/{id}", {Min::Operator, Scope::Admin}},
};

/// The kinds of caller tried on every route.
enum class Caller { Anonymous, Revoked, Operator, OrgAdmin, Member, Viewer, Outsider, ReadToken, BoundElsewhere };
const std::vector<std::pair<Caller, const char*>> kCallers = {
    {Caller::Anonymous, "no token"},       {Caller::Revoked, "a revoked session"},
    {Caller::Operator, "an operator"},     {Caller::OrgAdmin, "the org-admin"},
    {Caller::Member, "a member"},          {Caller::Viewer, "a viewer"},
    {Caller::Outsider, "another organisation's org-admin"},
    {Caller::ReadToken, "the org-admin's read-only token"},
    {Caller::BoundElsewhere, "the org-admin's token bound to another organisation she is in"}};

/// One organisation with one of everything, made fresh for each request so that
/// what one request changes (a removed member, a revoked session) cannot change another's answer.
struct OrgWorld {
  std::string org, deployment, run, job, plan, invitation, domain, admin, member, viewer, backup, restore, migration;
};

testing::TestServerSetup setup() {
  testing::TestServerSetup s;
  s.api.resolver = "127.0.0.1:1";  // domain checks are refused at once, never wait for a real resolver
  return s;
}

class AuthorizationMatrix : public ::testing::Test {
 protected:
  TestServer server_{setup()};
  int counter_ = 0;

  std::string fresh(const std::string& what) { return what + std::to_string(++counter_); }

  OrgWorld makeOrg(bool withPlan) {
    auto& st = server_.state();
    auto& acc = server_.accounts();
    OrgWorld w;
    w.org = st.createOrganisation(fresh("org-"), "Org").orThrow().id;
    Deployment d;
    d.organisation = w.org;
    d.name = "social";
    d.domain = fresh("d") + ".example.test";
    d.apps = {{"hedgedoc", {}, "", 0}};
    auto dep = st.createDeployment(d, {d.domain}).orThrow();
    w.deployment = dep.id;
    w.run = st.createRun(dep.id, RunKind::Apply, {}).value().id;
    st.setRunStatus(w.run, RunStatus::Succeeded);  // an ended run: its event stream ends at once
    store::JobStore jobs(st.connection());
    // The server's executor polls for queued runs and may have claimed this one before it was marked
    // ended: until it lets go of it, a refresh is refused (Conflict). Wait for that, boundedly.
    auto job = jobs.createRefresh(dep.id, w.org, "usr_x");
    for (int i = 0; !job && job.error().kind == ErrorKind::Conflict && i < 600; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      job = jobs.createRefresh(dep.id, w.org, "usr_x");
    }
    w.job = std::move(job).orThrow().id;
    jobs.finish(w.job, {});  // an ended refresh job (its claim released): its event stream ends at once
    if (withPlan) w.plan = server_.orchestrator().savePlan(st, dep).id;
    {
      store::BackupStore jobs(st.connection());
      w.backup = jobs.createBackup(dep.id, w.org, "").id;
      jobs.failBackup(w.backup, "a row of the matrix");  // ended, without a bundle: its download is a 409
      w.restore = jobs.createRestore(w.backup, w.org, dep.id).id;
      jobs.failRestore(w.restore, "a row of the matrix", "");
      store::MigrationStore migrations(st.connection());
      w.migration = migrations.create(dep.id, w.org, "local", "elsewhere", "", "usr_x").id;
      migrations.fail(w.migration, "a row of the matrix", "", -1);  // ended: its old side cannot be removed (409)
    }
    store::Invitation inv;
    inv.id = fresh("inv_");
    inv.organisation = w.org;
    inv.email = fresh("invitee") + "@example.test";
    inv.role = Role::Viewer;
    inv.invitedBy = "usr_x";
    inv.createdAt = clock::nowRfc3339();
    inv.expiresAt = clock::fromNowRfc3339(std::chrono::hours(1));
    acc.createInvitation(inv, fresh("hash"));
    w.invitation = inv.id;
    w.domain = fresh("claimed") + ".example.org";
    acc.claimDomain(w.org, w.domain, "challenge");
    for (auto [id, role] : std::vector<std::pair<std::string*, Role>>{
             {&w.admin, Role::OrgAdmin}, {&w.member, Role::Member}, {&w.viewer, Role::Viewer}}) {
      *id = acc.createUser(fresh("u") + "@example.test", "x", false).orThrow().id;
      acc.setGrant(*id, w.org, role);
    }
    return w;
  }

  /// A fresh session (or token) of the caller; "" for no token.
  std::string tokenOf(Caller c, const OrgWorld& own, const OrgWorld& other, std::string& sessionId) {
    auto& acc = server_.accounts();
    auto& auth = server_.authenticator();
    auto open = [&](const std::string& user) {
      auto s = auth.openSession(acc, acc.getUser(user).orThrow(), "127.0.0.1", "test");
      sessionId = s.session.id;
      return s.token;
    };
    auto token = [&](const std::string& user, std::vector<Scope> scopes, const std::string& org) {
      aaa::Principal p{acc.getUser(user).orThrow(), {}, acc.grantsOf(user)};
      p.session.scopes = {Scope::Read, Scope::Write, Scope::Deploy, Scope::Admin};
      auto s = auth.createToken(acc, p, "t", scopes, "", org).orThrow();
      sessionId = s.session.id;
      return s.token;
    };
    switch (c) {
      case Caller::Anonymous: return "";
      case Caller::Revoked: {
        auto t = open(own.member);
        acc.revokeSession(own.member, sessionId, false);
        return t;
      }
      case Caller::Operator: {
        auto op = acc.findUserByEmail(testing::kOperatorEmail)->first;
        return open(op.id);
      }
      case Caller::OrgAdmin: return open(own.admin);
      case Caller::Member: return open(own.member);
      case Caller::Viewer: return open(own.viewer);
      case Caller::Outsider: return open(other.admin);
      case Caller::ReadToken: return token(own.admin, {Scope::Read}, "");
      case Caller::BoundElsewhere: {
        acc.setGrant(own.admin, other.org, Role::Viewer);
        return token(own.admin, {Scope::Read, Scope::Write, Scope::Deploy, Scope::Admin}, other.org);
      }
    }
    return "";
  }
};

/// The caller's role in the organisation whose object is asked for (nullopt: none).
std::optional<Min> roleOf(Caller c, bool ownObject) {
  if (c == Caller::Operator) return Min::Operator;
  if (!ownObject) {
    if (c == Caller::Outsider) return Min::OrgAdmin;  // the other organisation is hers
    return c == Caller::BoundElsewhere ? std::optional(Min::Viewer) : std::nullopt;
  }
  switch (c) {
    case Caller::OrgAdmin:
    case Caller::ReadToken: return Min::OrgAdmin;
    case Caller::Member: return Min::Member;
    case Caller::Viewer: return Min::Viewer;
    default: return std::nullopt;  // the outsider, and a token bound to the other organisation
  }
}

std::string substitute(std::string path, const std::map<std::string, std::string>& values) {
  for (auto& [k, v] : values) {
    auto at = path.find("{" + k + "}");
    if (at != std::string::npos) path.replace(at, k.size() + 2, v);
  }
  return path;
}

TEST_F(AuthorizationMatrix, EveryRouteEveryCallerOwnAndOtherOrganisation) {
  auto router = api::makeRouter();
  std::set<std::string> seen;
  int requests = 0;
  for (auto& route : router.routes()) {
    auto key = route.method + " " + route.pattern;
    seen.insert(key);
    auto it = kExpected.find(key);
    ASSERT_NE(it, kExpected.end()) << key << " has no row in the authorization matrix: add one";
    auto expected = it->second;
    EXPECT_EQ(route.access.scope, expected.scope) << key << ": routes.cc declares another scope";
    bool orgScoped = route.access.org != api::OrgFrom::None;

    for (bool ownObject : orgScoped ? std::vector<bool>{true, false} : std::vector<bool>{true}) {
      for (auto& [caller, callerName] : kCallers) {
        bool withPlan = route.pattern.find("{plan}") != std::string::npos;
        auto own = makeOrg(withPlan);
        auto other = makeOrg(withPlan);
        std::string sessionId;
        auto token = tokenOf(caller, own, other, sessionId);
        const auto& target = ownObject ? own : other;
        std::string pool;
        if (route.pattern.starts_with("/api/v1/ip-pools"))
          pool = store::IpPoolStore(server_.state().connection())
                     .createPool({"local", fresh("pool"),
                                  "10." + std::to_string(counter_ % 250) + "." + std::to_string(counter_ / 250 % 250) +
                                      ".0/24",
                                  "", {}, 4})
                     .orThrow()
                     .id;
        std::string pricePlan;
        if (route.pattern.starts_with("/api/v1/price-plans/")) {
          auto conn = store::connect(server_.dataDir().accountingUrl());
          store::PricePlan p;
          p.name = fresh("plan");
          p.currency = "EUR";
          pricePlan = store::BillingStore(*conn).createPlan(p).value().id;
        }
        std::string path = substitute(
            route.pattern, {{"id", route.access.org == api::OrgFrom::Organisation ? target.org
                                   : route.access.org == api::OrgFrom::Run        ? target.run
                                   : route.access.org == api::OrgFrom::Job        ? target.job
                                   : route.access.org == api::OrgFrom::Backup     ? target.backup
                                   : route.access.org == api::OrgFrom::Restore    ? target.restore
                                   : route.access.org == api::OrgFrom::Migration  ? target.migration
                                   : route.pattern.starts_with("/api/v1/ip-pools") ? pool
                                   : route.pattern.starts_with("/api/v1/price-plans/") ? pricePlan
                                   : route.pattern.starts_with("/api/v1/users")    ? own.viewer
                                   : route.access.org == api::OrgFrom::Deployment  ? target.deployment
                                   : route.pattern.starts_with("/api/v1/organisations/") ? target.org
                                   : sessionId.empty()                             ? "ses_none"
                                                                                   : sessionId},
                            {"user", target.member},
                            {"plan", target.plan},
                            {"invitation", target.invitation},
                            {"domain", target.domain},
                            {"app", "hedgedoc"},
                            {"month", clock::nowRfc3339().substr(0, 7)},  // the organisations exist in it
                            {"target", "local"}});
        client::Client c(server_.url());
        if (!token.empty()) c.setToken(token);
        std::map<std::string, std::string> headers;
        if (route.method == "PATCH" && route.pattern.starts_with("/api/v1/deployments")) headers["if-match"] = "1";
        auto r = c.request(route.method, path, route.method == "GET" ? "" : "{}", headers);
        ++requests;
        std::string where = key + " as " + callerName + " on " + (ownObject ? "its own" : "another") +
                            " organisation's object → " + std::to_string(r.status) + " " + r.body;

        // What must happen, from the table alone.
        bool signedIn = caller != Caller::Anonymous && caller != Caller::Revoked;
        if (expected.min == Min::Anyone) {
          EXPECT_NE(r.status, 401) << where;  // a bad token on an open route is ignored, not refused
          continue;
        }
        if (!signedIn) {
          EXPECT_EQ(r.status, 401) << where;
          continue;
        }
        bool tokenScopeOk = caller != Caller::ReadToken || expected.scope == Scope::Read;
        if (expected.min == Min::SignedIn) {
          if (!tokenScopeOk) { EXPECT_EQ(r.status, 403) << where; }
          else {
            EXPECT_NE(r.status, 401) << where;
            EXPECT_NE(r.status, 403) << where;
          }
          continue;
        }
        if (expected.min == Min::AdminOfAnyOrganisation) {  // operators, and org-admins (their rows only)
          bool admin = caller == Caller::Operator || caller == Caller::OrgAdmin || caller == Caller::ReadToken ||
                       caller == Caller::Outsider;
          EXPECT_EQ(r.status, admin ? 200 : 403) << where;
          continue;
        }
        if (expected.min == Min::Operator && !orgScoped) {
          EXPECT_EQ(r.status, caller == Caller::Operator ? r.status : 403) << where;
          if (caller == Caller::Operator) {
            EXPECT_NE(r.status, 401) << where;
            EXPECT_NE(r.status, 403) << where;
            EXPECT_NE(r.status, 404) << where;
          }
          continue;
        }
        // A role in the object's organisation.
        auto role = roleOf(caller, ownObject);
        if (!role) {
          EXPECT_EQ(r.status, 404) << where;  // another organisation's object does not exist for the caller
          continue;
        }
        if (static_cast<int>(*role) < static_cast<int>(expected.min) || !tokenScopeOk) {
          EXPECT_EQ(r.status, 403) << where;
          continue;
        }
        EXPECT_NE(r.status, 401) << where;
        EXPECT_NE(r.status, 403) << where;
        EXPECT_NE(r.status, 404) << where;
      }
    }
  }
  for (auto& [key, _] : kExpected) EXPECT_TRUE(seen.count(key)) << key << " is in the matrix but not a route";
  EXPECT_GT(requests, 800);
}

// An orphan scan's job belongs to no organisation: the provider's operators see it, and for
// everyone else (org-admins, members, tokens of either) it does not exist.
TEST_F(AuthorizationMatrix, AnOrphanScanJobIsTheOperatorsAloneAndNotFoundForAnyoneElse) {
  auto own = makeOrg(false);
  auto other = makeOrg(false);
  bool created = false;
  auto job = store::JobStore(server_.state().connection()).createOrphanScan("usr_x", created);
  ASSERT_TRUE(created);
  for (auto& [caller, callerName] : kCallers) {
    std::string sessionId;
    auto token = tokenOf(caller, own, other, sessionId);
    client::Client c(server_.url());
    if (!token.empty()) c.setToken(token);
    auto r = c.get("/api/v1/jobs/" + job.id);
    int expected = caller == Caller::Anonymous || caller == Caller::Revoked ? 401
                   : caller == Caller::Operator                             ? 200
                                                                            : 404;
    EXPECT_EQ(r.status, expected) << callerName << " → " << r.status << " " << r.body;
  }
}

}  // namespace
}  // namespace fedihost
