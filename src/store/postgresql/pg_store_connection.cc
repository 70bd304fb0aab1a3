#include "store/postgresql/pg_store_connection.hh"

#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace fedihost::store::postgresql {
namespace {

// Type OIDs (catalog/pg_type.h) of the columns returned as numbers.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700, kFloat8 = 701,
              kNumeric = 1700;

bool startsWithWord(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != word[i]) return false;
  return s.size() == word.size() || !(std::isalnum(static_cast<unsigned char>(s[word.size()])) || s[word.size()] == '_');
}

/// Skips whitespace and comments.
std::string_view skipSpace(std::string_view s) {
  for (;;) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    if (s.starts_with("--")) {
      auto nl = s.find('\n');
      s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    } else if (s.starts_with("/*")) {
      auto end = s.find("*/");
      s = end == std::string_view::npos ? std::string_view{} : s.substr(end + 2);
    } else {
      return s;
    }
  }
}

std::string valueText(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, end);
  }
  return std::get<std::string>(v);
}

Value columnValue(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return nullptr;
  const char* p = PQgetvalue(r, row, col);
  std::string_view text(p, static_cast<std::size_t>(PQgetlength(r, row, col)));
  auto asInteger = [&]() -> std::optional<std::int64_t> {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return out;
  };
  switch (PQftype(r, col)) {
    case kBool: return std::int64_t{text == "t" ? 1 : 0};
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      if (auto i = asInteger()) return *i;
      throw DatabaseError("PostgreSQL returned \"" + std::string(text) + "\" for an integer column");
    case kNumeric:  // sum() of bigint is numeric: an integer when it has no fraction
      if (auto i = asInteger()) return *i;
      [[fallthrough]];
    case kFloat4:
    case kFloat8: {
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec != std::errc()) throw DatabaseError("PostgreSQL returned \"" + std::string(text) + "\" for a number");
      return d;
    }
    default: return std::string(text);
  }
}

}  // namespace

Rewritten rewritePlaceholders(std::string_view sql) {
  Rewritten out;
  out.sql.reserve(sql.size() + 8);
  std::size_t i = 0;
  auto copyUntil = [&](std::string_view end, std::size_t from) {
    auto e = sql.find(end, from);
    std::size_t stop = e == std::string_view::npos ? sql.size() : e + end.size();
    out.sql.append(sql.substr(i, stop - i));
    i = stop;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted literal or identifier; a doubled quote inside continues it.
      std::size_t j = i + 1;
      for (;;) {
        j = sql.find(c, j);
        if (j == std::string_view::npos) { j = sql.size(); break; }
        if (j + 1 < sql.size() && sql[j + 1] == c) { j += 2; continue; }
        ++j;
        break;
      }
      out.sql.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copyUntil("\n", i);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      copyUntil("*/", i + 2);
    } else if (c == '?') {
      std::size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
      int n = 0;
      if (j > i + 1) {
        std::from_chars(sql.data() + i + 1, sql.data() + j, n);
      } else {
        n = out.parameters + 1;
      }
      if (n < 1) throw DatabaseError("placeholder ?0 in \"" + std::string(sql.substr(0, 80)) + "\"");
      out.parameters = std::max(out.parameters, n);
      out.sql += '$';
      out.sql += std::to_string(n);
      i = j;
    } else {
      out.sql += c;
      ++i;
    }
  }
  return out;
}

bool isWriteStatement(std::string_view sql) {
  auto s = skipSpace(sql);
  for (auto w : {"INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"})
    if (startsWithWord(s, w)) return true;
  return false;
}

void checkResult(PGconn* c, const PGresult* r, std::string_view what) {
  auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return;
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string full = std::string(what) + ": " + msg;
  if (state && std::string_view(state).starts_with("23")) throw ConstraintError(full);
  throw DatabaseError(full);
}

class PgStatement final : public Statement {
 public:
  PgStatement(PgStoreConnection& owner, std::string original, std::string name, int parameters, bool write)
      : owner_(owner), original_(std::move(original)), name_(std::move(name)),
        params_(static_cast<std::size_t>(parameters)), write_(write) {}

  void bind(int index, const Value& v) override {
    if (index < 1 || static_cast<std::size_t>(index) > params_.size())
      throw DatabaseError("bind: no placeholder ?" + std::to_string(index) + " in \"" + original_.substr(0, 80) + "\"");
    if (std::holds_alternative<std::nullptr_t>(v))
      params_[static_cast<std::size_t>(index - 1)].reset();
    else
      params_[static_cast<std::size_t>(index - 1)] = valueText(v);
  }

