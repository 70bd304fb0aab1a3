// A month's statements for N = 1,000 and 10,000 organisations, from a SQLite
// accounting database holding each organisation's resource lifecycle events
// (one deployment of a machine resized mid-month, an IP address, a database,
// a bucket, a mail account and two certificates, plus a second database deleted
// mid-month: 11 events each, a quarter of them before the month):
//   BM_OpenMonthStatements   computes every organisation's statement of the month
//                            (load events, integrate usage, price) without storing.
//   BM_CloseMonth            closes the month: computes and stores every statement
//                            (the stored ones are deleted between iterations, untimed).
//   BM_OperatorsPage         one page (50) of the operators' list of every organisation
//                            (GET /api/v1/statements: the state database's page of live
//                            organisations, then each one's forecast of the open month, or
//                            statement of an ended one), from the middle of the list.
//   BM_StatementTotals       the totals per currency over every organisation
//                            (GET /api/v1/statements/totals, accounting::totalsOf): the open
//                            month (every forecast) or an ended one (the stored statements).
// The second argument, when 1, adds each organisation's bucket storage sampled every hour
// of the month (744 storage samples each, as `accounting.storage_sample_interval` = 3600
// makes them, the first ones before the bucket exists) and prices stored_gib.
// The database is filled in a temporary directory on each run (a few seconds; with samples
// a few minutes); fill time goes to stderr.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>

#include "accounting/billing.hh"
#include "core/clock.hh"
#include "store/migrations.hh"
#include "store/state_store.hh"

