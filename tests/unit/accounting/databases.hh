#pragma once
// Fixtures of the accounting tests: migrated SQLite databases in a temporary
// directory; the clock is given back to the system after each test.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/clock.hh"
#include "store/billing_store.hh"
#include "store/migrations.hh"
#include "support/temp_dir.hh"

namespace fedihost::accounting::testing {

/// An accounting database with its stores.
class AccountingDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = store::connect("sqlite:" + (dir_.path() / "accounting.db").string());
    store::migrate(*conn_, store::DatabaseKind::Accounting);
    acc_ = std::make_unique<store::AccountingStore>(*conn_);
    bill_ = std::make_unique<store::BillingStore>(*conn_);
  }
  void TearDown() override { clock::setNowForTesting(); }

  fedihost::testing::TempDir dir_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::AccountingStore> acc_;
  std::unique_ptr<store::BillingStore> bill_;
};

/// A state and an accounting database, each with a connection of the test's own; the
/// code under test opens its own by URL.
class StateAndAccounting : public ::testing::Test {
 protected:
  void SetUp() override {
    stateConn_ = store::connect(stateUrl());
    store::migrate(*stateConn_, store::DatabaseKind::State);
    accConn_ = store::connect(accountingUrl());
    store::migrate(*accConn_, store::DatabaseKind::Accounting);
  }
  void TearDown() override { clock::setNowForTesting(); }
  std::string stateUrl() const { return "sqlite:" + (dir_.path() / "state.db").string(); }
  std::string accountingUrl() const { return "sqlite:" + (dir_.path() / "accounting.db").string(); }

  fedihost::testing::TempDir dir_;
  std::unique_ptr<store::Connection> stateConn_, accConn_;
};

}  // namespace fedihost::accounting::testing
