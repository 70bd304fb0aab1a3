#pragma once
// The small SQL interface behind which the state and accounting databases live
// (SQLite embedded, or PostgreSQL): prepare, bind, step, transaction.
// Placeholders are written ?1, ?2, … in every dialect (an implementation
// rewrites them if its server wants another form).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fedihost::store {

/// A bound parameter or a column value.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

/// One result row; columns by index.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  bool isNull(int col) const { return std::holds_alternative<std::nullptr_t>(values_.at(col)); }
  /// Text of a column (a number is formatted; NULL gives "").
  std::string text(int col) const;
  /// Integer of a column (text is parsed, and text that is not an integer throws
  /// DatabaseError: a corrupt row is an error, never 0; NULL gives 0).
  std::int64_t integer(int col) const;
  std::size_t size() const { return values_.size(); }

 private:
  std::vector<Value> values_;
};

/// A prepared statement.
class Statement {
 public:
  virtual ~Statement() = default;
  /// Binds parameter ?index (1-based).
  virtual void bind(int index, const Value& v) = 0;
  /// Advances; true while a row is available.
  virtual bool step() = 0;
  /// The current row (after step() returned true).
  virtual Row row() const = 0;
  /// Rows changed by the last completed INSERT/UPDATE/DELETE.
  virtual std::int64_t changes() const = 0;
  /// Resets for another execution, keeping bindings.
  virtual void reset() = 0;
};

/// Failure of the database itself (I/O, corruption, syntax); aborts the request.
/// A unique-constraint violation is reported as ConstraintError so callers can
/// turn it into a Conflict.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ConstraintError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// One connection to a database.
class Connection {
 public:
  virtual ~Connection() = default;
  /// Prepares a statement; throws DatabaseError on a syntax error.
  virtual std::unique_ptr<Statement> prepare(std::string_view sql) = 0;
  /// Runs one or more statements without parameters (migrations).
  virtual void execScript(std::string_view sql) = 0;
  /// Starts a transaction; `write` takes the write lock at once (SQLite: BEGIN IMMEDIATE).
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  /// The dialect's name: "sqlite" or "postgresql".
  virtual std::string_view dialect() const = 0;

  /// Prepares, binds and collects every row.
  std::vector<Row> query(std::string_view sql, const std::vector<Value>& params = {});
  /// Prepares, binds, runs; returns rows changed.
  std::int64_t execute(std::string_view sql, const std::vector<Value>& params = {});
  /// The first row, if any.
  std::optional<Row> queryOne(std::string_view sql, const std::vector<Value>& params = {});

  /// Runs inside every write Transaction of this connection just before it commits
  /// (the API uses it to put a request's audit row into the outbox in the same
  /// transaction as the request's change). May write; an exception rolls back.
  std::function<void(Connection&)> beforeWriteCommit;
};

/// RAII transaction: rolls back unless committed.
class Transaction {
 public:
  Transaction(Connection& c, bool write) : c_(c), write_(write) { c_.begin(write); }
  ~Transaction() {
    if (!done_) {
      try {
        c_.rollback();
      } catch (...) {
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    if (write_ && c_.beforeWriteCommit) c_.beforeWriteCommit(c_);
    c_.commit();
    done_ = true;
  }
  /// Rolls back now (e.g. after a failed statement, before reading again).
  void rollback() {
    done_ = true;
    c_.rollback();
  }

 private:
  Connection& c_;
  bool write_ = false;
  bool done_ = false;
};

/// Opens a connection by URL: "sqlite:/path/to/file.db" (or a plain path), or
/// "postgresql://user:password@host:port/database?…" ("postgres://" too; any libpq URI).
/// Unknown schemes are an error that names the known ones.
std::unique_ptr<Connection> connect(const std::string& url);

}  // namespace fedihost::store
