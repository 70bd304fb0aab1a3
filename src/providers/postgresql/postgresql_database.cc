// The "postgresql" database provider (see postgresql.hh): a LOGIN role and a
// database owned by it, the identity key in their comments.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
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

/// A replication source's server as this process reaches it, and as the new side's server does.
struct SourceParams {
  PgParams conn;
  std::string serverHost;
  int serverPort = 5432;
};

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
    // A migration's replication: the role that publishes and subscribes, and where another server reaches this one.
    repl_ = admin_;
    repl_.user = s.string("replicationUser", admin_.user);
    if (auto* pw = config.settings.if_contains("replicationPassword")) {
      if (!pw->is_string()) throw AbortError(Error::invalid("settings.replicationPassword", "must be a string"));
      repl_.password = std::string(pw->get_string());
    }
    replHost_ = s.string("replicationHost", admin_.host);
    const auto replPort = s.integer("replicationPort", admin_.port);
    if (replPort < 1 || replPort > 65535)
      throw AbortError(Error::invalid("settings.replicationPort", "must be a TCP port (1 to 65535)"));
    replPort_ = static_cast<int>(replPort);
  }

  std::string implementation() const override { return "postgresql"; }
  Capabilities capabilities() const override {
    return {.canUpdateInPlace = true, .canList = true, .hasData = true, .canStopWrites = true, .canReplicate = true};
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


  // A migration's replication (postgresql.hh): a publication of every table at the old side, a
  // subscription at the new side, both named after the identity key; this (the new side's) provider
  // does it all, reaching the old side's server with what replicationSource gave.

  Result<ReplicationSource> replicationSource(const ResolvedResource& r) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    json::object c{{"host", repl_.host},
                   {"port", repl_.port},
                   {"serverHost", replHost_},
                   {"serverPort", replPort_},
                   {"user", repl_.user},
                   {"password", repl_.password},
                   {"dbname", spec->name},
                   {"sslmode", repl_.sslmode},
                   {"connectTimeoutMs", repl_.connectTimeout.count()},
                   {"timeoutMs", repl_.statementTimeout.count()}};
    return ReplicationSource{implementation(), std::move(c)};
  }

  Result<void> startReplication(const ResolvedResource& r, const ReplicationSource& from) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    auto src = sourceParams(from);
    if (!src) return src.error();
    if (auto ours = read(r); !ours) return ours.error();
    auto started = beginReplication(*spec, r.resource.key, *src);
    if (!started) {
      // Nothing stays behind at either side: the caller copies instead.
      (void)dropReplication(r, from);
      return started.error();
    }
    return {};
  }

  Result<std::int64_t> replicationLag(const ResolvedResource& r, const ReplicationSource& from) override {
    auto src = sourceParams(from);
    if (!src) return src.error();
    auto s = PgConnection::open(src->conn);
    if (!s) return s.error();
    auto lag = s->exec("SELECT greatest(0, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))::bigint "
                       "FROM pg_replication_slots WHERE slot_name = $1",
                       {replicationName(r.resource.key)});
    if (!lag) return lag.error();
    if (lag->rows() == 0 || lag->isNull(0, 0))
      return Error::notFound("no replication slot of " + r.resource.key + " at the source server");
    return std::stoll(*lag->get(0, 0));
  }

  Result<ReplicationFinished> finishReplication(const ResolvedResource& r, const ReplicationSource& from,
                                                std::chrono::milliseconds maxWait) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    auto src = sourceParams(from);
    if (!src) return src.error();
    ReplicationFinished done;
    auto lag = replicationLag(r, from);
    if (!lag) return lag.error();
    done.lagBytes = *lag;
    auto s = PgConnection::open(src->conn);
    if (!s) return s.error();
    // Caught up: the slot confirms a WAL record written now, after every commit acknowledged before
    // writes stopped (a logical message, which the subscription skips; also moves an idle server's WAL).
    auto at = s->exec("SELECT pg_logical_emit_message(false, 'fedihost', 'cut-over')::text");
    if (!at) return at.error();
    const auto lsn = at->get(0, 0).value_or("0/0");
    const auto name = replicationName(r.resource.key);
    const auto until = std::chrono::steady_clock::now() + maxWait;
    for (;;) {
      auto ok = s->exec("SELECT confirmed_flush_lsn >= $1::pg_lsn, "
                        "greatest(0, pg_wal_lsn_diff($1::pg_lsn, confirmed_flush_lsn))::bigint "
                        "FROM pg_replication_slots WHERE slot_name = $2",
                        {lsn, name});
      if (!ok) return ok.error();
      if (ok->rows() == 0) return Error::notFound("the replication slot " + name + " is gone from the source server");
      if (ok->get(0, 0) == "t") break;
      if (std::chrono::steady_clock::now() > until)
        return Error{ErrorKind::Unavailable,
                     "the replication of " + spec->name + " did not catch up within " + std::to_string(maxWait.count()) +
                         " ms (" + ok->get(0, 1).value_or("?") + " bytes behind)",
                     {}};
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Sequences are not replicated: each takes the source's last value.
    auto seqs = s->exec("SELECT schemaname, sequencename, last_value::text FROM pg_sequences WHERE last_value IS NOT NULL");
    if (!seqs) return seqs.error();
    auto t = connectAs(repl_, spec->name);
    if (!t) return t.error();
    for (int i = 0; i < seqs->rows(); ++i) {
      auto set = t->exec("SELECT setval(format('%I.%I', $1::text, $2::text)::regclass, $3::bigint, true)",
                         {seqs->get(i, 0), seqs->get(i, 1), seqs->get(i, 2)});
      if (!set) return Error{set.error().kind, "setting sequence " + seqs->get(i, 1).value_or("") + ": " + set.error().message, {}};
      ++done.sequences;
    }
    if (auto dropped = dropReplication(r, from); !dropped) return dropped.error();
    return done;
  }

  Result<void> dropReplication(const ResolvedResource& r, const ReplicationSource& from) override {
    auto spec = validate(r.resource, false);
    if (!spec) return spec.error();
    auto src = sourceParams(from);
    if (!src) return src.error();
    const auto name = replicationName(r.resource.key);
    std::vector<std::string> left;
    std::optional<std::string> subOid;
    // The subscription (DROP SUBSCRIPTION drops its slots at the source; if the source cannot be
    // reached, the subscription goes without them and they are dropped below).
    if (auto t = connectAs(repl_, spec->name); !t) {
      if (t.error().kind != ErrorKind::NotFound) left.push_back("at the new side: " + t.error().message);
    } else {
      auto sub = t->exec("SELECT oid::text FROM pg_subscription WHERE subname = $1 AND subdbid = "
                         "(SELECT oid FROM pg_database WHERE datname = current_database())",
                         {name});
      if (!sub) return sub.error();
      if (sub->rows() > 0) {
        subOid = sub->get(0, 0);
        if (auto d = run(*t, "DROP SUBSCRIPTION IF EXISTS " + name); !d) {
          const auto first = d.error().message;
          auto detached = run(*t, "ALTER SUBSCRIPTION " + name + " DISABLE");
          if (detached) detached = run(*t, "ALTER SUBSCRIPTION " + name + " SET (slot_name = NONE)");
          if (detached) detached = run(*t, "DROP SUBSCRIPTION IF EXISTS " + name);
          if (!detached) left.push_back("subscription " + name + ": " + first + "; " + detached.error().message);
        }
      }
    }
    // At the source: the slots (ours, and the initial copy's "pg_<subscription>_sync_…"), then the publication.
    if (auto s = PgConnection::open(src->conn); !s) {
      if (s.error().kind != ErrorKind::NotFound) left.push_back("at the source: " + s.error().message);
    } else {
      const auto until = std::chrono::steady_clock::now() + repl_.statementTimeout;
      for (;;) {
        auto slots = s->exec("SELECT slot_name, active_pid FROM pg_replication_slots WHERE slot_name = $1 OR "
                             "($2::text IS NOT NULL AND starts_with(slot_name::text, 'pg_' || $2 || '_sync_'))",
                             {name, subOid});
        if (!slots) return slots.error();
        if (slots->rows() == 0) break;
        for (int i = 0; i < slots->rows(); ++i) {
          if (auto pid = slots->get(i, 1))
            (void)s->exec("SELECT pg_terminate_backend($1::int)", {*pid});
          else
            (void)s->exec("SELECT pg_drop_replication_slot($1)", {slots->get(i, 0)});
        }
        if (std::chrono::steady_clock::now() > until) {
          left.push_back("replication slot " + name + " at the source stays active");
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (auto d = run(*s, "DROP PUBLICATION IF EXISTS " + name); !d)
        left.push_back("publication " + name + ": " + d.error().message);
    }
    if (left.empty()) return {};
    std::string message = "ending the replication of " + spec->name + " left: ";
    for (std::size_t i = 0; i < left.size(); ++i) message += (i ? "; " : "") + left[i];
    return Error{ErrorKind::Unavailable, message, {}};
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
    // A walsender (a migration's replication, as the replication role) is not a client of the app.
    auto ended = c->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
                         "pg_backend_pid() AND backend_type <> 'walsender'",
                         {spec->name});
    if (!ended) return ended.error();
    // Done once no session is left: a commit acknowledged before its session ended is then
    // visible to the next dump.
    const auto until = std::chrono::steady_clock::now() + admin_.statementTimeout;
    for (;;) {
      auto left = c->exec("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() "
                          "AND backend_type <> 'walsender'",
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


  /// The source's connection as this process reaches it (what replicationSource gave); Invalid if it
  /// is not a PostgreSQL server's.
  Result<SourceParams> sourceParams(const ReplicationSource& from) const {
    if (from.implementation != implementation())
      return Error::invalid("implementation", "the postgresql provider replicates from a postgresql provider only, not from " +
                                                  from.implementation);
    auto text = [&](const char* k) -> std::string {
      auto* v = from.connection.if_contains(k);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    auto number = [&](const char* k, std::int64_t fallback) -> std::int64_t {
      auto* v = from.connection.if_contains(k);
      return v && v->is_int64() ? v->get_int64() : fallback;
    };
    PgParams p;
    p.host = text("host");
    p.port = static_cast<int>(number("port", 5432));
    p.user = text("user");
    p.password = text("password");
    p.dbname = text("dbname");
    p.sslmode = text("sslmode");
    p.connectTimeout = std::chrono::milliseconds(number("connectTimeoutMs", 5000));
    p.statementTimeout = std::chrono::milliseconds(number("timeoutMs", 10000));
    if (p.host.empty() || p.user.empty() || p.dbname.empty())
      return Error::invalid("connection", "the replication source names no host, role or database");
    SourceParams out{p, text("serverHost"), static_cast<int>(number("serverPort", p.port))};
    if (out.serverHost.empty()) out.serverHost = p.host;
    return out;
  }

  /// Checks both servers, copies the schema, publishes at the source, subscribes here and waits for the initial copy.
  Result<void> beginReplication(const Spec& spec, const std::string& key, const SourceParams& source) {
    const auto& src = source.conn;
    const auto name = replicationName(key);
    auto s = PgConnection::open(src);
    if (!s) return Error{s.error().kind, "the source server: " + s.error().message, {}};
    auto wal = s->exec("SELECT current_setting('wal_level')");
    if (!wal) return wal.error();
    if (wal->get(0, 0) != "logical")
      return Error::conflict("the source server's wal_level is " + wal->get(0, 0).value_or("?") +
                             ", not logical (PostgreSQL's logical replication needs it)");
    // PostgreSQL 15: CREATE PUBLICATION … FOR ALL TABLES and CREATE SUBSCRIPTION need a superuser.
    auto srcRole = s->exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    if (!srcRole) return srcRole.error();
    if (srcRole->get(0, 0) != "t")
      return Error::conflict("the source server's replication role " + src.user +
                             " is not a superuser (CREATE PUBLICATION … FOR ALL TABLES needs one)");
    auto t = connectAs(repl_, spec.name);
    if (!t) return Error{t.error().kind, "the new side's server: " + t.error().message, {}};
    auto dstRole = t->exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    if (!dstRole) return dstRole.error();
    if (dstRole->get(0, 0) != "t")
      return Error::conflict("the new side's replication role " + repl_.user +
                             " is not a superuser (CREATE SUBSCRIPTION needs one)");

    // The schema: pg_dump --schema-only of the source, restored as the owner (as importData does).
    char tmpl[] = "/tmp/fedihost-schema-XXXXXX";
    if (!mkdtemp(tmpl)) return Error{ErrorKind::Internal, "making a temporary directory for the schema failed", {}};
    const std::filesystem::path tmp(tmpl);
    struct Remove {
      std::filesystem::path p;
      ~Remove() {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
      }
    } remove{tmp};
    const auto dump = (tmp / "schema.pgc").string();
    auto out = lxc::runChecked({binDir_ + "/pg_dump", "--format=custom", "--schema-only", "--no-publications",
                                "--no-subscriptions", "--no-password", "--host=" + src.host,
                                "--port=" + std::to_string(src.port), "--username=" + src.user,
                                "--dbname=" + src.dbname, "--file=" + dump},
                               dumpTimeout_, envOf(src));
    if (!out) return Error{out.error().kind, "pg_dump --schema-only of " + src.dbname + ": " + out.error().message, {}};
    auto in = lxc::runChecked({binDir_ + "/pg_restore", "--no-password", "--no-owner", "--no-acl",
                               "--role=" + spec.owner, "--exit-on-error", "--single-transaction",
                               "--host=" + admin_.host, "--port=" + std::to_string(admin_.port),
                               "--username=" + admin_.user, "--dbname=" + spec.name, dump},
                              dumpTimeout_, clientEnv());
    if (!in) return Error{in.error().kind, "loading the schema into " + spec.name + ": " + in.error().message, {}};

    auto pub = s->exec("SELECT 1 FROM pg_publication WHERE pubname = $1", {name});
    if (!pub) return pub.error();
    if (pub->rows() == 0)
      if (auto ok = run(*s, "CREATE PUBLICATION " + name + " FOR ALL TABLES"); !ok) return ok.error();

    // The subscription's connection string: libpq's quoting ('…' with \ and ' escaped) inside an SQL literal.
    auto quoted = [](const std::string& v) {
      std::string q = "'";
      for (char ch : v) {
        if (ch == '\\' || ch == '\'') q += '\\';
        q += ch;
      }
      return q + "'";
    };
    std::string conninfo = "host=" + quoted(source.serverHost) + " port=" + quoted(std::to_string(source.serverPort)) +
                           " user=" + quoted(src.user) + " dbname=" + quoted(src.dbname) +
                           " application_name=" + quoted(name);
    if (!src.password.empty()) conninfo += " password=" + quoted(src.password);
    if (!src.sslmode.empty()) conninfo += " sslmode=" + quoted(src.sslmode);
    auto lit = t->literal(conninfo);
    if (!lit) return Error{ErrorKind::Invalid, "the source's connection settings cannot be quoted", {}};
    // The statement holds the password: no server log line may show it.
    (void)t->exec("SET log_min_error_statement = panic");
    (void)t->exec("SET log_statement = 'none'");
    auto sub = t->exec("SELECT 1 FROM pg_subscription WHERE subname = $1", {name});
    if (!sub) return sub.error();
    if (sub->rows() == 0) {
      auto made = t->exec("CREATE SUBSCRIPTION " + name + " CONNECTION " + *lit + " PUBLICATION " + name +
                          " WITH (copy_data = true, create_slot = true, slot_name = " + name + ")");
      if (!made) {
        // The server's message names the host, never the password; ours names neither.
        return Error{made.error().kind, "CREATE SUBSCRIPTION at the new side: " + made.error().message, {}};
      }
    }
    // The initial copy is done once every table is ready ('r') or synchronised ('s').
    const auto until = std::chrono::steady_clock::now() + dumpTimeout_;
    for (;;) {
      auto pending = t->exec("SELECT count(*) FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid "
                             "WHERE s.subname = $1 AND sr.srsubstate NOT IN ('r', 's')",
                             {name});
      if (!pending) return pending.error();
      if (pending->get(0, 0) == "0") return {};
      if (std::chrono::steady_clock::now() > until)
        return Error{ErrorKind::Unavailable, "the initial copy of " + spec.name + " did not end within dumpTimeoutMs", {}};
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  Result<PgConnection> connectAs(const PgParams& who, const std::string& dbname) {
    PgParams p = who;
    p.dbname = dbname;
    return PgConnection::open(p);
  }

  /// The publication's, subscription's and slot's name: "fedihost_" and a hash of the identity key
  /// (a slot name is [a-z0-9_], at most 63 bytes).
  static std::string replicationName(const std::string& key) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char ch : key) {
      h ^= ch;
      h *= 1099511628211ull;
    }
    static const char* hex = "0123456789abcdef";
    std::string name = "fedihost_mig_";
    for (int i = 15; i >= 0; --i) name += hex[(h >> (4 * i)) & 0xf];
    return name;
  }

  std::vector<std::string> envOf(const PgParams& p) const {
    std::vector<std::string> env{"PGCONNECT_TIMEOUT=" + std::to_string(std::max<long long>(1, p.connectTimeout.count() / 1000))};
    if (!p.password.empty()) env.push_back("PGPASSWORD=" + p.password);
    if (!p.sslmode.empty()) env.push_back("PGSSLMODE=" + p.sslmode);
    return env;
  }

  /// The environment of pg_dump and pg_restore: the admin's password never on the command line.
  std::vector<std::string> clientEnv() const { return envOf(admin_); }

  PgParams admin_;
  PgParams repl_;  ///< the replication role (replicationUser/Password, else the admin's)
  std::string replHost_;
  int replPort_ = 5432;
  ClientEndpoint client_;
  std::string binDir_;
  std::chrono::milliseconds dumpTimeout_{3600 * 1000};
};

}  // namespace

std::unique_ptr<DatabaseProvider> makeDatabaseProvider(const ProviderConfig& config) {
  return std::make_unique<PostgresDatabaseProvider>(config);
}

}  // namespace fedihost::providers::postgresql
