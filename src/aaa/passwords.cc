#include "aaa/passwords.hh"

#include <sodium.h>

#include <stdexcept>

namespace fedihost::aaa {
namespace {

constexpr auto kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr auto kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

}  // namespace

std::string hashPassword(std::string_view password) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOps, kMem) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verifyPassword(std::string_view hash, std::string_view password) {
  if (sodium_init() < 0) return false;
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool needsRehash(std::string_view hash) {
  std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), kOps, kMem) != 0;
}

void burnPasswordCheck(std::string_view password) {
  // A hash of a random password, made once: verifying against it costs a real check.
  static const std::string dummy = hashPassword("fedihost: no account has this password");
  (void)verifyPassword(dummy, password);
}

}  // namespace fedihost::aaa
