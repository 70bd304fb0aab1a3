// The "postgresql" database provider against a real PostgreSQL 15 on loopback
// (scripts/site/postgresql.sh): its admin role is not a superuser, TCP logins
// use SCRAM passwords, and the tests check every outcome with psql as the app
// role (or as the superuser over the site's Unix socket).
#include "providers/postgresql/postgresql.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "providers/postgresql/pg_connection.hh"
#include "support/ports.hh"
#include "support/site.hh"
#include "unit/providers/test_support.hh"

namespace fedihost::providers::testing {
namespace {

using fedihost::testing::closedPort;
using fedihost::testing::CommandResult;
using fedihost::testing::run;
using fedihost::testing::SharedSite;
using fedihost::testing::shellQuote;
using fedihost::testing::Site;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;


class PostgresqlSiteTest : public SharedSite<PostgresqlSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"postgresql"}); }

  static json::object settings() { return site_->settings("postgresql", "database"); }
  static int port() { return static_cast<int>(settings().at("port").as_int64()); }

  static std::unique_ptr<DatabaseProvider> provider(json::object s = settings()) {
    return postgresql::makeDatabaseProvider({"postgresql", {}, std::move(s), "site", ""});
  }

  static ResolvedResource db(const std::string& deployment, const std::string& app, const std::string& name,
                             const std::string& owner, const std::string& password, std::string engine = "postgresql") {
    return {makeResource(deployment, ResourceKind::Database, app,
                         {{"engine", engine},
                          {"name", name},
                          {"owner", owner},
                          {"password", sealedSecret(app + "-database-password", password)}}),
            &testBox()};
  }

  /// psql over TCP as `user` with `password` (SCRAM), one statement, unaligned output.
  static CommandResult psqlAs(const std::string& user, const std::string& password, const std::string& dbname,
                              const std::string& sql) {
    return run("PGPASSWORD=" + shellQuote(password) + " PGUSER=" + shellQuote(user) + " PGDATABASE=" +
               shellQuote(dbname) + " PGCONNECT_TIMEOUT=5 psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
               std::to_string(port()) + " -c " + shellQuote(sql));
  }
  /// psql as the superuser over the site's Unix socket (trust), for checks and out-of-band changes.
  static CommandResult psqlSuper(const std::string& sql, const std::string& dbname = "postgres") {
    return run("PGDATABASE=" + shellQuote(dbname) + " psql -X -q -At -v ON_ERROR_STOP=1 -h " +
               shellQuote(std::string(settings().at("socketDir").as_string())) + " -p " + std::to_string(port()) +
               " -U postgres -c " + shellQuote(sql));
  }
  static std::string superValue(const std::string& sql) {
    auto r = psqlSuper(sql);
    EXPECT_EQ(r.exitCode, 0) << r.output;
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
  }

};


TEST_F(PostgresqlSiteTest, CreateGivesTheRoleItsOwnDatabase) {
  auto p = provider();
  auto r = db("dep_create", "mastodon", "mastodon_create", "mastodon_create", "pw-create-1");
  auto made = p->create(r);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(json::value(made->attributes),
            json::value({{"engine", "postgresql"}, {"name", "mastodon_create"}, {"owner", "mastodon_create"}}));

  auto table = psqlAs("mastodon_create", "pw-create-1", "mastodon_create",
                      "CREATE TABLE statuses (id int); INSERT INTO statuses VALUES (7); SELECT current_user, "
                      "(SELECT sum(id) FROM statuses)");
  ASSERT_EQ(table.exitCode, 0) << table.output;
  EXPECT_EQ(table.output, "mastodon_create|7\n");

  // Owned by the role, keyed by the identity key, closed to PUBLIC, password stored as SCRAM.
  EXPECT_EQ(superValue("SELECT pg_get_userbyid(datdba) || ' ' || shobj_description(oid, 'pg_database') "
                       "FROM pg_database WHERE datname = 'mastodon_create'"),
            "mastodon_create dep_create/database/mastodon");
  EXPECT_EQ(superValue("SELECT has_database_privilege('public', 'mastodon_create', 'CONNECT')"), "f");
  EXPECT_EQ(superValue("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'mastodon_create'"),
            "t");

  auto wrong = psqlAs("mastodon_create", "not-the-password", "mastodon_create", "SELECT 1");
  EXPECT_NE(wrong.exitCode, 0);
  EXPECT_THAT(wrong.output, HasSubstr("password authentication failed"));
}

