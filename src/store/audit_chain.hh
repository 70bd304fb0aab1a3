#pragma once
// The audit log's hash chain, the installation's signing key and the signed
// chain head kept outside the database (docs/accounting.md).
//
//  - hash(row) = hex(BLAKE2b-256("fedihost-audit-v1" || netstring(field)… )) over every
//    field of the row in a fixed order, seq and prev_hash included, so editing a
//    field, moving a row or removing one breaks the chain at that row.
//  - The head (seq, hash of the last row) is written at intervals and at a clean
//    stop to DATA/audit-head.json, signed with the installation's Ed25519 key
//    (DATA/audit-signing.key, created 0600 on first use): truncating the tail below
//    the signed head is detected.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/result.hh"
#include "store/accounting_store.hh"

namespace fedihost::store {

/// 64 zeros: the prev_hash of the first row.
extern const char* const kGenesisHash;

/// The canonical encoding of a row's fields (everything but `hash`).
std::string canonicalAuditEncoding(const AuditEntry& e);
/// hex(BLAKE2b-256) of the canonical encoding.
std::string auditHash(const AuditEntry& e);

/// The installation's Ed25519 key pair.
class SigningKey {
 public:
  /// Reads the key file, or creates it (O_CREAT|O_EXCL, mode 0600) with a new key.
  static SigningKey openOrCreate(const std::filesystem::path& file);
  /// Reads an existing key file; NotFound if there is none.
  static Result<SigningKey> open(const std::filesystem::path& file);
  std::string sign(const std::string& message) const;  ///< detached signature, hex
  std::string publicKeyHex() const;
  static bool verify(const std::string& publicKeyHex, const std::string& message, const std::string& signatureHex);

 private:
  std::string secret_;  ///< 64 bytes (libsodium's seed || public key)
};

/// The chain head as signed.
struct SignedHead {
  std::int64_t seq = 0;
  std::string hash;
  std::string at;
  std::string publicKey;
  std::string signature;
};

/// The message a head's signature covers.
std::string headMessage(std::int64_t seq, const std::string& hash, const std::string& at);
/// Writes the head file atomically (temporary file, fsync, rename).
void writeSignedHead(const std::filesystem::path& file, const SigningKey& key, std::int64_t seq,
                     const std::string& hash);
/// Reads a head file; NotFound if absent, Invalid if malformed (the signature is not checked here).
Result<SignedHead> readSignedHead(const std::filesystem::path& file);

/// What `fedihost audit verify` found.
struct VerifyReport {
  bool ok = true;
  std::int64_t rows = 0;      ///< rows checked
  std::int64_t badSeq = 0;    ///< the first bad row's seq (0 if the problem is not one row)
  std::string badEventId;
  std::string why;            ///< what is wrong, in words
  std::optional<SignedHead> head;
};

/// Walks the chain in seq order (streaming: memory does not grow with the log) and
/// checks it against the signed head: the first bad row is named.
VerifyReport verifyAuditChain(Connection& accounting, const std::filesystem::path& headFile,
                              const std::filesystem::path& keyFile);

}  // namespace fedihost::store
