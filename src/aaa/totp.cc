#include "aaa/totp.hh"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <stdexcept>

#include "core/ids.hh"
#include "net/http.hh"

namespace fedihost::aaa::totp {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kDigits = 6;
constexpr int kPeriod = 30;

const EVP_MD* digest(Algorithm a) {
  switch (a) {
    case Algorithm::Sha1: return EVP_sha1();
    case Algorithm::Sha256: return EVP_sha256();
    case Algorithm::Sha512: return EVP_sha512();
  }
  return EVP_sha1();
}

/// HOTP (RFC 4226 section 5.3) of one counter value.
std::string hotp(std::span<const unsigned char> key, std::uint64_t counter, Algorithm algorithm, int digits) {
  assert(digits >= 1 && digits <= 9);
  std::array<unsigned char, 8> message;
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<unsigned char>(counter & 0xff);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
  unsigned int macLen = 0;
  if (!HMAC(digest(algorithm), key.data(), static_cast<int>(key.size()), message.data(), message.size(), mac.data(),
            &macLen))
    throw std::runtime_error("OpenSSL could not compute an HMAC");
  const unsigned offset = mac[macLen - 1] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string out = std::to_string(binary % modulus);
  return std::string(static_cast<std::size_t>(digits) - out.size(), '0') + out;
}

}  // namespace

std::string base32Encode(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kAlphabet[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::vector<unsigned char>> base32Decode(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != ' ') clean += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  while (!clean.empty() && clean.back() == '=') clean.pop_back();
  // 8 characters carry 5 bytes; a last group of 1, 3 or 6 characters cannot end on a byte.
  const auto rest = clean.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) return std::nullopt;
  std::vector<unsigned char> out;
  out.reserve(clean.size() * 5 / 8);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : clean) {
    auto value = kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<unsigned>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string newSecret() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::array<unsigned char, 20> key;
  randombytes_buf(key.data(), key.size());
  auto secret = base32Encode(key);
  sodium_memzero(key.data(), key.size());
  return secret;
}

std::string code(std::span<const unsigned char> key, std::uint64_t unixTime, Algorithm algorithm, int digits,
                 int period) {
  assert(period > 0);
  return hotp(key, unixTime / static_cast<std::uint64_t>(period), algorithm, digits);
}

std::optional<std::int64_t> verify(std::string_view base32Secret, std::string_view code, std::uint64_t unixTime,
                                   std::int64_t lastUsedStep, int window) {
  auto key = base32Decode(base32Secret);
  if (!key || key->empty() || code.size() != static_cast<std::size_t>(kDigits)) return std::nullopt;
  const auto now = static_cast<std::int64_t>(unixTime / kPeriod);
  std::optional<std::int64_t> matched;
  for (std::int64_t step = now - window; step <= now + window; ++step) {
    if (step < 0 || step <= lastUsedStep) continue;
    auto expected = hotp(*key, static_cast<std::uint64_t>(step), Algorithm::Sha1, kDigits);
    if (sodium_memcmp(expected.data(), code.data(), kDigits) == 0 && !matched) matched = step;
  }
  sodium_memzero(key->data(), key->size());
  return matched;
}

std::string provisioningUri(std::string_view issuer, std::string_view account, std::string_view base32Secret) {
  const auto encodedIssuer = net::uriEncode(issuer);
  return "otpauth://totp/" + encodedIssuer + ":" + net::uriEncode(account) + "?secret=" + net::uriEncode(base32Secret) +
         "&issuer=" + encodedIssuer + "&algorithm=SHA1&digits=" + std::to_string(kDigits) +
         "&period=" + std::to_string(kPeriod);
}

std::vector<std::string> newRecoveryCodes(int n) {
  std::vector<std::string> codes;
  while (static_cast<int>(codes.size()) < n) {
    auto raw = ids::randomBase32(12);
    auto code = raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4);
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(std::move(code));
  }
  return codes;
}

std::string normaliseRecoveryCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == 'o') c = '0';
    if (c == 'i' || c == 'l') c = '1';
    out += c;
  }
  return out;
}

}  // namespace fedihost::aaa::totp
