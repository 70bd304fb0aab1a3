#pragma once
// Argon2id password hashes (libsodium). Each call costs ~64 MiB and tens of
// milliseconds by design: call these only on the credential threads, never on
// the I/O thread.
#include <string>
#include <string_view>

namespace fedihost::aaa {

/// Argon2id hash (libsodium crypto_pwhash_str, interactive limits) of a password.
std::string hashPassword(std::string_view password);

/// True if `password` matches a hash made by hashPassword (constant-time).
bool verifyPassword(std::string_view hash, std::string_view password);

/// True if a hash was made with other parameters than hashPassword uses now (rehash on login).
bool needsRehash(std::string_view hash);

/// Costs what verifyPassword costs, for an address with no account (no probing by timing).
void burnPasswordCheck(std::string_view password);

}  // namespace fedihost::aaa
