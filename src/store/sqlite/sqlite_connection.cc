#include "store/sqlite/sqlite_connection.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fedihost::store::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if ((rc & 0xff) == SQLITE_CONSTRAINT) throw ConstraintError(msg);
  throw DatabaseError(msg);
}

}  // namespace

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(SqliteConnection& owner, std::string sql, StmtHandle st)
      : owner_(owner), db_(owner.db_.get()), sql_(std::move(sql)), st_(std::move(st)) {}
  ~SqliteStatement() override { owner_.recycle(sql_, std::move(st_)); }

  void bind(int index, const Value& v) override {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v))
      rc = sqlite3_bind_null(st_.get(), index);
    else if (auto* i = std::get_if<std::int64_t>(&v))
      rc = sqlite3_bind_int64(st_.get(), index, *i);
    else if (auto* d = std::get_if<double>(&v))
      rc = sqlite3_bind_double(st_.get(), index, *d);
    else {
      auto& s = std::get<std::string>(v);
      rc = sqlite3_bind_text(st_.get(), index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) fail(db_, rc, "bind");
  }

  bool step() override {
    int rc = sqlite3_step(st_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      changes_ = sqlite3_changes64(db_);
      return false;
    }
    fail(db_, rc, "step");
  }

  Row row() const override {
    int n = sqlite3_column_count(st_.get());
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(st_.get(), i)) {
        case SQLITE_NULL: values.emplace_back(nullptr); break;
        case SQLITE_INTEGER: values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(st_.get(), i))); break;
        case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(st_.get(), i)); break;
        default: {
          auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_.get(), i));
          values.emplace_back(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st_.get(), i))));
        }
      }
    }
    return Row(std::move(values));
  }

  std::int64_t changes() const override { return changes_; }
  void reset() override { sqlite3_reset(st_.get()); }

 private:
  SqliteConnection& owner_;
  sqlite3* db_;
  std::string sql_;
  StmtHandle st_;
  std::int64_t changes_ = 0;
};

SqliteConnection::SqliteConnection(const std::string& path) {
  // The database is created here with mode 0600 before SQLite opens it; SQLite gives
  // its -wal and -shm files the database's mode. An existing file is left as it is.
  if (!path.empty() && path != ":memory:" && !path.starts_with("file:")) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    else if (errno != EEXIST) throw DatabaseError("create " + path + ": " + std::strerror(errno));
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) fail(raw, rc, "open " + path);
  sqlite3_busy_timeout(db_.get(), 10000);
  execScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
}

std::unique_ptr<Statement> SqliteConnection::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = idle_.find(key); it != idle_.end()) {
    auto st = std::move(it->second);
    idle_.erase(it);
    return std::make_unique<SqliteStatement>(*this, std::move(key), std::move(st));
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StmtHandle st(raw);
  if (rc != SQLITE_OK) fail(db_.get(), rc, "prepare \"" + std::string(sql.substr(0, 80)) + "\"");
  return std::make_unique<SqliteStatement>(*this, std::move(key), std::move(st));
}

void SqliteConnection::recycle(const std::string& sql, StmtHandle st) {
  if (!st) return;
  sqlite3_reset(st.get());  // also ends a read left open by an unfinished step
  sqlite3_clear_bindings(st.get());
  if (idle_.size() < 256) idle_.try_emplace(sql, std::move(st));  // a duplicate is finalized here
}

void SqliteConnection::execScript(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) throw ConstraintError(msg);
    throw DatabaseError(msg);
  }
}

void SqliteConnection::begin(bool write) { execScript(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
void SqliteConnection::commit() { execScript("COMMIT"); }
void SqliteConnection::rollback() { execScript("ROLLBACK"); }

}  // namespace fedihost::store::sqlite
