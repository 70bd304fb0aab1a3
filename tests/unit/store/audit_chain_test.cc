// The audit log's hash chain, its signed head and the outbox shipper.
#include "store/audit_chain.hh"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "store/migrations.hh"
#include "store/outbox.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::store {
namespace {

namespace fs = std::filesystem;

AuditEntry row(int i) {
  AuditEntry e;
  e.eventId = "evt_" + std::to_string(i);
  e.at = "2026-12-01T10:00:0" + std::to_string(i % 10) + ".000Z";
  e.actorKind = "user";
  e.actorId = "usr_" + std::to_string(i % 3);
  e.via = "ses_a";
  e.organisationId = i % 2 ? "org_a" : "org_b";
  e.action = "POST /api/v1/deployments/{id}/apply";
  e.objectId = "dep_" + std::to_string(i);
  e.method = "POST";
  e.path = "/api/v1/deployments/dep_" + std::to_string(i) + "/apply";
  e.status = 202;
  e.outcome = "ok";
  e.remote = "127.0.0.1";
  e.requestId = "req_" + std::to_string(i);
  return e;
}

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect(db_.url());
    migrate(*conn_, DatabaseKind::Accounting);
    AccountingStore acc(*conn_);
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(acc.audit(row(i)));
    writeSignedHead(head(), SigningKey::openOrCreate(key()), 10, acc.auditHead()->second);
  }
  fs::path head() const { return dir_.path() / "audit-head.json"; }
  fs::path key() const { return dir_.path() / "audit-signing.key"; }
  VerifyReport verify() { return verifyAuditChain(*conn_, head(), key()); }
  /// Raw SQL as someone with the database file would run it (the triggers dropped first).
  void tamper(const std::string& sql) {
    if (conn_->dialect() == "sqlite")
      conn_->execScript("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;");
    else
      conn_->execScript("DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log; "
                        "DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log;");
    conn_->execScript(sql);
  }

  testing::TempDir dir_;
  testing::TestDatabase db_{dir_.path(), "accounting.db"};
  std::unique_ptr<Connection> conn_;
};

TEST_F(AuditChainTest, AnIntactChainVerifies) {
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.why;
  EXPECT_EQ(rep.rows, 10);
  ASSERT_TRUE(rep.head.has_value());
  EXPECT_EQ(rep.head->seq, 10);
  // Rows appended after the head was written are fine.
  AccountingStore acc(*conn_);
  ASSERT_TRUE(acc.audit(row(11)));
  EXPECT_TRUE(verify().ok);
}

TEST_F(AuditChainTest, TheDatabaseRefusesUpdatesAndDeletes) {
  EXPECT_THROW(conn_->execute("UPDATE audit_log SET status = 500 WHERE seq = 3"), DatabaseError);
  EXPECT_THROW(conn_->execute("DELETE FROM audit_log WHERE seq = 3"), DatabaseError);
}

TEST_F(AuditChainTest, AnEditedRowIsNamed) {
  tamper("UPDATE audit_log SET status = 403 WHERE seq = 4");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.badSeq, 4);
  EXPECT_EQ(rep.badEventId, "evt_4");
  EXPECT_NE(rep.why.find("edited"), std::string::npos) << rep.why;
}

TEST_F(AuditChainTest, AnEditedRowWithARecomputedHashIsNamedByTheNextRow) {
  auto e = auditRow(*conn_->queryOne(std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE seq = 4"));
  e.actorId = "usr_someone_else";
  tamper("UPDATE audit_log SET actor_id = 'usr_someone_else', hash = '" + auditHash(e) + "' WHERE seq = 4");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.badSeq, 5);
  EXPECT_NE(rep.why.find("prev_hash"), std::string::npos) << rep.why;
}

TEST_F(AuditChainTest, ADeletedRowIsNamed) {
  tamper("DELETE FROM audit_log WHERE seq = 6");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.badSeq, 7);
  EXPECT_NE(rep.why.find("seq 6"), std::string::npos) << rep.why;
  EXPECT_NE(rep.why.find("deleted"), std::string::npos) << rep.why;
}

TEST_F(AuditChainTest, ReorderedRowsAreNamed) {
  tamper("UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; "
         "UPDATE audit_log SET seq = 4 WHERE seq = -1;");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.badSeq, 3);
  EXPECT_EQ(rep.badEventId, "evt_4");
}

TEST_F(AuditChainTest, ATruncatedTailIsDetectedAgainstTheSignedHead) {
  tamper("DELETE FROM audit_log WHERE seq >= 9");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.badSeq, 9);
  EXPECT_NE(rep.why.find("truncated"), std::string::npos) << rep.why;
  // Every row removed: the same.
  tamper("DELETE FROM audit_log");
  EXPECT_FALSE(verify().ok);
}

TEST_F(AuditChainTest, AnEditedOrUnsignedHeadIsRefused) {
  std::ifstream in(head());
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto at = text.find("\"seq\":10");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 8, "\"seq\":8");  // hiding a truncation of the tail
  std::ofstream(head()) << text;
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.why.find("signature"), std::string::npos) << rep.why;
  fs::remove(head());
  rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.why.find("no signed head"), std::string::npos) << rep.why;
}

