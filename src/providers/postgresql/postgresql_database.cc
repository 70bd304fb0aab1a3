// The "postgresql" database provider (see postgresql.hh): a LOGIN role and a
// database owned by it, the identity key in their comments.
#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "providers/attributes.hh"
#include "providers/lxc/command.hh"
#include "providers/postgresql/pg_connection.hh"
#include "providers/postgresql/postgresql.hh"

namespace fedihost::providers::postgresql {
namespace {

constexpr std::size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1: longer names are silently truncated

/// The attributes of a database resource, checked.
struct Spec {
  std::string name;   ///< the database
  std::string owner;  ///< its LOGIN role
};

Result<void> checkName(std::string_view field, const std::string& v) {
  if (v.empty()) return Error::invalid(std::string(field), "must not be empty");
  if (v.size() > kMaxIdentifier)
    return Error::invalid(std::string(field), "\"" + v + "\" is longer than PostgreSQL's " +
                                                  std::to_string(kMaxIdentifier) + " bytes for a name");
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return Error::invalid(std::string(field), "must not contain control characters");
  return {};
}

Result<Spec> validate(const Resource& r, bool needPassword) {
  auto engine = stringAttribute(r.attributes, "engine");
  if (!engine) return engine.error();
  if (*engine != "postgresql")
    return Error::invalid("attributes.engine",
                          "the postgresql provider manages engine \"postgresql\" only, not \"" + *engine + "\"");
  Spec s;
  for (auto [field, out] : {std::pair{"name", &s.name}, std::pair{"owner", &s.owner}}) {
    auto v = stringAttribute(r.attributes, field);
    if (!v) return v.error();
    if (auto ok = checkName("attributes." + std::string(field), *v); !ok) return ok.error();
    *out = std::move(*v);
  }
  if (s.owner.starts_with("pg_"))
    return Error::invalid("attributes.owner", "role names starting with \"pg_\" are reserved by PostgreSQL");
  if (auto ok = checkSealed(r.attributes, "password", needPassword); !ok) return ok.error();
  return s;
}

struct DbInfo {
  std::string owner;
  std::optional<std::string> comment;
};
struct RoleInfo {
  bool superuser = false;
  std::optional<std::string> comment;
};

Result<std::optional<DbInfo>> findDatabase(PgConnection& c, const std::string& name) {
  auto res = c.exec(
      "SELECT pg_get_userbyid(datdba), shobj_description(oid, 'pg_database') "
      "FROM pg_database WHERE datname = $1",
      {name});
  if (!res) return res.error();
  if (res->rows() == 0) return std::optional<DbInfo>();
  return std::optional<DbInfo>(DbInfo{res->get(0, 0).value_or(""), res->get(0, 1)});
}

Result<std::optional<RoleInfo>> findRole(PgConnection& c, const std::string& name) {
  auto res = c.exec("SELECT rolsuper, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", {name});
  if (!res) return res.error();
  if (res->rows() == 0) return std::optional<RoleInfo>();
  return std::optional<RoleInfo>(RoleInfo{res->get(0, 0) == "t", res->get(0, 1)});
}

/// Ours: the role carries the identity key (and is not a superuser, whatever its comment says).
bool roleIsOurs(const std::optional<RoleInfo>& role, const std::string& key) {
  return role && !role->superuser && role->comment == key;
}

/// Ours: the database carries the identity key, or carries no comment yet and is
/// owned by a role of ours (a create interrupted between CREATE DATABASE and COMMENT).
Result<bool> databaseIsOurs(PgConnection& c, const DbInfo& db, const std::string& key) {
  if (db.comment) return *db.comment == key;
  auto owner = findRole(c, db.owner);
  if (!owner) return owner.error();
  return roleIsOurs(*owner, key);
}

/// Runs `body` between BEGIN and COMMIT; rolls back on failure.
Result<void> inTransaction(PgConnection& c, const std::function<Result<void>()>& body) {
  if (auto b = c.exec("BEGIN"); !b) return b.error();
  auto ok = body();
  if (!ok) {
    (void)c.exec("ROLLBACK");
    return ok;
  }
  if (auto e = c.exec("COMMIT"); !e) return e.error();
  return {};
}

Result<void> run(PgConnection& c, const std::string& sql, std::string_view field = {}) {
  auto res = c.exec(sql, {}, field);
  if (!res) return res.error();
  return {};
}

/// Where the apps reach the server: the host and port their configuration gets.
struct ClientEndpoint {
  std::string host;
  int port = 5432;
};

/// The database as held; its outputs are what an app needs to connect (its password is a secret of its own).
Observed observed(const Spec& s, const std::string& owner, const ClientEndpoint& at) {
  Observed o;
  o.attributes = {{"engine", "postgresql"}, {"name", s.name}, {"owner", owner}};
  o.outputs = {{"host", at.host}, {"port", at.port}, {"name", s.name}, {"role", owner}};
  return o;
}

class PostgresDatabaseProvider final : public DatabaseProvider {
 public:
  explicit PostgresDatabaseProvider(const ProviderConfig& config) {
    Settings s(config.settings);
    admin_.host = s.string("host");
    const auto port = s.integer("port", 5432);
    if (port < 1 || port > 65535) throw AbortError(Error::invalid("settings.port", "must be a TCP port (1 to 65535)"));
    admin_.port = static_cast<int>(port);
    admin_.user = s.string("adminUser");
    if (auto* pw = config.settings.if_contains("adminPassword")) {
      if (!pw->is_string()) throw AbortError(Error::invalid("settings.adminPassword", "must be a string"));
      admin_.password = std::string(pw->get_string());
    }
    admin_.dbname = s.string("adminDatabase", "postgres");
    admin_.statementTimeout = s.timeout();
    admin_.connectTimeout = std::chrono::milliseconds(s.integer("connectTimeoutMs", s.timeout().count()));
    if (admin_.statementTimeout.count() <= 0)
      throw AbortError(Error::invalid("settings.timeoutMs", "must be a positive number of milliseconds"));
    if (admin_.connectTimeout.count() <= 0)
      throw AbortError(Error::invalid("settings.connectTimeoutMs", "must be a positive number of milliseconds"));
    admin_.sslmode = s.string("sslmode", "");
    binDir_ = s.string("binDir", "/usr/bin");
    dumpTimeout_ = std::chrono::milliseconds(s.integer("dumpTimeoutMs", 3600 * 1000));
    // The apps may reach the server at another address than fedihost does (a private network).
    client_.host = s.string("clientHost", admin_.host);
    const auto clientPort = s.integer("clientPort", admin_.port);
    if (clientPort < 1 || clientPort > 65535)
      throw AbortError(Error::invalid("settings.clientPort", "must be a TCP port (1 to 65535)"));
    client_.port = static_cast<int>(clientPort);
    if (dumpTimeout_.count() <= 0)
      throw AbortError(Error::invalid("settings.dumpTimeoutMs", "must be a positive number of milliseconds"));
  }

