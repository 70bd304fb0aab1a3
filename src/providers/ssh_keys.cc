#include "providers/ssh_keys.hh"

#include <sodium.h>

#include <array>
#include <vector>

namespace fedihost::providers {

Result<std::string> publicKeyBlob(std::string_view line, const std::string& field) {
  static constexpr std::array<std::string_view, 7> kTypes{
      "ssh-ed25519",         "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
      "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"};
  auto bad = [&](const std::string& why) -> Result<std::string> {
    return Error::invalid(field, "is not one OpenSSH public key line (\"ssh-ed25519 AAAA… comment\"): " + why);
  };
  if (line.find_first_of("\r\n") != std::string_view::npos) return bad("it holds a line break");
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) return bad("no key after the type");
  const auto type = line.substr(0, sp);
  bool known = false;
  for (auto t : kTypes) known = known || t == type;
  if (!known) return bad("unknown key type \"" + std::string(type.substr(0, 40)) + "\"");
  auto rest = line.substr(sp + 1);
  const auto b64 = rest.substr(0, rest.find(' '));
  std::string blob(b64.size(), '\0');
  std::size_t len = 0;
  if (b64.empty() || sodium_base642bin(reinterpret_cast<unsigned char*>(blob.data()), blob.size(), b64.data(),
                                       b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return bad("the key is not base64");
  blob.resize(len);
  // The blob starts with the type as an SSH string: a 4-byte big-endian length, then the name.
  if (blob.size() <= 4 + type.size()) return bad("the key is too short");
  const auto* u = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t n = (std::size_t(u[0]) << 24) | (std::size_t(u[1]) << 16) | (std::size_t(u[2]) << 8) | u[3];
  if (n != type.size() || std::string_view(blob).substr(4, n) != type)
    return bad("the key is not of type " + std::string(type));
  return blob;
}

std::string sshFingerprint(std::string_view blob) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(blob.data()), blob.size());
  std::vector<char> b64(sodium_base64_ENCODED_LEN(sizeof hash, sodium_base64_VARIANT_ORIGINAL_NO_PADDING));
  sodium_bin2base64(b64.data(), b64.size(), hash, sizeof hash, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return "SHA256:" + std::string(b64.data());
}

}  // namespace fedihost::providers