  bool step() override {
    if (!result_) {
      execute();
      row_ = -1;
    }
    ++row_;
    return row_ < PQntuples(result_.get());
  }

  Row row() const override {
    int n = PQnfields(result_.get());
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) values.push_back(columnValue(result_.get(), row_, i));
    return Row(std::move(values));
  }

  std::int64_t changes() const override { return changes_; }
  void reset() override { result_.reset(); }

 private:
  void execute() {
    std::vector<const char*> values;
    values.reserve(params_.size());
    for (auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
    // A write outside a transaction takes the write lock around itself, as SQLite would.
    bool wrap = write_ && !owner_.inTx_;
    if (wrap) owner_.begin(true);
    try {
      PGconn* c = owner_.conn_.get();
      result_.reset(PQexecPrepared(c, name_.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                   nullptr, 0));
      checkResult(c, result_.get(), "\"" + original_.substr(0, 80) + "\"");
      const char* tuples = PQcmdTuples(result_.get());
      changes_ = tuples && *tuples ? std::stoll(tuples) : 0;
      if (wrap) owner_.commit();
    } catch (...) {
      if (wrap) {
        try {
          owner_.rollback();
        } catch (...) {
        }
      }
      throw;
    }
  }

  PgStoreConnection& owner_;
  std::string original_;
  std::string name_;
  std::vector<std::optional<std::string>> params_;
  bool write_;
  ResultHandle result_;
  int row_ = -1;
  std::int64_t changes_ = 0;
};

PgStoreConnection::PgStoreConnection(const std::string& url) {
  conn_.reset(PQconnectdb(url.c_str()));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    // The URL may hold a password: name the server only.
    throw DatabaseError("cannot connect to PostgreSQL: " + msg);
  }
  PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  simple("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
}

void PgStoreConnection::ensureConnected() {
  if (PQstatus(conn_.get()) == CONNECTION_OK || inTx_) return;
  PQreset(conn_.get());
  prepared_.clear();
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw DatabaseError(std::string("the connection to PostgreSQL is lost: ") + PQerrorMessage(conn_.get()));
  simple("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
}

ResultHandle PgStoreConnection::simple(const std::string& sql) {
  ResultHandle r(PQexec(conn_.get(), sql.c_str()));
  checkResult(conn_.get(), r.get(), "\"" + sql.substr(0, 80) + "\"");
  return r;
}

const std::string& PgStoreConnection::preparedName(const std::string& rewritten, int parameters) {
  if (auto it = prepared_.find(rewritten); it != prepared_.end()) return it->second;
  if (prepared_.size() >= 1024) {  // SQL built from filters: keep the server's memory bounded
    simple("DEALLOCATE ALL");
    prepared_.clear();
  }
  std::string name = "s" + std::to_string(++nextName_);
  ResultHandle r(PQprepare(conn_.get(), name.c_str(), rewritten.c_str(), parameters, nullptr));
  checkResult(conn_.get(), r.get(), "prepare \"" + rewritten.substr(0, 80) + "\"");
  return prepared_.emplace(rewritten, std::move(name)).first->second;
}

std::unique_ptr<Statement> PgStoreConnection::prepare(std::string_view sql) {
  ensureConnected();
  auto rw = rewritePlaceholders(sql);
  const auto& name = preparedName(rw.sql, rw.parameters);
  return std::make_unique<PgStatement>(*this, std::string(sql), name, rw.parameters, isWriteStatement(sql));
}

void PgStoreConnection::execScript(std::string_view sql) {
  ensureConnected();
  simple(std::string(sql));
}

void PgStoreConnection::begin(bool write) {
  ensureConnected();
  try {
    if (write)
      simple("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" + std::to_string(kWriteLockKey) +
             ")");
    else
      simple("BEGIN ISOLATION LEVEL REPEATABLE READ");
  } catch (...) {
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
    throw;
  }
  inTx_ = true;
}

void PgStoreConnection::commit() {
  inTx_ = false;
  auto r = simple("COMMIT");
  // COMMIT of a transaction that failed earlier answers ROLLBACK instead of an error.
  if (std::string_view(PQcmdStatus(r.get())) == "ROLLBACK")
    throw DatabaseError("the transaction failed earlier and was rolled back");
}

void PgStoreConnection::rollback() {
  inTx_ = false;
  simple("ROLLBACK");
}

}  // namespace fedihost::store::postgresql
