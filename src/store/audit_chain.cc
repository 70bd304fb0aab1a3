#include "store/audit_chain.hh"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "core/clock.hh"
#include "core/private_file.hh"

namespace fedihost::store {
namespace fs = std::filesystem;
namespace json = boost::json;

const char* const kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

void netstring(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ',';
}

std::string hex(const unsigned char* p, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

std::optional<std::string> unhex(const std::string& h, std::size_t bytes) {
  std::string out(bytes, '\0');
  std::size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), bytes, h.data(), h.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != bytes)
    return std::nullopt;
  return out;
}

void initSodium() {
  if (sodium_init() < 0) throw AbortError({ErrorKind::Internal, "libsodium could not be initialised", {}});
}

}  // namespace

std::string canonicalAuditEncoding(const AuditEntry& e) {
  std::string out = "fedihost-audit-v1,";
  out.reserve(512);
  netstring(out, std::to_string(e.seq));
  for (const std::string* f : {&e.eventId, &e.at, &e.actorKind, &e.actorId, &e.via, &e.organisationId, &e.action,
                               &e.objectId, &e.method, &e.path})
    netstring(out, *f);
  netstring(out, std::to_string(e.status));
  for (const std::string* f : {&e.outcome, &e.remote, &e.requestId, &e.detail, &e.prevHash}) netstring(out, *f);
  return out;
}

std::string auditHash(const AuditEntry& e) {
  auto enc = canonicalAuditEncoding(e);
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(enc.data()), enc.size(), nullptr, 0);
  return hex(h, sizeof h);
}

// ---------------------------------------------------------------- the key

Result<SigningKey> SigningKey::open(const fs::path& file) {
  initSodium();
  std::ifstream in(file);
  if (!in) return Error{ErrorKind::NotFound, "no signing key at " + file.string(), {}};
  std::string text;
  in >> text;
  auto sk = unhex(text, crypto_sign_SECRETKEYBYTES);
  if (!sk) return Error{ErrorKind::Invalid, file.string() + " is not an Ed25519 secret key (128 hex digits)", {}};
  SigningKey k;
  k.secret_ = std::move(*sk);
  return k;
}

SigningKey SigningKey::openOrCreate(const fs::path& file) {
  initSodium();
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    auto text = hex(sk, sizeof sk) + "\n";
    sodium_memzero(sk, sizeof sk);
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw AbortError({ErrorKind::Internal, "could not write " + file.string(), {}});
    if (auto w = files::writePrivateFile(file.string() + ".pub", hex(pk, sizeof pk) + "\n"); !w)
      throw AbortError(w.error());
  } else if (errno != EEXIST) {
    throw AbortError({ErrorKind::Internal, "could not create " + file.string() + ": " + std::strerror(errno), {}});
  }
  // Another process may be writing it at this moment: a short wait for the whole key.
  for (int i = 0;; ++i) {
    auto k = open(file);
    if (k) return std::move(*k);
    if (i >= 50) throw AbortError(k.error());
    ::usleep(20000);
  }
}

std::string SigningKey::sign(const std::string& message) const {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_.data()));
  return hex(sig, sizeof sig);
}

std::string SigningKey::publicKeyHex() const {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(pk, reinterpret_cast<const unsigned char*>(secret_.data()));
  return hex(pk, sizeof pk);
}

bool SigningKey::verify(const std::string& publicKeyHex, const std::string& message, const std::string& signatureHex) {
  initSodium();
  auto pk = unhex(publicKeyHex, crypto_sign_PUBLICKEYBYTES);
  auto sig = unhex(signatureHex, crypto_sign_BYTES);
  if (!pk || !sig) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(pk->data())) == 0;
}

// ---------------------------------------------------------------- the head

std::string headMessage(std::int64_t seq, const std::string& hash, const std::string& at) {
  return "fedihost-audit-head-v1\n" + std::to_string(seq) + "\n" + hash + "\n" + at + "\n";
}

