#pragma once
// What the "acme" certificate provider keeps in the state database
// (migration 011): the account of each ACME directory, and per certificate
// resource the certificate held and the order in progress. Database failures
// throw DatabaseError.
#include <optional>
#include <string>
#include <vector>

#include "store/sql.hh"

namespace fedihost::store {

struct AcmeAccount {
  std::string directoryUrl;
  std::string keySealed;   ///< the account key, PKCS#8 PEM sealed
  std::string accountUrl;  ///< the "kid"; "" until the CA made the account
};

struct AcmeCertificate {
  std::string identityKey;
  std::string target;
  std::string deployment;
  std::string directoryUrl;
  std::string names;      ///< JSON array of the names asked for ("" while no certificate is held)
  std::string keySealed;  ///< the certificate's key, sealed
  std::string chain;      ///< PEM, leaf first
  std::string orderUrl;   ///< the order the held certificate came from
  std::string pendingOrder;  ///< the order in progress ("" when none)
  std::string pendingNames;  ///< JSON array of its names
  std::string pendingKey;    ///< the key its CSR will carry, sealed
  std::string updatedAt;
};

class AcmeStore {
 public:
  /// Uses `c` (not owned), which must be migrated (DatabaseKind::State).
  explicit AcmeStore(Connection& c) : c_(c) {}

  std::optional<AcmeAccount> account(const std::string& directoryUrl);
  /// Records an account key for the directory unless one is recorded; returns the one recorded.
  AcmeAccount addAccount(const std::string& directoryUrl, const std::string& keySealed);
  void setAccountUrl(const std::string& directoryUrl, const std::string& accountUrl);

  std::optional<AcmeCertificate> certificate(const std::string& identityKey);
  /// Inserts or replaces the row of `c.identityKey` (updatedAt is set here).
  void putCertificate(const AcmeCertificate& c);
  void removeCertificate(const std::string& identityKey);
  /// Identity keys of a target's rows for a deployment, sorted.
  std::vector<std::string> keys(const std::string& target, const std::string& deployment);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
