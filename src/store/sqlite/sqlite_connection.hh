#pragma once
// SQLite implementation of the SQL interface: WAL, a busy timeout, BEGIN IMMEDIATE for writes.
#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql.hh"

namespace fedihost::store::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

/// One connection. Prepared statements are cached by their SQL text and reused
/// (a statement in use is never handed out twice: a second user gets a fresh one).
class SqliteConnection final : public Connection {
 public:
  /// Opens (creating if needed) the database file at `path`; ":memory:" works too.
  explicit SqliteConnection(const std::string& path);

  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  void execScript(std::string_view sql) override;
  void begin(bool write) override;
  void commit() override;
  void rollback() override;
  std::string_view dialect() const override { return "sqlite"; }

 private:
  friend class SqliteStatement;
  /// Takes back a finished statement for reuse.
  void recycle(const std::string& sql, StmtHandle st);

  DbHandle db_;
  std::unordered_map<std::string, StmtHandle> idle_;  // destroyed before db_
};

}  // namespace fedihost::store::sqlite