  std::string implementation() const override { return "postgresql"; }
  Capabilities capabilities() const override {
    return {.canUpdateInPlace = true, .canList = true, .hasData = true, .canStopWrites = true};
  }

  /// The owner role loses LOGIN and every session on the database ends (its open transactions
  /// roll back: nothing they did was acknowledged). The admin role still dumps it.
  Result<void> stopWrites(const ResolvedResource& r) override { return setWrites(r, false); }
  /// The owner role may log in again.
  Result<void> resumeWrites(const ResolvedResource& r) override { return setWrites(r, true); }

  /// pg_dump -Fc of the database, as the admin role, into dir/dump.pgc.
  Result<void> exportData(const ResolvedResource& r, const std::filesystem::path& dir) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    if (auto ours = read(r); !ours) return ours.error();
    auto out = lxc::runChecked({binDir_ + "/pg_dump", "--format=custom", "--no-password", "--host=" + admin_.host,
                                "--port=" + std::to_string(admin_.port), "--username=" + admin_.user,
                                "--dbname=" + spec->name, "--file=" + (dir / "dump.pgc").string()},
                               dumpTimeout_, clientEnv());
    if (!out) return Error{out.error().kind, "pg_dump of " + spec->name + ": " + out.error().message, {}};
    return {};
  }

