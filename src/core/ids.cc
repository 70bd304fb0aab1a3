#include "core/ids.hh"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace fedihost::ids {
namespace {
void ensureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}
}  // namespace

std::string randomBase32(std::size_t n) {
  ensureSodium();
  static constexpr char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";  // Crockford base32
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out += alphabet[randombytes_uniform(32)];
  return out;
}

std::string newId(std::string_view prefix) { return std::string(prefix) + "_" + randomBase32(16); }

std::string randomToken(std::size_t n) {
  ensureSodium();
  std::vector<unsigned char> bytes(n);
  randombytes_buf(bytes.data(), n);
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));
  return out;
}

}  // namespace fedihost::ids
