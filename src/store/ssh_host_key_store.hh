#pragma once
// The SSH host keys pinned by the "ssh" NixOS provider (migration 013): one per
// nixos-config resource. Database failures throw DatabaseError.
#include <optional>
#include <string>

#include "store/sql.hh"

namespace fedihost::store {

struct SshHostKey {
  std::string identityKey;
  std::string target;
  std::string deployment;
  std::string address;      ///< where it was seen
  std::string fingerprint;  ///< "SHA256:<base64>"
  std::string pinnedAt;
};

class SshHostKeyStore {
 public:
  /// Uses `c` (not owned), which must be migrated (DatabaseKind::State).
  explicit SshHostKeyStore(Connection& c) : c_(c) {}

  std::optional<SshHostKey> find(const std::string& identityKey);
  /// Records `k` unless a key is pinned for its identity key already; returns the one pinned.
  SshHostKey pinIfAbsent(const SshHostKey& k);
  /// Records `k`, replacing what was pinned (the operator named the expected key).
  void replace(const SshHostKey& k);
  void remove(const std::string& identityKey);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
