#include "store/migrations.hh"

#include <algorithm>
#include <map>

#include "core/clock.hh"
#include "core/embedded.hh"
#include "core/result.hh"

namespace fedihost::store {
namespace {

struct Migration {
  int version;
  std::string name;
  std::string_view sql;
};

std::vector<Migration> migrationsOf(DatabaseKind kind) {
  std::string prefix = kind == DatabaseKind::State ? "store/migrations/state/" : "store/migrations/accounting/";
  std::vector<Migration> out;
  for (auto& [name, body] : embedded::all()) {
    if (!name.starts_with(prefix)) continue;
    std::string file(name.substr(prefix.size()));
    out.push_back({std::stoi(file.substr(0, file.find('_'))), file, body});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.version < b.version; });
  return out;
}

}  // namespace

int latestVersion(DatabaseKind kind) {
  auto m = migrationsOf(kind);
  return m.empty() ? 0 : m.back().version;
}

std::vector<int> migrate(Connection& c, DatabaseKind kind) {
  c.execScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at TEXT NOT NULL)");
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
    c.execScript(m.sql);
    c.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
              {std::int64_t{m.version}, m.name, clock::nowRfc3339()});
    tx.commit();
    applied.push_back(m.version);
  }
  return applied;
}

}  // namespace fedihost::store
