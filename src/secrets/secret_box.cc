#include "secrets/secret_box.hh"

#include "core/fd.hh"
#include "secrets/keys.hh"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace fedihost::secrets {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefixV1 = "sb1:";
constexpr std::string_view kPrefix = "sb2:";

void ensureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw AbortError({ErrorKind::Internal, "libsodium failed to initialise", {}});
}

[[noreturn]] void fail(const std::string& message) { throw AbortError({ErrorKind::Internal, message, {}}); }

std::string sysError(const std::string& what, const fs::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}


/// Creates the missing directories of `dir`, each with mode 0700.
void makeDirs(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  makeDirs(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail(sysError("cannot create directory", dir));
}

/// Reads an existing key file, refusing a wrong size or permissions wider than 0600.
SecretBox::Key loadKey(const fs::path& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(sysError("cannot stat secret key file", path));
  if (!S_ISREG(st.st_mode)) fail("secret key file " + path.string() + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail("secret key file " + path.string() + " has mode " + mode +
         "; it must not be accessible by group or others (chmod 600 " + path.string() + ")");
  }
  if (st.st_size != static_cast<off_t>(SecretBox::kKeySize))
    fail("secret key file " + path.string() + " has " + std::to_string(st.st_size) + " bytes; expected " +
         std::to_string(SecretBox::kKeySize) + " (is it the right file?)");
  std::array<unsigned char, SecretBox::kKeySize> key{};
  std::size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      sodium_memzero(key.data(), key.size());
      fail(sysError("cannot read secret key file", path));
    }
    got += static_cast<std::size_t>(n);
  }
  return key;
}

/// Writes a fresh random key to a temporary file (0600, O_EXCL) and links it
/// into place, so the key file appears whole or not at all. Returns false if
/// another process created the key file first.
bool createKey(const fs::path& path) {
  std::array<unsigned char, SecretBox::kKeySize> key{};
  crypto_secretbox_keygen(key.data());
  unsigned char suffix[8];
  randombytes_buf(suffix, sizeof suffix);
  char hex[2 * sizeof suffix + 1];
  sodium_bin2hex(hex, sizeof hex, suffix, sizeof suffix);
  fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp." + hex);

  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    sodium_memzero(key.data(), key.size());
    fail(sysError("cannot create secret key file", tmp));
  }
  bool ok = ::fchmod(fd.get(), 0600) == 0;
  std::size_t done = 0;
  while (ok && done < key.size()) {
    ssize_t n = ::write(fd.get(), key.data() + done, key.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  sodium_memzero(key.data(), key.size());
  ok = ok && ::fsync(fd.get()) == 0;
  ok = fd.close() && ok;
  if (!ok) {
    auto msg = sysError("cannot write secret key file", tmp);
    ::unlink(tmp.c_str());
    fail(msg);
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int linkErrno = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (linkErrno == EEXIST) return false;
    errno = linkErrno;
    fail(sysError("cannot create secret key file", path));
  }
  Fd dir(::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
  return true;
}

}  // namespace

std::string keyIdOf(const SecretBox::Key& key) {
  ensureSodium();
  static constexpr char context[] = "fedihost master key id v1";
  unsigned char id[4];
  crypto_generichash(id, sizeof id, key.data(), key.size(), reinterpret_cast<const unsigned char*>(context),
                     sizeof context - 1);
  char hex[2 * sizeof id + 1];
  sodium_bin2hex(hex, sizeof hex, id, sizeof id);
  return hex;
}

SecretBox::Key SecretBox::readKeyFile(const fs::path& path) {
  ensureSodium();
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(sysError("cannot open secret key file", path));
  return loadKey(path, fd.get());
}

bool SecretBox::createKeyFile(const fs::path& path) {
  ensureSodium();
  makeDirs(path.parent_path());
  return createKey(path);
}

SecretBox SecretBox::load(const fs::path& path) {
  auto key = readKeyFile(path);
  SecretBox box(key);
  sodium_memzero(key.data(), key.size());
  return box;
}

SecretBox SecretBox::openOrCreate(const std::filesystem::path& path) {
  ensureSodium();
  makeDirs(path.parent_path());
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() >= 0) {
      auto key = loadKey(path, fd.get());
      SecretBox box(key);
      sodium_memzero(key.data(), key.size());
      // A rotation in progress: values may already be sealed under the next key.
      fs::path next = path.string() + ".next";
      std::error_code ec;
      if (fs::exists(next, ec)) {
        auto nextKey = readKeyFile(next);
        box.addOpeningKey(nextKey);
        sodium_memzero(nextKey.data(), nextKey.size());
      }
      return box;
    }
    if (errno != ENOENT) fail(sysError("cannot open secret key file", path));
    createKey(path);  // false: another process won the race; load theirs
  }
  fail("secret key file " + path.string() + " vanished while being created");
}

SecretBox::SecretBox(const Key& key) {
  ensureSodium();
  keys_.push_back({secrets::keyIdOf(key), key});
}