namespace {

namespace fs = std::filesystem;
using namespace fedihost;

const char* const kMonth = "2027-03";
/// A creation time before every month measured (the organisations of the benchmarks exist all along).
const accounting::Seconds kLongAgo = 0;

struct World {
  fs::path dir;
  std::unique_ptr<store::Connection> conn;
  std::unique_ptr<store::Connection> state;  ///< the state database: the organisations, live
  std::vector<std::string> orgs;
  ~World() {
    conn.reset();
    state.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::unique_ptr<World> fill(int n, bool sampled) {
  auto t0 = std::chrono::steady_clock::now();
  auto w = std::make_unique<World>();
  w->dir = fs::temp_directory_path() / ("fedihost-bench-statement-" + std::to_string(getpid()) + "-" + std::to_string(n) +
                                        (sampled ? "-sampled" : ""));
  fs::create_directories(w->dir);
  w->conn = store::connect("sqlite:" + (w->dir / "accounting.db").string());
  store::migrate(*w->conn, store::DatabaseKind::Accounting);
  store::AccountingStore acc(*w->conn);
  store::BillingStore bill(*w->conn);
  store::PricePlan plan;
  plan.name = "Standard";
  plan.currency = "EUR";
  plan.baseFee = 1000;
  plan.vatBasisPoints = 1900;
  plan.prices = {{"vcpu", 500}, {"ram_gib", 200}, {"disk_gib", 10}, {"database", 100}, {"ip_address", 300},
                 {"bucket", 50},  {"mail_account", 20}, {"certificate", 0}, {"stored_gib", 2}};
  plan.included = {{"vcpu", 1}};
  auto planId = bill.createPlan(plan).value().id;
  const std::string machineSmall = R"({"machine":1,"vcpu":2,"ram_mib":4096,"disk_gib":40})";
  const std::string machineLarge = R"({"machine":1,"vcpu":4,"ram_mib":8192,"disk_gib":80})";
  for (int i = 0; i < n; i += 1000) {
    store::Transaction tx(*w->conn, true);
    for (int j = i; j < std::min(n, i + 1000); ++j) {
      std::string org = "org_" + std::to_string(j);
      std::string dep = "dep_" + std::to_string(j);
      w->orgs.push_back(org);
      int seq = 0;
      auto ev = [&](const std::string& at, const std::string& key, const char* event, const std::string& q) {
        acc.resourceEvent({dep + "/" + std::to_string(++seq), at, org, dep, dep + "/" + key, "k", event, q});
      };
      std::string day = std::to_string(10 + j % 18);
      ev("2027-02-20T10:00:00.000Z", "machine/main", "created", machineSmall);
      ev("2027-02-20T10:00:00.000Z", "ip-address/main", "created", R"({"ip_address":1})");
      ev("2027-02-20T10:00:01.000Z", "database/app", "created", R"({"database":1})");
      ev("2027-03-0" + std::to_string(1 + j % 9) + "T08:00:00.000Z", "bucket/media", "created", R"({"bucket":1})");
      ev("2027-03-02T08:00:00.000Z", "mail-account/app", "created", R"({"mail_account":1})");
      ev("2027-03-02T08:00:00.000Z", "dns-record-set/A-a", "created", R"({"certificate":1})");
      ev("2027-03-02T08:00:00.000Z", "dns-record-set/A-b", "created", R"({"certificate":1})");
      ev("2027-03-05T00:00:00.000Z", "database/extra", "created", R"({"database":1})");
      ev("2027-03-" + day + "T12:00:00.000Z", "database/extra", "deleted", "{}");
      ev("2027-03-28T01:00:00.000Z", "machine/main", "updated", machineLarge);
      ev("2027-04-02T00:00:00.000Z", "machine/main", "deleted", "{}");
      if (sampled) {
        for (int h = 0; h < 744; ++h) {
          char at[32];
          std::snprintf(at, sizeof at, "2027-03-%02dT%02d:00:00.000Z", 1 + h / 24, h % 24);
          bill.addSample({at, org, dep, dep + "/bucket/media", "s3", (std::int64_t{1} << 30) + h * 1000003LL, 100 + h, ""});
        }
      }
      // (assignPlan takes its own transaction: the same row, written inside this one)
      w->conn->execute("INSERT INTO organisation_price_plans (organisation_id, plan_id, assigned_at) VALUES (?1, ?2, ?3)",
                       {org, planId, std::string("2027-01-01T00:00:00.000Z")});
    }
    tx.commit();
  }
  // The organisations in the state database, as the operators' list and totals walk them.
  w->state = store::connect("sqlite:" + (w->dir / "state.db").string());
  store::migrate(*w->state, store::DatabaseKind::State);
  {
    store::Transaction tx(*w->state, true);
    for (auto& org : w->orgs)
      w->state->execute("INSERT INTO organisations (id, name, display_name, created_at) VALUES (?1, ?2, ?2, ?3)",
                        {org, "name-" + org, std::string("2027-01-01T00:00:00.000Z")});
    tx.commit();
  }
  std::cerr << "filled " << n << " organisations (" << n * 11 << " events, " << (sampled ? n * 744 : 0)
            << " storage samples) in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  return w;
}

World& world(int n, bool sampled) {
  static std::map<std::pair<int, bool>, std::unique_ptr<World>> worlds;
  auto& w = worlds[{n, sampled}];
  if (!w) w = fill(n, sampled);
  return *w;
}

void BM_OpenMonthStatements(benchmark::State& state) {
  auto& w = world(static_cast<int>(state.range(0)), state.range(1) != 0);
  clock::setNowForTesting(std::chrono::system_clock::from_time_t(accounting::parseTime("2027-05-01T00:00:00Z").value()));
  store::BillingStore bill(*w.conn);
  auto start = accounting::parseMonth(kMonth).value();
  auto plan = bill.getPlan(*bill.planOf(w.orgs[0])).value();
  std::int64_t sum = 0;
  for (auto _ : state) {
    for (auto& org : w.orgs) {
      auto usage = accounting::usageOf(bill, org, start, accounting::nextMonth(start), accounting::Step::Month).value();
      auto s = accounting::computeStatement(org, start, plan, usage.total, bill.adjustments(org, kMonth));
      sum += s.total;
    }
  }
  if (sum <= 0) state.SkipWithError("no amounts");
  state.counters["per_organisation"] =
      benchmark::Counter(static_cast<double>(state.iterations() * w.orgs.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  clock::setNowForTesting();
}
BENCHMARK(BM_OpenMonthStatements)->Args({1000, 0})->Args({10000, 0})->Args({10000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CloseMonth(benchmark::State& state) {
  auto& w = world(static_cast<int>(state.range(0)), state.range(1) != 0);
  clock::setNowForTesting(std::chrono::system_clock::from_time_t(accounting::parseTime("2027-05-01T00:00:00Z").value()));
  store::BillingStore bill(*w.conn);
  for (auto _ : state) {
    state.PauseTiming();
    w.conn->execute("DELETE FROM statements");
    state.ResumeTiming();
    for (auto& org : w.orgs)
      if (!accounting::statementOf(bill, org, kLongAgo, kMonth)) state.SkipWithError("a statement failed");
  }
  state.counters["per_organisation"] =
      benchmark::Counter(static_cast<double>(state.iterations() * w.orgs.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  clock::setNowForTesting();
}
BENCHMARK(BM_CloseMonth)->Args({1000, 0})->Args({10000, 0})->Args({10000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void setNow(const char* rfc3339) {
  clock::setNowForTesting(std::chrono::system_clock::from_time_t(accounting::parseTime(rfc3339).value()));
}

/// Args: N, open (1: the open month, on 20 March 2027; 0: March ended, on 1 May, stored first),
/// sampled (1: the database with hourly storage samples).
void atMonth(World& w, bool open) {
  if (open) return setNow("2027-03-20T12:00:00Z");
  setNow("2027-05-01T00:00:00Z");
  store::BillingStore bill(*w.conn);
  if (!bill.statement(w.orgs.back(), kMonth))
    for (auto& org : w.orgs) (void)accounting::statementOf(bill, org, kLongAgo, kMonth);
}

void BM_OperatorsPage(benchmark::State& state) {
  auto& w = world(static_cast<int>(state.range(0)), state.range(2) != 0);
  const bool open = state.range(1) != 0;
  atMonth(w, open);
  store::BillingStore bill(*w.conn);
  store::StateStore st(*w.state);
  // The cursor after the first half: a page from the middle of the list.
  auto half = st.listOrganisations(std::nullopt, static_cast<int>(w.orgs.size() / 2), "").next;
  std::int64_t sum = 0;
  for (auto _ : state) {
    store::Transaction snapshot(*w.state, false);  // as the API reads a GET
    auto page = st.listOrganisations(std::nullopt, 50, half);
    snapshot.commit();
    for (auto& org : page.items) {
      auto m = accounting::summaryOf(bill, org, kMonth, open);
      if (!m.statement) state.SkipWithError("an organisation without a statement");
      sum += m.forecast ? m.forecast->atMonthEnd.total : m.statement->total;
    }
    if (page.items.size() != 50 || page.next.empty()) state.SkipWithError("not a page of 50 from the middle");
  }
  if (sum <= 0) state.SkipWithError("no amounts");
  clock::setNowForTesting();
}
BENCHMARK(BM_OperatorsPage)->Args({10000, 1, 0})->Args({10000, 0, 0})->Args({10000, 1, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StatementTotals(benchmark::State& state) {
  auto& w = world(static_cast<int>(state.range(0)), state.range(2) != 0);
  const bool open = state.range(1) != 0;
  atMonth(w, open);
  store::BillingStore bill(*w.conn);
  store::StateStore st(*w.state);
  accounting::MonthTotals t;
  for (auto _ : state) {
    store::Transaction snapshot(*w.state, false);
    t = accounting::totalsOf(st, bill, kMonth, open);
    snapshot.commit();
  }
  if (t.organisations != static_cast<int>(w.orgs.size()) || t.currencies.size() != 1 ||
      t.currencies[0].organisations != t.organisations)
    state.SkipWithError("not every organisation summed");
  else
    state.counters["total_eur"] = static_cast<double>(t.currencies[0].total) / 100;
  state.counters["per_organisation"] =
      benchmark::Counter(static_cast<double>(state.iterations() * w.orgs.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  clock::setNowForTesting();
}
BENCHMARK(BM_StatementTotals)->Args({10000, 1, 0})->Args({10000, 0, 0})->Args({10000, 1, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
