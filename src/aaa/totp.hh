#pragma once
// A second factor for login: time-based one-time passwords (TOTP, RFC 6238:
// HOTP of RFC 4226 over 30-second steps), their secrets in base32 (RFC 4648) as
// authenticator apps take them, and single-use recovery codes.
//
// The caller keeps, per user, the secret (sealed), the last step that matched
// (to refuse a code twice) and the hashes of the unused recovery codes.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedihost::aaa::totp {

/// RFC 4648 base32: upper case, without padding.
std::string base32Encode(std::span<const unsigned char> bytes);

/// Decodes base32, accepting lower case, spaces and trailing '=' padding;
/// nullopt for any other character or an impossible length.
std::optional<std::vector<unsigned char>> base32Decode(std::string_view text);

/// A new secret: 20 random bytes (160 bits, as RFC 4226 recommends), base32.
std::string newSecret();

/// The HMAC under the code.
enum class Algorithm { Sha1, Sha256, Sha512 };

/// The code for a time: HOTP(key, unixTime / period), `digits` decimal digits
/// with leading zeros. Preconditions: 1 <= digits <= 9, period > 0.
std::string code(std::span<const unsigned char> key, std::uint64_t unixTime, Algorithm algorithm = Algorithm::Sha1,
                 int digits = 6, int period = 30);

/// Checks a 6-digit SHA-1 code of 30-second steps (what provisioningUri
/// announces) against the steps within `window` of `unixTime`; returns the step
/// that matched, for the caller to store as the next `lastUsedStep` (-1: none
/// yet). A step <= lastUsedStep never matches, so a code works once. nullopt if
/// nothing matches or the secret is not base32. Codes are compared in constant time.
std::optional<std::int64_t> verify(std::string_view base32Secret, std::string_view code, std::uint64_t unixTime,
                                   std::int64_t lastUsedStep, int window = 1);

/// The otpauth:// URI an authenticator app reads from a QR code:
/// otpauth://totp/Issuer:account?secret=...&issuer=Issuer&algorithm=SHA1&digits=6&period=30
/// (label and parameters percent-encoded).
std::string provisioningUri(std::string_view issuer, std::string_view account, std::string_view base32Secret);

/// `n` new recovery codes "xxxx-xxxx-xxxx": 12 characters of 5 bits each (60
/// bits) from the lower-case Crockford alphabet, which has no i, l, o or u.
std::vector<std::string> newRecoveryCodes(int n = 10);

/// A recovery code as typed, in the form to hash and compare: spaces and dashes
/// removed, lower case, and the letters people type for digits read as those
/// digits (o -> 0, i and l -> 1).
std::string normaliseRecoveryCode(std::string_view code);

}  // namespace fedihost::aaa::totp