  /// pg_restore of dir/dump.pgc into the (new, empty) database, every object owned by its owner role,
  /// in one transaction (a failure loads nothing).
  Result<void> importData(const ResolvedResource& r, const std::filesystem::path& dir) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    if (auto ours = read(r); !ours) return ours.error();
    const auto dump = dir / "dump.pgc";
    if (!std::filesystem::exists(dump)) return Error::invalid("dump.pgc", "the database's part has no dump.pgc");
    auto out = lxc::runChecked({binDir_ + "/pg_restore", "--no-password", "--no-owner", "--no-acl",
                                "--role=" + spec->owner, "--exit-on-error", "--single-transaction",
                                "--host=" + admin_.host, "--port=" + std::to_string(admin_.port),
                                "--username=" + admin_.user, "--dbname=" + spec->name, dump.string()},
                               dumpTimeout_, clientEnv());
    if (!out) return Error{out.error().kind, "pg_restore into " + spec->name + ": " + out.error().message, {}};
    return {};
  }

  /// Drops the database (ending its sessions: WITH (FORCE)) and creates it again, empty, as create()
  /// leaves it: what pg_restore then loads into (a restore in place), or nothing (a roll back, before delete).
  Result<void> discardData(const ResolvedResource& r) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    if (auto ours = read(r); !ours) return ours.error();
    auto c = connect();
    if (!c) return c.error();
    auto qn = c->identifier(spec->name, "attributes.name");
    if (!qn) return qn.error();
    if (auto ok = run(*c, "DROP DATABASE IF EXISTS " + *qn + " WITH (FORCE)"); !ok) return ok.error();
    auto made = converge(r, false);
    if (!made) return made.error();
    return {};
  }

  Result<Observed> create(const ResolvedResource& r) override { return converge(r, false); }

  Result<void> setWrites(const ResolvedResource& r, bool allowed) {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    if (auto ours = read(r); !ours) return ours.error();
    auto c = connect();
    if (!c) return c.error();
    auto qr = c->identifier(spec->owner, "attributes.owner");
    if (!qr) return qr.error();
    if (auto ok = run(*c, "ALTER ROLE " + *qr + (allowed ? " LOGIN" : " NOLOGIN")); !ok) return ok.error();
    if (allowed) return {};
    auto ended = c->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
                         "pg_backend_pid()",
                         {spec->name});
    if (!ended) return ended.error();
    // Done once no session is left: a commit acknowledged before its session ended is then
    // visible to the next dump.
    const auto until = std::chrono::steady_clock::now() + admin_.statementTimeout;
    for (;;) {
      auto left = c->exec("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                          {spec->name});
      if (!left) return left.error();
      if (left->get(0, 0).value_or("0") == "0") return {};
      if (std::chrono::steady_clock::now() > until)
        return Error{ErrorKind::Unavailable, "sessions on " + spec->name + " did not end within the statement timeout", {}};
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Result<Observed> update(const ResolvedResource& r) override { return converge(r, true); }

  Result<Observed> read(const ResolvedResource& r) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    auto c = connect();
    if (!c) return c.error();
    auto db = findDatabase(*c, spec->name);
    if (!db) return db.error();
    if (!*db) return Error::notFound("database \"" + spec->name + "\" does not exist");
    if (auto ours = databaseIsOurs(*c, **db, r.resource.key); !ours)
      return ours.error();
    else if (!*ours)
      return Error::notFound("database \"" + spec->name + "\" is not managed by " + r.resource.key);
    // The owner must be a role of this resource; else it changed behind our back (drift).
    auto owner = findRole(*c, (*db)->owner);
    if (!owner) return owner.error();
    if (!roleIsOurs(*owner, r.resource.key))
      return Error::notFound("database \"" + spec->name + "\" is owned by \"" + (*db)->owner + "\", not by a role of " +
                             r.resource.key);
    // An owner change not applied yet shows as a different owner (update brings it).
    return observed(*spec, (*db)->owner, client_);
  }

  Result<void> remove(const ResolvedResource& r) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    auto c = connect();
    if (!c) return c.error();
    const auto& key = r.resource.key;
    auto db = findDatabase(*c, spec->name);
    if (!db) return db.error();
    if (*db) {
      auto ours = databaseIsOurs(*c, **db, key);
      if (!ours) return ours.error();
      if (*ours) {
        auto qn = c->identifier(spec->name, "attributes.name");
        if (!qn) return qn.error();
        // No new sessions, end the current ones, then drop (FORCE ends any that slipped in).
        if (auto ok = run(*c, "ALTER DATABASE " + *qn + " ALLOW_CONNECTIONS false"); !ok) return ok;
        auto killed = c->exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            {spec->name});
        if (!killed) return killed.error();
        if (auto ok = run(*c, "DROP DATABASE IF EXISTS " + *qn + " WITH (FORCE)"); !ok) return ok;
      }
    }
    // Every role carrying the key (the owner, and an old owner an interrupted update left).
    auto roles =
        c->exec("SELECT rolname FROM pg_roles WHERE NOT rolsuper AND shobj_description(oid, 'pg_authid') = $1", {key});
    if (!roles) return roles.error();
    for (int i = 0; i < roles->rows(); ++i) {
      auto qr = c->identifier(roles->get(i, 0).value_or(""), "attributes.owner");
      if (!qr) return qr.error();
      if (auto ok = run(*c, "DROP ROLE IF EXISTS " + *qr); !ok) return ok;
    }
    return {};
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto c = connect();
    if (!c) return c.error();
    auto res = c->exec(
        "SELECT k FROM (SELECT shobj_description(oid, 'pg_database') AS k FROM pg_database "
        "UNION SELECT shobj_description(oid, 'pg_authid') FROM pg_roles) AS keys "
        "WHERE starts_with(k, $1) ORDER BY k",
        {std::string(deployment) + "/"});
    if (!res) return res.error();
    std::vector<std::string> keys;
    for (int i = 0; i < res->rows(); ++i)
      if (auto k = res->get(i, 0)) keys.push_back(std::move(*k));
    return keys;
  }

 private:
  Result<PgConnection> connect(const std::string& dbname = {}) {
    PgParams p = admin_;
    if (!dbname.empty()) p.dbname = dbname;
    auto c = PgConnection::open(p);
    if (!c && c.error().kind == ErrorKind::NotFound && dbname.empty())
      return Error::invalid("settings.adminDatabase", c.error().message);
    return c;
  }

  /// Brings role and database to the resource's attributes; creates what is missing
  /// unless `mustExist` (update: NotFound if the database is absent).
  Result<Observed> converge(const ResolvedResource& r, bool mustExist) {
    auto spec = validate(r.resource, true);
    if (!spec) return spec.error();
    auto password = openSecret(r, "password");
    if (!password) return password.error();
    const auto& key = r.resource.key;

    auto c = connect();
    if (!c) return c.error();
    auto qn = c->identifier(spec->name, "attributes.name");
    if (!qn) return qn.error();
    auto qo = c->identifier(spec->owner, "attributes.owner");
    if (!qo) return qo.error();
    auto qkey = c->literal(key);
    if (!qkey) return qkey.error();

    auto db = findDatabase(*c, spec->name);
    if (!db) return db.error();
    if (!*db && mustExist) return Error::notFound("database \"" + spec->name + "\" does not exist");
    if (*db) {
      auto ours = databaseIsOurs(*c, **db, key);
      if (!ours) return ours.error();
      if (!*ours)
        return Error::conflict("database \"" + spec->name + "\" exists and is not managed by " + key +
                                   " (its comment is not this identity key)",
                               "attributes.name");
    }

    auto su = c->exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    if (!su) return su.error();
    const bool adminIsSuperuser = su->rows() == 1 && su->get(0, 0) == "t";

    // The role: created with its comment in one transaction, or adopted if it carries our key.
    auto role = findRole(*c, spec->owner);
    if (!role) return role.error();
    if (!*role) {
      auto made = inTransaction(*c, [&]() -> Result<void> {
        if (auto ok = run(*c, "CREATE ROLE " + *qo + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION",
                          "attributes.owner");
            !ok)
          return ok;
        return run(*c, "COMMENT ON ROLE " + *qo + " IS " + *qkey);
      });
      if (!made) return made.error();
    } else if (!roleIsOurs(*role, key)) {
      return Error::conflict("role \"" + spec->owner + "\" exists and is not managed by " + key +
                                 " (its comment is not this identity key)",
                             "attributes.owner");
    }
    // A non-superuser admin must be a member of the role to give it a database and to drop it later.
    if (!adminIsSuperuser)
      if (auto ok = run(*c, "GRANT " + *qo + " TO CURRENT_USER"); !ok) return ok.error();

    auto verifier = c->encryptPassword(*password, spec->owner);
    if (!verifier) return verifier.error();
    auto qv = c->literal(*verifier);
    if (!qv) return qv.error();
    if (auto ok = run(*c, "ALTER ROLE " + *qo + " WITH LOGIN PASSWORD " + *qv); !ok) return ok.error();

    if (!*db) {
      // Closed to connections until it is locked down below (a crash in between leaves it closed).
      if (auto ok = run(*c, "CREATE DATABASE " + *qn + " OWNER " + *qo + " ALLOW_CONNECTIONS false", "attributes.name");
          !ok)
        return ok.error();
    } else if ((*db)->owner != spec->owner) {
      if (auto ok = run(*c, "ALTER DATABASE " + *qn + " OWNER TO " + *qo); !ok) return ok.error();
    }
    if (auto ok = run(*c, "COMMENT ON DATABASE " + *qn + " IS " + *qkey); !ok) return ok.error();
    if (auto ok = run(*c, "REVOKE CONNECT, TEMPORARY ON DATABASE " + *qn + " FROM PUBLIC"); !ok) return ok.error();
    if (auto ok = run(*c, "ALTER DATABASE " + *qn + " ALLOW_CONNECTIONS true"); !ok) return ok.error();

    // Other roles of this resource are former owners (an owner change, perhaps interrupted):
    // what they made inside the database goes to the owner, then they go.
    auto former = c->exec(
        "SELECT rolname FROM pg_roles WHERE NOT rolsuper AND shobj_description(oid, 'pg_authid') = $1 "
        "AND rolname <> $2",
        {key, spec->owner});
    if (!former) return former.error();
    if (former->rows() > 0) {
      auto inDb = connect(spec->name);
      if (!inDb) return inDb.error();
      for (int i = 0; i < former->rows(); ++i) {
        auto qold = inDb->identifier(former->get(i, 0).value_or(""));
        if (!qold) return qold.error();
        if (auto ok = run(*inDb, "REASSIGN OWNED BY " + *qold + " TO " + *qo); !ok) return ok.error();
        if (auto ok = run(*inDb, "DROP OWNED BY " + *qold); !ok) return ok.error();
        if (auto ok = run(*c, "DROP ROLE " + *qold); !ok) return ok.error();
      }
    }
    return observed(*spec, spec->owner, client_);
  }

  /// The environment of pg_dump and pg_restore: the admin's password never on the command line.
  std::vector<std::string> clientEnv() const {
    std::vector<std::string> env{"PGCONNECT_TIMEOUT=" + std::to_string(std::max<long long>(1, admin_.connectTimeout.count() / 1000))};
    if (!admin_.password.empty()) env.push_back("PGPASSWORD=" + admin_.password);
    if (!admin_.sslmode.empty()) env.push_back("PGSSLMODE=" + admin_.sslmode);
    return env;
  }

  PgParams admin_;
  ClientEndpoint client_;
  std::string binDir_;
  std::chrono::milliseconds dumpTimeout_{3600 * 1000};
};

}  // namespace

std::unique_ptr<DatabaseProvider> makeDatabaseProvider(const ProviderConfig& config) {
  return std::make_unique<PostgresDatabaseProvider>(config);
}

}  // namespace fedihost::providers::postgresql
