#pragma once
// PostgreSQL implementation of the SQL interface (libpq): prepared statements
// (placeholders ?1..?N rewritten to $1..$N), text parameters and results (columns
// of integer types come back as integers), unique violations as ConstraintError.
//
// Transactions: a write transaction (begin(true)) is READ COMMITTED and takes the
// database's write lock first, a transaction-level advisory lock, so writers run
// one at a time exactly as with SQLite's BEGIN IMMEDIATE, and every statement of
// the transaction sees what the writers before it committed: the read-then-write
// code of the stores (the next audit sequence number and hash, the next IP
// address, version checks) stays correct without per-statement row locks, and a
// write transaction never meets a serialization failure, so none is retried. A
// write outside a transaction (autocommit INSERT/UPDATE/DELETE) takes the same
// lock around itself. A read transaction is REPEATABLE READ (one snapshot, as
// SQLite's deferred BEGIN) and takes no lock.
// The lock is per database: the state and the accounting database must be two
// databases (they are in every URL this program builds).
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sql.hh"

namespace fedihost::store::postgresql {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

/// ?1..?N (and a bare ?, numbered after the highest so far, as SQLite does) to
/// $1..$N, outside string literals, quoted identifiers and comments.
struct Rewritten {
  std::string sql;
  int parameters = 0;  ///< the highest placeholder number
};
Rewritten rewritePlaceholders(std::string_view sql);

/// True for a statement that writes (INSERT, UPDATE, DELETE, REPLACE, or WITH … of them).
bool isWriteStatement(std::string_view sql);

/// The advisory lock key every write transaction takes (per database).
inline constexpr long long kWriteLockKey = 0x6665646968737400LL;  // "fedihst\0"

class PgStoreConnection final : public Connection {
 public:
  /// Connects with a libpq URI ("postgresql://user@host:port/db?..."); DatabaseError if it cannot.
  explicit PgStoreConnection(const std::string& url);

  std::unique_ptr<Statement> prepare(std::string_view sql) override;
  void execScript(std::string_view sql) override;
  void begin(bool write) override;
  void commit() override;
  void rollback() override;
  std::string_view dialect() const override { return "postgresql"; }

 private:
  friend class PgStatement;
  /// Runs a simple query (no parameters), throwing on failure.
  ResultHandle simple(const std::string& sql);
  /// The server-side name of the prepared statement for `sql`, preparing it once.
  const std::string& preparedName(const std::string& rewritten, int parameters);
  /// Reconnects a broken connection when no transaction is open.
  void ensureConnected();

  ConnHandle conn_;
  std::unordered_map<std::string, std::string> prepared_;  // rewritten SQL -> statement name
  int nextName_ = 0;
  bool inTx_ = false;
};

/// Throws ConstraintError (SQLSTATE class 23, e.g. 23505 unique violation) or
/// DatabaseError for a failed result; returns normally for a good one.
void checkResult(PGconn* c, const PGresult* r, std::string_view what);

}  // namespace fedihost::store::postgresql
