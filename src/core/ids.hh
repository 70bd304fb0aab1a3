#pragma once
#include <string>
#include <string_view>

namespace fedihost::ids {

/// A new random id with a type prefix, e.g. newId("dep") -> "dep_7k2m9x4q1c8v5b3n".
std::string newId(std::string_view prefix);

/// `n` random characters of the lower-case Crockford base32 alphabet
/// "0123456789abcdefghjkmnpqrstvwxyz" (no i, l, o, u), 5 bits each.
std::string randomBase32(std::size_t n);

/// `n` random bytes from libsodium, encoded as unpadded base64url.
std::string randomToken(std::size_t n);

}  // namespace fedihost::ids
