#include "store/ssh_host_key_store.hh"

#include "core/clock.hh"

namespace fedihost::store {

std::optional<SshHostKey> SshHostKeyStore::find(const std::string& identityKey) {
  auto row = c_.queryOne(
      "SELECT identity_key, target, deployment_id, address, fingerprint, pinned_at FROM ssh_host_keys "
      "WHERE identity_key = ?1",
      {identityKey});
  if (!row) return std::nullopt;
  return SshHostKey{row->text(0), row->text(1), row->text(2), row->text(3), row->text(4), row->text(5)};
}

SshHostKey SshHostKeyStore::pinIfAbsent(const SshHostKey& k) {
  c_.execute(
      "INSERT INTO ssh_host_keys (identity_key, target, deployment_id, address, fingerprint, pinned_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (identity_key) DO NOTHING",
      {k.identityKey, k.target, k.deployment, k.address, k.fingerprint, clock::nowRfc3339()});
  auto pinned = find(k.identityKey);
  if (!pinned) throw DatabaseError("the host key of " + k.identityKey + " vanished after it was pinned");
  return *pinned;
}

void SshHostKeyStore::replace(const SshHostKey& k) {
  c_.execute(
      "INSERT INTO ssh_host_keys (identity_key, target, deployment_id, address, fingerprint, pinned_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (identity_key) DO UPDATE SET target = excluded.target, "
      "deployment_id = excluded.deployment_id, address = excluded.address, fingerprint = excluded.fingerprint, "
      "pinned_at = excluded.pinned_at",
      {k.identityKey, k.target, k.deployment, k.address, k.fingerprint, clock::nowRfc3339()});
}

void SshHostKeyStore::remove(const std::string& identityKey) {
  c_.execute("DELETE FROM ssh_host_keys WHERE identity_key = ?1", {identityKey});
}

}  // namespace fedihost::store
