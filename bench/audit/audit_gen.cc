// bench_audit_gen N DIR: writes an audit log of N chained rows into DIR/accounting.db
// (migrated), with the signed head in DIR/audit-head.json, then verifies it once in
// process. Used to time `fedihost audit verify --data DIR` (bench/README.md).
//
// The fill is fast on purpose (10 million rows in minutes, not the half hour that
// AccountingStore::appendAudit's per-row head lookup takes): one prepared INSERT, each
// row's seq, prev_hash and hash computed here with store::auditHash — the function the
// server and the verifier use — synchronous=OFF, batches of 100,000 rows, and the
// secondary indexes of audit_log dropped during the fill and created again after it, so
// the database ends exactly as migrated. A rerun continues the chain of what is there.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "store/accounting_store.hh"
#include "store/audit_chain.hh"
#include "store/migrations.hh"

using namespace fedihost;
namespace fs = std::filesystem;

namespace {

// The secondary indexes of audit_log (migration 003), rebuilt after the fill.
const char* const kDropIndexes =
    "DROP INDEX IF EXISTS audit_log_by_org; DROP INDEX IF EXISTS audit_log_by_actor;"
    "DROP INDEX IF EXISTS audit_log_by_object; DROP INDEX IF EXISTS audit_log_by_at;";
const char* const kCreateIndexes =
    "CREATE INDEX IF NOT EXISTS audit_log_by_org ON audit_log (organisation_id, seq);"
    "CREATE INDEX IF NOT EXISTS audit_log_by_actor ON audit_log (actor_id, seq);"
    "CREATE INDEX IF NOT EXISTS audit_log_by_object ON audit_log (object_id, seq);"
    "CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (at);";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_audit_gen N DIR\n";
    return 2;
  }
  const long n = std::atol(argv[1]);
  fs::path dir = argv[2];
  fs::create_directories(dir);
  auto conn = store::connect("sqlite:" + (dir / "accounting.db").string());
  store::migrate(*conn, store::DatabaseKind::Accounting);
  store::AccountingStore acc(*conn);
  auto t0 = std::chrono::steady_clock::now();
  auto head = acc.auditHead();
  const long start = head ? head->first : 0;
  std::string prev = head ? head->second : store::kGenesisHash;

  conn->execScript("PRAGMA synchronous = OFF;");
  conn->execScript(kDropIndexes);
  auto ins = conn->prepare(std::string("INSERT INTO audit_log (") + store::kAuditColumns +
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
  for (long i = start; i < n;) {
    store::Transaction tx(*conn, true);
    for (long j = 0; j < 100000 && i < n; ++j, ++i) {
      store::AuditEntry e;
      e.seq = i + 1;
      e.eventId = "evt_bench" + std::to_string(i);
      e.at = "2026-12-07T04:00:00.000Z";
      e.actorKind = "user";
      e.actorId = "usr_" + std::to_string(i % 1000);
      e.via = "ses_" + std::to_string(i % 5000);
      e.organisationId = "org_" + std::to_string(i % 100);
      e.action = "POST /api/v1/deployments/{id}/apply";
      e.objectId = "dep_" + std::to_string(i % 10000);
      e.method = "POST";
      e.path = "/api/v1/deployments/" + e.objectId + "/apply";
      e.status = 202;
      e.outcome = "ok";
      e.remote = "192.0.2.1";
      e.requestId = "req_" + std::to_string(i);
      e.prevHash = prev;
      e.hash = store::auditHash(e);
      const store::Value vals[] = {e.seq,         e.eventId,  e.at,       e.actorKind, e.actorId,
                                   e.via,         e.organisationId, e.action, e.objectId, e.method,
                                   e.path,        std::int64_t{e.status}, e.outcome, e.remote, e.requestId,
                                   e.detail,      e.prevHash, e.hash};
      for (int k = 0; k < 18; ++k) ins->bind(k + 1, vals[k]);
      ins->step();
      ins->reset();
      prev = std::move(e.hash);
    }
    tx.commit();
    if (i % 1000000 == 0) std::cerr << i << " rows\n";
  }
  auto t1 = std::chrono::steady_clock::now();
  conn->execScript(kCreateIndexes);
  conn->execScript("PRAGMA synchronous = FULL;");
  head = acc.auditHead();
  if (head) store::writeSignedHead(dir / "audit-head.json", store::SigningKey::openOrCreate(dir / "audit-signing.key"),
                                   head->first, head->second);
  auto t2 = std::chrono::steady_clock::now();
  std::cout << "wrote " << (n - start) << " rows in " << std::chrono::duration<double>(t1 - t0).count()
            << " s, indexes in " << std::chrono::duration<double>(t2 - t1).count() << " s ("
            << fs::file_size(dir / "accounting.db") / (1024 * 1024) << " MiB)\n";
  store::Transaction snapshot(*conn, false);
  auto rep = store::verifyAuditChain(*conn, dir / "audit-head.json", dir / "audit-signing.key");
  auto t3 = std::chrono::steady_clock::now();
  std::cout << "verified in process: " << (rep.ok ? "intact" : rep.why) << ", " << rep.rows << " rows in "
            << std::chrono::duration<double>(t3 - t2).count() << " s\n";
  return rep.ok ? 0 : 1;
}
