#include "store/migrations.hh"

#include <algorithm>
#include <map>
#include <mutex>

#include "core/clock.hh"
#include "core/embedded.hh"
#include "core/result.hh"
#include "store/migration_dialect.hh"

namespace fedihost::store {
namespace {

struct Migration {
  int version;
  std::string name;               ///< NNN_name.sql
  std::string_view sql;           ///< SQLite's dialect
  std::string_view postgresql;    ///< NNN_name.postgresql.sql if there is one
};

constexpr std::string_view kPgSuffix = ".postgresql.sql";

std::vector<Migration> migrationsOf(DatabaseKind kind) {
  std::string prefix = kind == DatabaseKind::State ? "store/migrations/state/" : "store/migrations/accounting/";
  std::map<int, Migration> byVersion;
  for (auto& [name, body] : embedded::all()) {
    if (!name.starts_with(prefix)) continue;
    std::string file(name.substr(prefix.size()));
    int version = std::stoi(file.substr(0, file.find('_')));
    auto& m = byVersion[version];
    m.version = version;
    if (file.ends_with(kPgSuffix)) {
      m.postgresql = body;
    } else {
      m.name = file;
      m.sql = body;
    }
  }
  std::vector<Migration> out;
  for (auto& [v, m] : byVersion) {
    if (m.name.empty()) throw DatabaseError("migration " + std::to_string(v) + " has a PostgreSQL version only");
    out.push_back(m);
  }
  return out;
}

std::string scriptFor(const Migration& m, std::string_view dialect) {
  if (dialect != "postgresql") return std::string(m.sql);
  if (!m.postgresql.empty()) return std::string(m.postgresql);
  // Translated once per process (each server opens and migrates a database once, tests many).
  static std::mutex mu;
  static std::map<std::string, std::string, std::less<>> cache;
  std::lock_guard lock(mu);
  auto key = std::string(m.sql);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  return cache.emplace(key, translateToPostgresql(m.sql)).first->second;
}

}  // namespace

int latestVersion(DatabaseKind kind) {
  auto m = migrationsOf(kind);
  return m.empty() ? 0 : m.back().version;
}

std::vector<int> migrate(Connection& c, DatabaseKind kind) {
  {
    // In a write transaction: two servers starting at once on one PostgreSQL database take turns.
    Transaction tx(c, true);
    c.execScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)");
    tx.commit();
  }
  // A database a newer fedihost migrated: its tables may mean what this binary does not know.
  const int known = latestVersion(kind);
  if (auto row = c.queryOne("SELECT max(version) FROM schema_migrations"); row && !row->isNull(0)) {
    const auto found = row->integer(0);
    if (found > known)
      throw AbortError({ErrorKind::Internal,
                        std::string("the ") + (kind == DatabaseKind::State ? "state" : "accounting") +
                            " database is at schema version " + std::to_string(found) + ", newer than fedihost " +
                            FEDIHOST_VERSION + " knows (schema version " + std::to_string(known) +
                            "): a newer fedihost has used it. Run that version or a later one, or restore the "
                            "backup made before the upgrade; this one does not start on it.",
                        {}});
  }
  std::vector<int> applied;
  for (auto& m : migrationsOf(kind)) {
    Transaction tx(c, true);
    if (c.queryOne("SELECT 1 FROM schema_migrations WHERE version = ?1", {std::int64_t{m.version}})) continue;
    c.execScript(scriptFor(m, c.dialect()));
    c.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
              {std::int64_t{m.version}, m.name, clock::nowRfc3339()});
    tx.commit();
    applied.push_back(m.version);
  }
  return applied;
}

}  // namespace fedihost::store
