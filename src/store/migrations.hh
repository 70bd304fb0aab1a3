#pragma once
// Versioned schema migrations: files store/migrations/<database>/NNN_name.sql,
// embedded in the binary, applied in order at start, each in one transaction.
#include <string>
#include <vector>

#include "store/sql.hh"

namespace fedihost::store {

enum class DatabaseKind { State, Accounting };

/// Applies every migration of `kind` not yet applied; returns the versions applied now.
std::vector<int> migrate(Connection& c, DatabaseKind kind);

/// The highest version known to this binary for `kind`.
int latestVersion(DatabaseKind kind);

}  // namespace fedihost::store