void writeSignedHead(const fs::path& file, const SigningKey& key, std::int64_t seq, const std::string& hash) {
  auto at = clock::nowRfc3339();
  json::object o{{"seq", seq},
                 {"hash", hash},
                 {"at", at},
                 {"publicKey", key.publicKeyHex()},
                 {"signature", key.sign(headMessage(seq, hash, at))}};
  auto text = json::serialize(o) + "\n";
  if (auto w = files::writePrivateFile(file, text); !w) throw AbortError(w.error());
}

Result<SignedHead> readSignedHead(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return Error{ErrorKind::NotFound, "no signed head at " + file.string(), {}};
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(ss.str(), ec);
  if (ec || !v.is_object()) return Error{ErrorKind::Invalid, file.string() + " is not JSON", {}};
  auto& o = v.get_object();
  auto s = [&](const char* k) -> std::string {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->get_string()) : std::string();
  };
  SignedHead h;
  auto* seq = o.if_contains("seq");
  if (!seq || !seq->is_int64()) return Error{ErrorKind::Invalid, file.string() + " has no seq", {}};
  h.seq = seq->get_int64();
  h.hash = s("hash");
  h.at = s("at");
  h.publicKey = s("publicKey");
  h.signature = s("signature");
  return h;
}

// ---------------------------------------------------------------- verification

VerifyReport verifyAuditChain(Connection& accounting, const fs::path& headFile, const fs::path& keyFile) {
  VerifyReport rep;
  auto fail = [&](std::int64_t seq, std::string eventId, std::string why) {
    rep.ok = false;
    rep.badSeq = seq;
    rep.badEventId = std::move(eventId);
    rep.why = std::move(why);
    return rep;
  };

  // The head first: a forged or unreadable head is reported before the rows.
  auto head = readSignedHead(headFile);
  if (head) {
    auto key = SigningKey::open(keyFile);
    if (!key) return fail(0, {}, "the signed head cannot be checked: " + key.error().message);
    if (head->publicKey != key->publicKeyHex())
      return fail(0, {}, "the signed head " + headFile.string() + " was signed by another key");
    if (!SigningKey::verify(key->publicKeyHex(), headMessage(head->seq, head->hash, head->at), head->signature))
      return fail(0, {}, "the signature of the head " + headFile.string() + " is wrong (the head was edited)");
    rep.head = *head;
  } else if (head.error().kind != ErrorKind::NotFound) {
    return fail(0, {}, head.error().message);
  }

  auto st = accounting.prepare(std::string("SELECT ") + kAuditColumns + " FROM audit_log ORDER BY seq");
  std::int64_t expected = 1;
  std::string prev = kGenesisHash;
  while (st->step()) {
    auto e = auditRow(st->row());
    ++rep.rows;
    if (e.seq != expected) {
      if (e.seq > expected)
        return fail(e.seq, e.eventId,
                    expected + 1 == e.seq ? "row seq " + std::to_string(expected) + " before it is missing (deleted)"
                                          : "rows seq " + std::to_string(expected) + " to " +
                                                std::to_string(e.seq - 1) + " before it are missing (deleted)");
      return fail(e.seq, e.eventId, "seq out of order: expected " + std::to_string(expected));
    }
    if (e.prevHash != prev)
      return fail(e.seq, e.eventId,
                  "its prev_hash does not match the hash of the row before it (a row was deleted, inserted or "
                  "reordered here)");
    if (auditHash(e) != e.hash)
      return fail(e.seq, e.eventId, "its hash does not match its contents (the row was edited)");
    if (rep.head && e.seq == rep.head->seq && e.hash != rep.head->hash)
      return fail(e.seq, e.eventId, "it differs from the row named by the signed head (written " + rep.head->at + ")");
    prev = e.hash;
    ++expected;
  }
  const auto last = expected - 1;
  if (rep.head && last < rep.head->seq)
    return fail(last + 1, {},
                "the log ends at seq " + std::to_string(last) + " but the signed head (written " + rep.head->at +
                    ") names seq " + std::to_string(rep.head->seq) + ": rows " + std::to_string(last + 1) + " to " +
                    std::to_string(rep.head->seq) + " were removed (the tail was truncated)");
  if (!rep.head && last > 0)
    return fail(0, {}, "no signed head at " + headFile.string() + ": the tail of the log cannot be checked");
  return rep;
}

}  // namespace fedihost::store
