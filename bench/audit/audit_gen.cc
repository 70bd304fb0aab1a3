// bench_audit_gen N DIR: writes an audit log of N chained rows into DIR/accounting.db
// (migrated), with the signed head in DIR/audit-head.json, then verifies it once in
// process. Used to time `fedihost audit verify --data DIR` (bench/README.md).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "store/audit_chain.hh"
#include "store/migrations.hh"

using namespace fedihost;
namespace fs = std::filesystem;

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
  const long start = acc.auditHead() ? acc.auditHead()->first : 0;
  for (long i = start; i < n;) {
    store::Transaction tx(*conn, true);
    for (long j = 0; j < 20000 && i < n; ++j, ++i) {
      store::AuditEntry e;
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
      acc.appendAudit(e);
    }
    tx.commit();
  }
  auto head = acc.auditHead();
  if (head) store::writeSignedHead(dir / "audit-head.json", store::SigningKey::openOrCreate(dir / "audit-signing.key"),
                                   head->first, head->second);
  auto t1 = std::chrono::steady_clock::now();
  std::cout << "wrote " << (n - start) << " rows in " << std::chrono::duration<double>(t1 - t0).count() << " s ("
            << fs::file_size(dir / "accounting.db") / (1024 * 1024) << " MiB)\n";
  store::Transaction snapshot(*conn, false);
  auto rep = store::verifyAuditChain(*conn, dir / "audit-head.json", dir / "audit-signing.key");
  auto t2 = std::chrono::steady_clock::now();
  std::cout << "verified in process: " << (rep.ok ? "intact" : rep.why) << ", " << rep.rows << " rows in "
            << std::chrono::duration<double>(t2 - t1).count() << " s\n";
  return rep.ok ? 0 : 1;
}