SecretBox::~SecretBox() {
  for (auto& k : keys_) sodium_memzero(k.key.data(), k.key.size());
}

SecretBox::SecretBox(const SecretBox& other) = default;

SecretBox& SecretBox::operator=(const SecretBox& other) {
  if (this != &other) keys_ = other.keys_;
  return *this;
}

void SecretBox::addOpeningKey(const Key& key) {
  auto id = secrets::keyIdOf(key);
  for (auto& k : keys_)
    if (k.id == id) return;
  keys_.push_back({id, key});
}

bool SecretBox::looksSealed(std::string_view s) { return s.starts_with(kPrefixV1) || s.starts_with(kPrefix); }

std::string SecretBox::keyIdOf(std::string_view sealed) {
  if (!sealed.starts_with(kPrefix)) return {};
  auto rest = sealed.substr(kPrefix.size());
  auto colon = rest.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(rest.substr(0, colon));
}

std::string SecretBox::seal(std::string_view plaintext) const {
  const auto& key = keys_.front();
  std::vector<unsigned char> buf(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
  unsigned char* nonce = buf.data();
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(buf.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), nonce,
                        key.key.data());
  std::string out(sodium_base64_encoded_len(buf.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return std::string(kPrefix) + key.id + ":" + out;
}

Result<std::string> SecretBox::open(std::string_view sealed) const {
  std::string_view b64;
  std::vector<const Slot*> candidates;
  if (sealed.starts_with(kPrefix)) {
    auto id = keyIdOf(sealed);
    if (id.empty()) return Error::invalid("sealed", "sealed secret has no key id");
    b64 = sealed.substr(kPrefix.size() + id.size() + 1);
    for (auto& k : keys_)
      if (k.id == id) candidates.push_back(&k);
    if (candidates.empty()) {
      std::string held;
      for (auto& k : keys_) held += (held.empty() ? "" : ", ") + k.id;
      return Error::invalid("sealed", "sealed under the key " + id + ", which is not here (the master key is " + held +
                                          "): was the key rotated or replaced without this value?");
    }
  } else if (sealed.starts_with(kPrefixV1)) {
    b64 = sealed.substr(kPrefixV1.size());
    for (auto& k : keys_) candidates.push_back(&k);
  } else {
    return Error::invalid("sealed", "not a sealed secret (expected the prefix \"sb2:\")");
  }
  std::vector<unsigned char> buf(b64.size());
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(buf.data(), buf.size(), b64.data(), b64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size())
    return Error::invalid("sealed", "sealed secret is not valid base64");
  if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return Error::invalid("sealed", "sealed secret is too short");
  std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  for (auto* k : candidates)
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                   buf.data() + crypto_secretbox_NONCEBYTES, len - crypto_secretbox_NONCEBYTES,
                                   buf.data(), k->key.data()) == 0)
      return plain;
  return Error::invalid("sealed", "sealed secret fails authentication (tampered with, or sealed under another key)");
}

std::string generatePassword(std::size_t length) {
  ensureSodium();
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) out += alphabet[randombytes_uniform(sizeof alphabet - 1)];
  return out;
}

std::string generateHexSecret(std::size_t bytes) {
  ensureSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(2 * bytes + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return hex;
}

std::string generateLaravelKey() {
  ensureSodium();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  std::string b64(sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(raw, sizeof raw);
  b64.resize(b64.find('\0'));
  return "base64:" + b64;
}

std::string generateBase64UrlSecret() {
  ensureSodium();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  std::string b64(sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(b64.data(), b64.size(), raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  b64.resize(b64.find('\0'));
  return b64;
}

std::string generateNextcloudInstanceId() {
  ensureSodium();
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = "oc";
  for (int i = 0; i < 10; ++i) out += alphabet[randombytes_uniform(sizeof alphabet - 1)];
  return out;
}

std::string generateSecret(SecretFormat format) {
  switch (format) {
    case SecretFormat::Password:
      return generatePassword(32);
    case SecretFormat::Hex:
      return generateHexSecret(32);
    case SecretFormat::LongHex:
      return generateHexSecret(64);
    case SecretFormat::Laravel:
      return generateLaravelKey();
    case SecretFormat::Base64Url:
      return generateBase64UrlSecret();
    case SecretFormat::NextcloudInstanceId:
      return generateNextcloudInstanceId();
    case SecretFormat::VapidPrivateKey:
      return generateVapidPrivateKey();
    case SecretFormat::SynapseSigningKey:
      return generateSynapseSigningKey();
    case SecretFormat::RsaPrivateKey:
      return generateRsaPrivateKey();
    case SecretFormat::VapidPublicKey:
    case SecretFormat::RsaPublicKey:
      // A public key is derived from its private key (deriveSecret), never random.
      throw std::logic_error("a public key is derived from its private key, not generated");
  }
  throw std::logic_error("unknown secret format");
}

}  // namespace fedihost::secrets
