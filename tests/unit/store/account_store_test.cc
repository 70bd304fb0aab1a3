#include "store/account_store.hh"

#include <gtest/gtest.h>

#include "store/migrations.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::store {
namespace {

class AccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect(db_.url());
    migrate(*conn_, DatabaseKind::State);
    state_ = std::make_unique<StateStore>(*conn_);
    accounts_ = std::make_unique<AccountStore>(*conn_);
    org_ = state_->createOrganisation("riverside", "Riverside School").value().id;
  }

  testing::TempDir dir_;
  testing::TestDatabase db_{dir_.path(), "state.db"};
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<StateStore> state_;
  std::unique_ptr<AccountStore> accounts_;
  std::string org_;
};

TEST_F(AccountStoreTest, AddressesAreUniqueWhateverTheirCase) {
  auto u = accounts_->createUser("Mariam@School.Example", "h", false).value();
  EXPECT_EQ(u.email, "mariam@school.example");
  auto dup = accounts_->createUser("MARIAM@school.example", "h", false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().field, "email");
  EXPECT_TRUE(accounts_->findUserByEmail("mariam@SCHOOL.example").has_value());
}

TEST_F(AccountStoreTest, TheLastOrgAdminCannotBeRemovedOrDemoted) {
  auto a = accounts_->createUser("a@example.test", "h", false).value();
  auto b = accounts_->createUser("b@example.test", "h", false).value();
  accounts_->setGrant(a.id, org_, Role::OrgAdmin);
  accounts_->setGrant(b.id, org_, Role::Viewer);
  EXPECT_EQ(accounts_->removeGrant(a.id, org_).error().kind, ErrorKind::Conflict);
  EXPECT_EQ(accounts_->changeRole(a.id, org_, Role::Member).error().kind, ErrorKind::Conflict);
  ASSERT_TRUE(accounts_->changeRole(b.id, org_, Role::OrgAdmin).ok());
  EXPECT_TRUE(accounts_->removeGrant(a.id, org_).ok());
  EXPECT_EQ(accounts_->removeGrant(a.id, org_).error().kind, ErrorKind::NotFound);
}

TEST_F(AccountStoreTest, CorruptRowsAreErrorsNotDefaults) {
  auto u = accounts_->createUser("a@example.test", "h", false).value();
  accounts_->setGrant(u.id, org_, Role::Member);
  conn_->execute("UPDATE grants SET role = 'owner'");
  EXPECT_THROW(accounts_->grantsOf(u.id), DatabaseError);
  conn_->execute("UPDATE users SET role = 'root'");
  EXPECT_THROW(accounts_->getUser(u.id).value(), DatabaseError);
}

TEST_F(AccountStoreTest, SecondFactorStepsAndRecoveryCodesWorkOnce) {
  auto u = accounts_->createUser("a@example.test", "h", false).value();
  accounts_->enableTotp(u.id, "sealed", 100, {"code-a", "code-b"});
  EXPECT_TRUE(accounts_->getUser(u.id).value().totpEnabled);
  EXPECT_FALSE(accounts_->useTotpStep(u.id, 100));
  EXPECT_TRUE(accounts_->useTotpStep(u.id, 101));
  EXPECT_FALSE(accounts_->useTotpStep(u.id, 101));
  EXPECT_TRUE(accounts_->useRecoveryCode(u.id, "code-a"));
  EXPECT_FALSE(accounts_->useRecoveryCode(u.id, "code-a"));
  EXPECT_EQ(accounts_->unusedRecoveryCodes(u.id), 1);
  accounts_->disableTotp(u.id);
  EXPECT_FALSE(accounts_->getUser(u.id).value().totpEnabled);
  EXPECT_FALSE(accounts_->useRecoveryCode(u.id, "code-b"));
}

TEST_F(AccountStoreTest, DisablingRevokesEverySessionAndToken) {
  auto u = accounts_->createUser("a@example.test", "h", false).value();
  Session s;
  s.id = "ses_1";
  s.userId = u.id;
  s.scopes = {Scope::Read};
  s.createdAt = s.lastUsedAt = "2026-12-07T00:00:00.000Z";
  accounts_->createSession(s, "hash-1");
  s.id = "tok_1";
  s.isToken = true;
  accounts_->createSession(s, "hash-2");
  accounts_->setDisabled(u.id, true);
  EXPECT_FALSE(accounts_->sessionByTokenHash("hash-1").has_value());
  EXPECT_FALSE(accounts_->sessionByTokenHash("hash-2").has_value());
  accounts_->setDisabled(u.id, false);
  EXPECT_FALSE(accounts_->sessionByTokenHash("hash-1").has_value());  // enabling again does not revive them
}

TEST_F(AccountStoreTest, AResetLinkWorksOnceBeforeItExpires) {
  auto u = accounts_->createUser("a@example.test", "h", false).value();
  accounts_->createPasswordReset(u.id, "r1", "2099-01-01T00:00:00.000Z");
  accounts_->createPasswordReset(u.id, "r2", "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(accounts_->consumePasswordReset("r1", "2026-12-07T00:00:00.000Z"), u.id);
  EXPECT_FALSE(accounts_->consumePasswordReset("r1", "2026-12-07T00:00:00.000Z").has_value());
  EXPECT_FALSE(accounts_->consumePasswordReset("r2", "2026-12-07T00:00:00.000Z").has_value());
}

}  // namespace
}  // namespace fedihost::store
