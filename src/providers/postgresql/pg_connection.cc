#include "providers/postgresql/pg_connection.hh"

#include <array>

namespace fedihost::providers::postgresql {
namespace {

struct PgFree {
  void operator()(char* p) const { PQfreemem(p); }
};
using PgString = std::unique_ptr<char, PgFree>;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> PgResult::get(int row, int col) const {
  if (isNull(row, col)) return std::nullopt;
  return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

ErrorKind errorKindOf(std::string_view s) {
  if (s.size() != 5) return ErrorKind::Provider;
  const auto cls = s.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || cls == "40" || cls == "58" || s == "55P03" || s == "55006")
    return ErrorKind::Unavailable;  // connection, resources, shutdown/cancel (statement_timeout), deadlock, busy
  if (cls == "28") return ErrorKind::Unauthorized;
  if (s == "42501") return ErrorKind::Forbidden;
  if (s == "42939" || s == "42602" || s == "42622" || cls == "22") return ErrorKind::Invalid;
  if (s == "42710" || s == "42P04") return ErrorKind::Conflict;
  if (s == "3D000" || s == "42704") return ErrorKind::NotFound;
  return ErrorKind::Provider;
}

Result<PgConnection> PgConnection::open(const PgParams& p) {
  const auto ceilSeconds = (p.connectTimeout.count() + 999) / 1000;
  const std::string port = std::to_string(p.port);
  const std::string connectTimeout = std::to_string(std::max<long long>(ceilSeconds, 1));
  const std::string userTimeout = std::to_string(p.statementTimeout.count() + p.connectTimeout.count());
  // Server-side limits: a statement (or a wait for a lock) never outlasts the call.
  const std::string options =
      "-c statement_timeout=" + std::to_string(p.statementTimeout.count()) +
      " -c lock_timeout=" + std::to_string(p.statementTimeout.count()) +
      " -c idle_in_transaction_session_timeout=" + std::to_string(2 * p.statementTimeout.count());
  std::vector<const char*> keys{"host",
                                "port",
                                "user",
                                "dbname",
                                "connect_timeout",
                                "options",
                                "application_name",
                                "client_encoding",
                                "tcp_user_timeout"};
  std::vector<const char*> values{p.host.c_str(),         port.c_str(),    p.user.c_str(), p.dbname.c_str(),
                                  connectTimeout.c_str(), options.c_str(), "fedihost",     "UTF8",
                                  userTimeout.c_str()};
  if (!p.password.empty()) {
    keys.push_back("password");
    values.push_back(p.password.c_str());
  }
  if (!p.sslmode.empty()) {
    keys.push_back("sslmode");
    values.push_back(p.sslmode.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname = 0: a database name is a name, never a connection string.
  PgConnHandle conn(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn) return Error{ErrorKind::Internal, "libpq could not allocate a connection", {}};
  // Notices ("role is already a member", "does not exist, skipping") are expected: not on stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  PgConnection c(std::move(conn));
  if (PQstatus(c.get()) != CONNECTION_OK) return c.connectionError("connecting to PostgreSQL");
  return c;
}

Error PgConnection::connectionError(std::string_view what) const {
  std::string msg = trimmed(PQerrorMessage(conn_.get()));
  const std::string text = std::string(what) + " failed: " + msg;
  // libpq gives no SQLSTATE for a refused connection: its message tells (a server
  // with translated messages (lc_messages) defeats this and gets Unavailable).
  if (PQconnectionNeedsPassword(conn_.get()) || contains(msg, "authentication failed") ||
      contains(msg, "no password supplied") || contains(msg, "pg_hba.conf rejects") ||
      contains(msg, "permission denied for database"))
    return {ErrorKind::Unauthorized, text, {}};
  if (contains(msg, "database \"") && contains(msg, "does not exist")) return {ErrorKind::NotFound, text, {}};
  return {ErrorKind::Unavailable, text, {}};
}

Result<PgResult> PgConnection::exec(std::string_view sql, const std::vector<std::optional<std::string>>& params,
                                    std::string_view field) {
  lastSqlState_.clear();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (auto& v : params) values.push_back(v ? v->c_str() : nullptr);
  const std::string text(sql);
  PgResultHandle res(PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
  if (!res) return connectionError("PostgreSQL statement");
  const auto status = PQresultStatus(res.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(std::move(res));
  if (PQstatus(conn_.get()) == CONNECTION_BAD) return connectionError("PostgreSQL statement");

  const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(res.get(), PG_DIAG_MESSAGE_DETAIL);
  lastSqlState_ = state ? state : "";
  std::string msg = "PostgreSQL: " + (primary ? std::string(primary) : trimmed(PQresultErrorMessage(res.get())));
  if (detail) msg += " (" + std::string(detail) + ")";
  if (!lastSqlState_.empty()) msg += " [SQLSTATE " + lastSqlState_ + "]";
  const auto kind = errorKindOf(lastSqlState_);
  return Error{kind, std::move(msg), kind == ErrorKind::Invalid ? std::string(field) : std::string()};
}

Result<std::string> PgConnection::identifier(std::string_view name, std::string_view field) const {
  PgString q(PQescapeIdentifier(conn_.get(), name.data(), name.size()));
  if (!q)
    return Error::invalid(std::string(field),
                          "cannot be quoted as an identifier: " + trimmed(PQerrorMessage(conn_.get())));
  return std::string(q.get());
}

Result<std::string> PgConnection::literal(std::string_view text, std::string_view field) const {
  PgString q(PQescapeLiteral(conn_.get(), text.data(), text.size()));
  if (!q)
    return Error::invalid(std::string(field), "cannot be quoted as a literal: " + trimmed(PQerrorMessage(conn_.get())));
  return std::string(q.get());
}

Result<std::string> PgConnection::encryptPassword(std::string_view password, std::string_view role) {
  const std::string pw(password), user(role);
  // algorithm nullptr: whatever the server's password_encryption says (scram-sha-256 by default).
  PgString e(PQencryptPasswordConn(conn_.get(), pw.c_str(), user.c_str(), nullptr));
  if (!e) return connectionError("encrypting the password");
  return std::string(e.get());
}

}  // namespace fedihost::providers::postgresql
