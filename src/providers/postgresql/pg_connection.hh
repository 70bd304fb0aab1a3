#pragma once
// A small RAII wrapper around libpq for the PostgreSQL providers: a connection
// with timeouts, results freed on scope exit, failures as values (Error) with
// the server's message and SQLSTATE, and the quoting functions of libpq.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>  // Debian's layout, when pkg-config's -I/usr/include/postgresql is not given
#endif

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"

namespace fedihost::providers::postgresql {

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnHandle = std::unique_ptr<PGconn, PgConnCloser>;
using PgResultHandle = std::unique_ptr<PGresult, PgResultClearer>;

/// The rows of a successful statement (text format).
class PgResult {
 public:
  explicit PgResult(PgResultHandle r) : r_(std::move(r)) {}
  int rows() const { return PQntuples(r_.get()); }
  bool isNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  /// The value as text; std::nullopt for SQL NULL.
  std::optional<std::string> get(int row, int col) const;

 private:
  PgResultHandle r_;
};

/// Where and how to connect.
struct PgParams {
  std::string host;
  int port = 5432;
  std::string user;
  std::string password;  ///< empty: none (trust or a password file)
  std::string dbname;
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds statementTimeout{10000};  ///< also bounds lock waits and TCP writes
  std::string sslmode;                                ///< empty: libpq's default ("prefer")
};

/// One libpq connection, closed on destruction.
class PgConnection {
 public:
  /// Connects. Refused credentials are Unauthorized (with the server's message),
  /// an unreachable or overloaded server is Unavailable, a database that does not
  /// exist is NotFound.
  static Result<PgConnection> open(const PgParams& params);

  /// Runs one statement, with parameters $1, $2… sent apart from the SQL text.
  /// A failure is an Error keeping the server's message; the SQLSTATE is in lastSqlState().
  /// `field` names the attribute at fault when the server refuses a value.
  Result<PgResult> exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {},
                        std::string_view field = {});

  /// The SQLSTATE of the last failed exec() ("" after a success or a connection failure).
  const std::string& lastSqlState() const { return lastSqlState_; }

  /// "name" quoted as an SQL identifier (PQescapeIdentifier).
  Result<std::string> identifier(std::string_view name, std::string_view field = {}) const;
  /// 'text' quoted as an SQL string literal (PQescapeLiteral), for statements that take no parameters.
  Result<std::string> literal(std::string_view text, std::string_view field = {}) const;
  /// The password as the server would store it (a SCRAM verifier under the server's
  /// password_encryption), so that the clear text never travels in SQL nor reaches a log.
  Result<std::string> encryptPassword(std::string_view password, std::string_view role);

  PGconn* get() const { return conn_.get(); }

 private:
  explicit PgConnection(PgConnHandle c) : conn_(std::move(c)) {}
  Error connectionError(std::string_view what) const;

  PgConnHandle conn_;
  std::string lastSqlState_;
};

/// The ErrorKind a SQLSTATE means for a provider: connection, resource and
/// timeout classes are Unavailable (retryable), authorization ones Unauthorized,
/// invalid names Invalid, the rest Provider.
ErrorKind errorKindOf(std::string_view sqlState);

}  // namespace fedihost::providers::postgresql
