#pragma once
// Accounts in the state database: users, their grants in organisations, login
// sessions and API tokens (by hash only), second factors, invitations,
// password resets and the domains an organisation has claimed. Expected
// outcomes (not found, taken, expired) are Result errors; database failures throw.
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hh"
#include "core/result.hh"
#include "store/sql.hh"
#include "store/state_store.hh"

namespace fedihost::store {

/// A user's second factor as stored (secrets sealed).
struct TotpState {
  std::string sealedSecret;   ///< "" when no second factor is enabled
  std::string sealedPending;  ///< set up, not yet confirmed
  std::int64_t lastStep = 0;  ///< the last time step accepted (replays are refused)
};

/// A member of an organisation.
struct Member {
  User user;
  Role role = Role::Viewer;
};

struct Invitation {
  std::string id;  ///< "inv_…"
  std::string organisation;
  std::string email;
  Role role = Role::Viewer;
  std::string invitedBy;
  std::string createdAt;
  std::string expiresAt;
  std::string acceptedAt;
  std::string acceptedBy;
  std::string revokedAt;
  /// "pending", "accepted", "revoked" or "expired" at `now`.
  std::string state(const std::string& now) const;
};

/// A domain an organisation claims, and whether it has proved control of it.
struct OrganisationDomain {
  std::string organisation;
  std::string domain;
  std::string challenge;  ///< the value expected in TXT _fedihost-challenge.<domain>
  std::string createdAt;
  std::string verifiedAt;  ///< "" until verified
};

class AccountStore {
 public:
  /// Uses `c` (not owned), migrated with DatabaseKind::State.
  explicit AccountStore(Connection& c) : c_(c) {}
  Connection& connection() { return c_; }

  // Users
  /// Creates a user; Conflict (field "email") if the address is taken.
  Result<User> createUser(const std::string& email, const std::string& passwordHash, bool isOperator);
  /// The user with this e-mail address (any case) and its password hash.
  std::optional<std::pair<User, std::string>> findUserByEmail(const std::string& email);
  /// A user by id; NotFound for an unknown one. Throws DatabaseError on a corrupt row.
  Result<User> getUser(const std::string& id);
  /// The password hash of a user.
  std::string passwordHash(const std::string& userId);
  Page<User> listUsers(int limit, const std::string& cursor);
  int countUsers();
  void setPasswordHash(const std::string& userId, const std::string& hash);
  /// Changes a user's e-mail address; Conflict (field "email") if another user has it.
  Result<void> setEmail(const std::string& userId, const std::string& email);
  /// Disables (revoking every session and token at once) or enables an account.
  void setDisabled(const std::string& userId, bool disabled);

  // Second factor
  TotpState totp(const std::string& userId);
  void setTotpPending(const std::string& userId, const std::string& sealedPending);
  /// Enables the second factor with `sealedSecret` and replaces the recovery codes (by hash).
  void enableTotp(const std::string& userId, const std::string& sealedSecret, std::int64_t step,
                  const std::vector<std::string>& recoveryCodeHashes);
  void disableTotp(const std::string& userId);
  /// Records that time step `step` was used; false if it (or a later one) was used already.
  bool useTotpStep(const std::string& userId, std::int64_t step);
  /// Marks a recovery code used; false if unknown or used already.
  bool useRecoveryCode(const std::string& userId, const std::string& codeHash);
  int unusedRecoveryCodes(const std::string& userId);

  // Grants
  /// Every organisation the user has a role in (deleted organisations left out).
  std::vector<Grant> grantsOf(const std::string& userId);
  std::vector<Member> members(const std::string& organisation);
  /// Gives the user `role` in the organisation (replacing a previous one).
  void setGrant(const std::string& userId, const std::string& organisation, Role role);
  /// Changes an existing member's role; NotFound if not a member; Conflict if it would
  /// leave the organisation without an org-admin.
  Result<void> changeRole(const std::string& userId, const std::string& organisation, Role role);
  /// Removes a member; NotFound if not a member; Conflict if it is the last org-admin.
  Result<void> removeGrant(const std::string& userId, const std::string& organisation);

  // Sessions and API tokens
  /// Stores a session or token under the hash of its secret.
  void createSession(const Session& s, const std::string& tokenHash);
  /// The live (not revoked) session or token with this hash, and its user.
  std::optional<std::pair<Session, User>> sessionByTokenHash(const std::string& tokenHash);
  /// Records a use (at most one write per minute per session is enough for idle expiry).
  void touchSession(const std::string& id, const std::string& now);
  /// Revokes one of the user's sessions or tokens; false if it is not the user's or is gone.
  bool revokeSession(const std::string& userId, const std::string& id, bool isToken);
  /// Revokes every login session (not the API tokens) of a user, but `except` ("" for none).
  int revokeSessions(const std::string& userId, const std::string& except);
  /// The user's live sessions or tokens, newest first.
  std::vector<Session> listSessions(const std::string& userId, bool tokens);

  // Invitations
  void createInvitation(const Invitation& inv, const std::string& tokenHash);
  std::vector<Invitation> invitations(const std::string& organisation);
  std::optional<Invitation> invitationByTokenHash(const std::string& tokenHash);
  /// Revokes a pending invitation of the organisation; false if none.
  bool revokeInvitation(const std::string& organisation, const std::string& id);
  /// Marks a pending, unexpired invitation accepted by `userId`; false if it was not (single use).
  bool acceptInvitation(const std::string& id, const std::string& userId, const std::string& now);

  // Password resets
  void createPasswordReset(const std::string& userId, const std::string& tokenHash, const std::string& expiresAt);
  /// Uses a reset token once: the user it was for, if it is unused and unexpired.
  std::optional<std::string> consumePasswordReset(const std::string& tokenHash, const std::string& now);

  // Domains
  /// Claims a domain for an organisation (or returns the existing claim).
  OrganisationDomain claimDomain(const std::string& organisation, const std::string& domain,
                                 const std::string& challenge);
  std::vector<OrganisationDomain> domains(const std::string& organisation);
  std::optional<OrganisationDomain> domain(const std::string& organisation, const std::string& domain);
  void markDomainVerified(const std::string& organisation, const std::string& domain);
  bool removeDomain(const std::string& organisation, const std::string& domain);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
