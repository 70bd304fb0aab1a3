#include "store/acme_store.hh"

#include "core/clock.hh"

namespace fedihost::store {

std::optional<AcmeAccount> AcmeStore::account(const std::string& directoryUrl) {
  auto row = c_.queryOne("SELECT directory_url, key_sealed, account_url FROM acme_accounts WHERE directory_url = ?1",
                         {directoryUrl});
  if (!row) return std::nullopt;
  return AcmeAccount{row->text(0), row->text(1), row->text(2)};
}

AcmeAccount AcmeStore::addAccount(const std::string& directoryUrl, const std::string& keySealed) {
  c_.execute(
      "INSERT INTO acme_accounts (directory_url, key_sealed, account_url, created_at) VALUES (?1, ?2, '', ?3) "
      "ON CONFLICT (directory_url) DO NOTHING",
      {directoryUrl, keySealed, clock::nowRfc3339()});
  auto a = account(directoryUrl);
  if (!a) throw DatabaseError("the ACME account of " + directoryUrl + " vanished after it was recorded");
  return *a;
}

void AcmeStore::setAccountUrl(const std::string& directoryUrl, const std::string& accountUrl) {
  c_.execute("UPDATE acme_accounts SET account_url = ?2 WHERE directory_url = ?1", {directoryUrl, accountUrl});
}

std::optional<AcmeCertificate> AcmeStore::certificate(const std::string& identityKey) {
  auto row = c_.queryOne(
      "SELECT identity_key, target, deployment_id, directory_url, names, key_sealed, chain, order_url, pending_order, "
      "pending_names, pending_key, updated_at FROM acme_certificates WHERE identity_key = ?1",
      {identityKey});
  if (!row) return std::nullopt;
  AcmeCertificate c;
  c.identityKey = row->text(0);
  c.target = row->text(1);
  c.deployment = row->text(2);
  c.directoryUrl = row->text(3);
  c.names = row->text(4);
  c.keySealed = row->text(5);
  c.chain = row->text(6);
  c.orderUrl = row->text(7);
  c.pendingOrder = row->text(8);
  c.pendingNames = row->text(9);
  c.pendingKey = row->text(10);
  c.updatedAt = row->text(11);
  return c;
}

void AcmeStore::putCertificate(const AcmeCertificate& c) {
  c_.execute(
      "INSERT INTO acme_certificates (identity_key, target, deployment_id, directory_url, names, key_sealed, chain, "
      "order_url, pending_order, pending_names, pending_key, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
      "?10, ?11, ?12) ON CONFLICT (identity_key) DO UPDATE SET target = excluded.target, deployment_id = "
      "excluded.deployment_id, directory_url = excluded.directory_url, names = excluded.names, key_sealed = "
      "excluded.key_sealed, chain = excluded.chain, order_url = excluded.order_url, pending_order = "
      "excluded.pending_order, pending_names = excluded.pending_names, pending_key = excluded.pending_key, updated_at "
      "= excluded.updated_at",
      {c.identityKey, c.target, c.deployment, c.directoryUrl, c.names, c.keySealed, c.chain, c.orderUrl,
       c.pendingOrder, c.pendingNames, c.pendingKey, clock::nowRfc3339()});
}

void AcmeStore::removeCertificate(const std::string& identityKey) {
  c_.execute("DELETE FROM acme_certificates WHERE identity_key = ?1", {identityKey});
}

std::vector<std::string> AcmeStore::keys(const std::string& target, const std::string& deployment) {
  std::vector<std::string> out;
  for (auto& row : c_.query("SELECT identity_key FROM acme_certificates WHERE target = ?1 AND deployment_id = ?2 "
                            "ORDER BY identity_key",
                            {target, deployment}))
    out.push_back(row.text(0));
  return out;
}

}  // namespace fedihost::store