TEST_F(PostgresqlSiteTest, AnotherDeploymentsRoleCannotConnect) {
  auto p = provider();
  ASSERT_TRUE(p->create(db("dep_iso_a", "mastodon", "mastodon_iso_a", "mastodon_iso_a", "pw-a")).ok());
  ASSERT_TRUE(p->create(db("dep_iso_b", "mastodon", "mastodon_iso_b", "mastodon_iso_b", "pw-b")).ok());

  auto own = psqlAs("mastodon_iso_b", "pw-b", "mastodon_iso_b", "SELECT 1");
  ASSERT_EQ(own.exitCode, 0) << own.output;
  auto other = psqlAs("mastodon_iso_b", "pw-b", "mastodon_iso_a", "SELECT 1");
  EXPECT_NE(other.exitCode, 0);
  EXPECT_THAT(other.output, HasSubstr("permission denied for database"));
}

TEST_F(PostgresqlSiteTest, CreateIsIdempotentAndAdoptsWhatCarriesTheKey) {
  auto p = provider();
  auto r = db("dep_idem", "pixelfed", "pixelfed_idem", "pixelfed_idem", "pw-idem-1");
  ASSERT_TRUE(p->create(r).ok());
  ASSERT_EQ(psqlAs("pixelfed_idem", "pw-idem-1", "pixelfed_idem", "CREATE TABLE kept (x int)").exitCode, 0);

  // Again, with a new password (a resumed run sets it again): same database, data kept.
  auto again = db("dep_idem", "pixelfed", "pixelfed_idem", "pixelfed_idem", "pw-idem-2");
  auto second = p->create(again);
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto kept = psqlAs("pixelfed_idem", "pw-idem-2", "pixelfed_idem", "SELECT count(*) FROM kept");
  EXPECT_EQ(kept.exitCode, 0) << kept.output;
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_database WHERE datname = 'pixelfed_idem'"), "1");

  auto keys = p->list("dep_idem");
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, UnorderedElementsAre("dep_idem/database/pixelfed"));

  // An interrupted create (role and database made, comment not yet written) is resumed.
  ASSERT_EQ(psqlSuper("COMMENT ON DATABASE pixelfed_idem IS NULL").exitCode, 0);
  ASSERT_TRUE(p->create(again).ok());
  EXPECT_EQ(superValue("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'pixelfed_idem'"),
            "dep_idem/database/pixelfed");
}

