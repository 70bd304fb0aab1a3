#pragma once
#include <string>
#include <string_view>

namespace fedihost::aaa {

/// Argon2id hash (libsodium crypto_pwhash_str, interactive limits) of a password.
std::string hashPassword(std::string_view password);

/// True if `password` matches a hash made by hashPassword (constant-time).
bool verifyPassword(std::string_view hash, std::string_view password);

}  // namespace fedihost::aaa
