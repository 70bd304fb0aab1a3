#include "store/sql.hh"

#include <charconv>

#include "store/postgresql/pg_store_connection.hh"
#include "store/sqlite/sqlite_connection.hh"

namespace fedihost::store {

std::string Row::text(int col) const {
  const auto& v = values_.at(col);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return {};
}

std::int64_t Row::integer(int col) const {
  const auto& v = values_.at(col);
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec != std::errc() || end != s->data() + s->size())
      throw DatabaseError("column " + std::to_string(col) + " holds \"" + s->substr(0, 40) + "\", not an integer");
    return out;
  }
  return 0;
}

namespace {
std::unique_ptr<Statement> prepared(Connection& c, std::string_view sql, const std::vector<Value>& params) {
  auto st = c.prepare(sql);
  for (std::size_t i = 0; i < params.size(); ++i) st->bind(static_cast<int>(i + 1), params[i]);
  return st;
}
}  // namespace

std::vector<Row> Connection::query(std::string_view sql, const std::vector<Value>& params) {
  auto st = prepared(*this, sql, params);
  std::vector<Row> rows;
  while (st->step()) rows.push_back(st->row());
  return rows;
}

std::int64_t Connection::execute(std::string_view sql, const std::vector<Value>& params) {
  auto st = prepared(*this, sql, params);
  while (st->step()) {
  }
  return st->changes();
}

std::optional<Row> Connection::queryOne(std::string_view sql, const std::vector<Value>& params) {
  auto st = prepared(*this, sql, params);
  if (!st->step()) return std::nullopt;
  return st->row();
}

std::unique_ptr<Connection> connect(const std::string& url) {
  std::string_view u(url);
  if (u.starts_with("sqlite:")) return std::make_unique<sqlite::SqliteConnection>(std::string(u.substr(7)));
  if (u.starts_with("postgresql://") || u.starts_with("postgres://"))
    return std::make_unique<postgresql::PgStoreConnection>(url);
  if (u.find("://") == std::string_view::npos && !u.starts_with("postgresql:") && !u.starts_with("postgres:"))
    return std::make_unique<sqlite::SqliteConnection>(url);
  // Not the URL itself: it may hold a password.
  throw DatabaseError("unknown database URL scheme \"" + std::string(u.substr(0, u.find(':'))) +
                      "\" (known: sqlite:PATH, postgresql://USER@HOST:PORT/DATABASE)");
}

}  // namespace fedihost::store