TEST_F(PostgresqlSiteTest, ForeignRolesAndDatabasesAreNeverAdopted) {
  auto p = provider();
  // The superuser itself as owner: refused, its password untouched.
  auto su = p->create(db("dep_foreign", "mastodon", "mastodon_foreign", "postgres", "hijack"));
  ASSERT_FALSE(su.ok());
  EXPECT_EQ(su.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(su.error().field, "attributes.owner");
  EXPECT_NE(psqlAs("postgres", "hijack", "postgres", "SELECT 1").exitCode, 0);
  auto superPw = std::string(settings().at("superuserPassword").as_string());
  EXPECT_EQ(psqlAs("postgres", superPw, "postgres", "SELECT 1").exitCode, 0);

  // A database of another resource (another key in its comment).
  ASSERT_TRUE(p->create(db("dep_foreign_a", "mastodon", "shared_name", "shared_name", "pw-a")).ok());
  auto clash = p->create(db("dep_foreign_b", "mastodon", "shared_name", "owner_b", "pw-b"));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(clash.error().field, "attributes.name");
  // Neither may remove nor read it.
  ASSERT_TRUE(p->remove(db("dep_foreign_b", "mastodon", "shared_name", "owner_b", "pw-b")).ok());
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_database WHERE datname = 'shared_name'"), "1");
  auto read = p->read(db("dep_foreign_b", "mastodon", "shared_name", "owner_b", "pw-b"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
}

TEST_F(PostgresqlSiteTest, UpdateChangesThePassword) {
  auto p = provider();
  ASSERT_TRUE(p->create(db("dep_pw", "peertube", "peertube_pw", "peertube_pw", "old-password")).ok());
  ASSERT_EQ(psqlAs("peertube_pw", "old-password", "peertube_pw", "SELECT 1").exitCode, 0);

  auto updated = p->update(db("dep_pw", "peertube", "peertube_pw", "peertube_pw", "new-password"));
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  auto old = psqlAs("peertube_pw", "old-password", "peertube_pw", "SELECT 1");
  EXPECT_NE(old.exitCode, 0);
  EXPECT_THAT(old.output, HasSubstr("password authentication failed"));
  EXPECT_EQ(psqlAs("peertube_pw", "new-password", "peertube_pw", "SELECT 1").exitCode, 0);
}

TEST_F(PostgresqlSiteTest, UpdateChangesTheOwnerAndKeepsTheData) {
  auto p = provider();
  ASSERT_TRUE(p->create(db("dep_own", "forgejo", "forgejo_own", "forgejo_old", "pw-old")).ok());
  ASSERT_EQ(psqlAs("forgejo_old", "pw-old", "forgejo_own", "CREATE TABLE repos (n int); INSERT INTO repos VALUES (1)")
                .exitCode,
            0);

  auto updated = p->update(db("dep_own", "forgejo", "forgejo_own", "forgejo_new", "pw-new"));
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->attributes.at("owner").as_string(), "forgejo_new");
  auto rows = psqlAs("forgejo_new", "pw-new", "forgejo_own",
                     "INSERT INTO repos VALUES (2); SELECT count(*), pg_get_userbyid(relowner) FROM repos, pg_class "
                     "WHERE relname = 'repos' GROUP BY 2");
  EXPECT_EQ(rows.exitCode, 0) << rows.output;
  EXPECT_EQ(rows.output, "2|forgejo_new\n");
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_roles WHERE rolname = 'forgejo_old'"), "0");

  auto read = p->read(db("dep_own", "forgejo", "forgejo_own", "forgejo_new", "pw-new"));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes.at("owner").as_string(), "forgejo_new");

  // An owner change interrupted after the database changed hands: the next update finishes it.
  ASSERT_EQ(psqlSuper("CREATE ROLE forgejo_newer LOGIN; COMMENT ON ROLE forgejo_newer IS 'dep_own/database/forgejo'; "
                      "ALTER DATABASE forgejo_own OWNER TO forgejo_newer")
                .exitCode,
            0);
  ASSERT_TRUE(p->update(db("dep_own", "forgejo", "forgejo_own", "forgejo_newer", "pw-newer")).ok());
  auto moved = psqlAs("forgejo_newer", "pw-newer", "forgejo_own",
                      "SELECT count(*), pg_get_userbyid(relowner) FROM repos, pg_class WHERE relname = 'repos' GROUP BY 2");
  EXPECT_EQ(moved.output, "2|forgejo_newer\n");
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_roles WHERE rolname = 'forgejo_new'"), "0");
}

TEST_F(PostgresqlSiteTest, UpdateOfAnAbsentDatabaseIsNotFound) {
  auto r = provider()->update(db("dep_absent", "mastodon", "mastodon_absent", "mastodon_absent", "pw"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
}

TEST_F(PostgresqlSiteTest, ReadSeesWhatIsAndDriftIsNotFound) {
  auto p = provider();
  auto r = db("dep_drift", "matrix", "matrix_drift", "matrix_drift", "pw-drift");
  ASSERT_TRUE(p->create(r).ok());
  auto read = p->read(r);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(json::value(read->attributes),
            json::value({{"engine", "postgresql"}, {"name", "matrix_drift"}, {"owner", "matrix_drift"}}));

  ASSERT_EQ(psqlSuper("DROP DATABASE matrix_drift").exitCode, 0);
  auto gone = p->read(r);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  EXPECT_THAT(gone.error().message, HasSubstr("matrix_drift"));

  // Owned by someone else behind our back: not ours any more.
  ASSERT_TRUE(p->create(r).ok());
  ASSERT_EQ(psqlSuper("ALTER DATABASE matrix_drift OWNER TO postgres").exitCode, 0);
  auto drifted = p->read(r);
  ASSERT_FALSE(drifted.ok());
  EXPECT_EQ(drifted.error().kind, ErrorKind::NotFound);
}

TEST_F(PostgresqlSiteTest, ListReturnsTheKeysOfOneDeployment) {
  auto p = provider();
  ASSERT_TRUE(p->create(db("dep_list_a", "mastodon", "mastodon_list_a", "mastodon_list_a", "pw1")).ok());
  ASSERT_TRUE(p->create(db("dep_list_a", "pixelfed", "pixelfed_list_a", "pixelfed_list_a", "pw2")).ok());
  ASSERT_TRUE(p->create(db("dep_list_ab", "mastodon", "mastodon_list_ab", "mastodon_list_ab", "pw3")).ok());

  auto a = p->list("dep_list_a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_THAT(*a, UnorderedElementsAre("dep_list_a/database/mastodon", "dep_list_a/database/pixelfed"));
  auto ab = p->list("dep_list_ab");
  ASSERT_TRUE(ab.ok());
  EXPECT_THAT(*ab, UnorderedElementsAre("dep_list_ab/database/mastodon"));
  auto none = p->list("dep_list_none");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(PostgresqlSiteTest, RemoveEndsSessionsDropsDatabaseAndRole) {
  auto p = provider();
  auto r = db("dep_rm", "hedgedoc", "hedgedoc_rm", "hedgedoc_rm", "pw-rm");
  ASSERT_TRUE(p->create(r).ok());
  // An open session of the app.
  postgresql::PgParams app;
  app.host = "127.0.0.1";
  app.port = port();
  app.user = app.dbname = "hedgedoc_rm";
  app.password = "pw-rm";
  auto session = postgresql::PgConnection::open(app);
  ASSERT_TRUE(session.ok()) << session.error().message;
  ASSERT_TRUE(session->exec("SELECT 1").ok());

  auto removed = p->remove(r);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_FALSE(session->exec("SELECT 1").ok());  // terminated
  auto login = psqlAs("hedgedoc_rm", "pw-rm", "postgres", "SELECT 1");
  EXPECT_NE(login.exitCode, 0);
  EXPECT_THAT(login.output, HasSubstr("password authentication failed"));
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_database WHERE datname = 'hedgedoc_rm'"), "0");
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_roles WHERE rolname = 'hedgedoc_rm'"), "0");

  EXPECT_TRUE(p->remove(r).ok());  // absent: success
  auto read = p->read(r);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
  auto keys = p->list("dep_rm");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->empty());
}

TEST_F(PostgresqlSiteTest, WrongAdminPasswordIsUnauthorized) {
  auto s = settings();
  s["adminPassword"] = "wrong-admin-password";
  auto r = provider(s)->create(db("dep_auth", "mastodon", "mastodon_auth", "mastodon_auth", "pw"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unauthorized);
  EXPECT_THAT(r.error().message, HasSubstr("password authentication failed for user \"fedihost\""));
  auto l = provider(s)->list("dep_auth");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind, ErrorKind::Unauthorized);
}

TEST_F(PostgresqlSiteTest, UnreachableServerIsUnavailable) {
  auto s = settings();
  s["port"] = closedPort();
  auto p = provider(s);
  auto r = p->create(db("dep_down", "mastodon", "mastodon_down", "mastodon_down", "pw"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(p->read(db("dep_down", "mastodon", "mastodon_down", "mastodon_down", "pw")).error().kind,
            ErrorKind::Unavailable);
  EXPECT_EQ(p->remove(db("dep_down", "mastodon", "mastodon_down", "mastodon_down", "pw")).error().kind,
            ErrorKind::Unavailable);
}

TEST_F(PostgresqlSiteTest, QuotesInNamesAreQuotedNotExecuted) {
  auto p = provider();
  const std::string name = "we\"ird'; DROP DATABASE postgres; --";
  const std::string owner = "o'ne\"il\"; DROP ROLE fedihost; --";
  auto r = db("dep_quote", "mastodon", name, owner, "pw-'quote\"");
  auto made = p->create(r);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->attributes.at("name").as_string(), name);

  auto login = psqlAs(owner, "pw-'quote\"", name, "SELECT current_user, current_database()");
  ASSERT_EQ(login.exitCode, 0) << login.output;
  EXPECT_EQ(login.output, owner + "|" + name + "\n");
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_database WHERE datname = 'postgres'"), "1");
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_roles WHERE rolname = 'fedihost'"), "1");

  auto read = p->read(r);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes.at("owner").as_string(), owner);
  ASSERT_TRUE(p->remove(r).ok());
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_database WHERE datname LIKE 'we%'"), "0");
}

TEST_F(PostgresqlSiteTest, RefusesWhatItCannotServe) {
  auto p = provider();
  auto mysql = p->create(db("dep_bad", "mastodon", "mastodon_bad", "mastodon_bad", "pw", "mysql"));
  ASSERT_FALSE(mysql.ok());
  EXPECT_EQ(mysql.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(mysql.error().field, "attributes.engine");

  auto tooLong = p->create(db("dep_bad", "mastodon", std::string(64, 'x'), "mastodon_bad", "pw"));
  ASSERT_FALSE(tooLong.ok());
  EXPECT_EQ(tooLong.error().field, "attributes.name");

  auto reserved = p->create(db("dep_bad", "mastodon", "mastodon_bad", "pg_monitor", "pw"));
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().field, "attributes.owner");

  auto unsealed = db("dep_bad", "mastodon", "mastodon_bad", "mastodon_bad", "pw");
  unsealed.resource.attributes["password"] = "clear";
  auto refused = p->create(unsealed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "attributes.password");
  EXPECT_EQ(superValue("SELECT count(*) FROM pg_database WHERE datname = 'mastodon_bad'"), "0");

  auto s = settings();
  s.erase("adminUser");
  try {
    provider(s);
    FAIL() << "settings without adminUser accepted";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.adminUser");
  }
  s = settings();
  s["adminDatabase"] = "no_such_database";
  auto noDb = provider(s)->list("dep_bad");
  ASSERT_FALSE(noDb.ok());
  EXPECT_EQ(noDb.error().field, "settings.adminDatabase");
}

}  // namespace
}  // namespace fedihost::providers::testing