TEST_F(AuditChainTest, TheKeyFileIsPrivateAndKept) {
  struct stat st {};
  ASSERT_EQ(::stat(key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(SigningKey::openOrCreate(key()).publicKeyHex(), SigningKey::open(key())->publicKeyHex());
}

TEST(AuditHashTest, EveryFieldIsCovered) {
  auto base = row(1);
  base.prevHash = kGenesisHash;
  auto h = auditHash(base);
  std::vector<std::function<void(AuditEntry&)>> edits = {
      [](AuditEntry& e) { e.seq = 2; },          [](AuditEntry& e) { e.eventId += "x"; },
      [](AuditEntry& e) { e.at += "x"; },        [](AuditEntry& e) { e.actorKind = "token"; },
      [](AuditEntry& e) { e.actorId += "x"; },   [](AuditEntry& e) { e.via += "x"; },
      [](AuditEntry& e) { e.organisationId += "x"; }, [](AuditEntry& e) { e.action += "x"; },
      [](AuditEntry& e) { e.objectId += "x"; },  [](AuditEntry& e) { e.method += "x"; },
      [](AuditEntry& e) { e.path += "x"; },      [](AuditEntry& e) { e.status = 200; },
      [](AuditEntry& e) { e.outcome += "x"; },   [](AuditEntry& e) { e.remote += "x"; },
      [](AuditEntry& e) { e.requestId += "x"; }, [](AuditEntry& e) { e.detail += "x"; },
      [](AuditEntry& e) { e.prevHash[0] = '1'; },
      // Moving a character between two fields changes the hash too (the encoding is unambiguous).
      [](AuditEntry& e) { e.method = "POS"; e.path = "T" + e.path; }};
  for (std::size_t i = 0; i < edits.size(); ++i) {
    auto e = base;
    edits[i](e);
    EXPECT_NE(auditHash(e), h) << "edit " << i;
  }
}

TEST(OutboxTest, ShippingTwiceRecordsOnceAndACrashBetweenLosesNothing) {
  testing::TempDir dir;
  testing::TestDatabases dbs(dir.path());
  auto state = connect(dbs.state.url());
  migrate(*state, DatabaseKind::State);
  auto accounting = connect(dbs.accounting.url());
  migrate(*accounting, DatabaseKind::Accounting);
  ShipperConfig sc{dbs.state.url(), dbs.accounting.url(),
                   dir / "audit-head.json", dir / "audit-signing.key"};
  for (int i = 1; i <= 3; ++i) enqueueAudit(*state, row(i));
  enqueueResourceEvent(*state, {"run_1/1", {}, "org_a", "dep_1", "dep_1/machine/main", "machine", "created"});
  auto pending = row(4);
  enqueueAudit(*state, pending, false);  // waits for its outcome
  EXPECT_EQ(outboxBacklog(*state), 5);
  {
    Shipper s(sc);
    EXPECT_EQ(s.shipNow(), 4);  // the pending row stays
  }
  EXPECT_EQ(outboxBacklog(*state), 1);
  // A crash after the accounting commit and before the outbox delete: the same events are queued again.
  for (int i = 1; i <= 3; ++i) enqueueAudit(*state, row(i));
  enqueueResourceEvent(*state, {"run_1/1", {}, "org_a", "dep_1", "dep_1/machine/main", "machine", "created"});
  // The process that queued row 4 died before answering: the next start settles it.
  {
    Shipper s(sc);
    s.start();
    s.stop();
  }
  EXPECT_EQ(outboxBacklog(*state), 0);
  AccountingStore acc(*accounting);
  auto rows = acc.recentAudit(100);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].eventId, "evt_4");
  EXPECT_EQ(rows[0].outcome, "unanswered");
  EXPECT_EQ(rows[0].status, 0);
  EXPECT_EQ(acc.resourceEventCount("dep_1"), 1);
  auto rep = verifyAuditChain(*accounting, dir / "audit-head.json", dir / "audit-signing.key");
  EXPECT_TRUE(rep.ok) << rep.why;
  ASSERT_TRUE(rep.head.has_value()) << "the stop wrote the signed head";
  EXPECT_EQ(rep.head->seq, 4);
}

TEST(OutboxTest, AFailingAccountingDatabaseKeepsTheEventsQueued) {
  testing::TempDir dir;
  testing::TestDatabases dbs(dir.path());
  auto state = connect(dbs.state.url());
  migrate(*state, DatabaseKind::State);
  ShipperConfig sc{dbs.state.url(), dbs.accounting.url(),
                   dir / "audit-head.json", dir / "audit-signing.key"};
  enqueueAudit(*state, row(1));
  {
    Shipper s(sc);  // the accounting database is not migrated: the insert fails
    EXPECT_THROW(s.shipNow(), DatabaseError);
  }
  EXPECT_EQ(outboxBacklog(*state), 1);
  auto accounting = connect(dbs.accounting.url());
  migrate(*accounting, DatabaseKind::Accounting);
  Shipper s(sc);
  EXPECT_EQ(s.shipNow(), 1);
  EXPECT_EQ(outboxBacklog(*state), 0);
}

}  // namespace
}  // namespace fedihost::store
