// Bucket storage: samples of a bucket's bytes held until the next sample give known
// stored GiB-hours (usage and statements); failed samples change nothing and are never
// taken for 0; the sampler records every answer, good or failed.
#include "accounting/storage_sampler.hh"

#include <gtest/gtest.h>

#include <thread>

#include "accounting/billing.hh"
#include "core/clock.hh"
#include "store/billing_store.hh"
#include "store/migrations.hh"
#include "store/state_store.hh"
#include "databases.hh"

namespace fedihost::accounting {
namespace {

Seconds at(const char* t) { return parseTime(t).value(); }
void setNow(const char* t) { clock::setNowForTesting(std::chrono::system_clock::from_time_t(at(t))); }

constexpr std::int64_t kGiB = 1024LL * 1024 * 1024;
constexpr std::int64_t kKiBPerGiB = 1024LL * 1024;

TEST(StoredSize, BytesAreCountedInKibRoundedUp) {
  EXPECT_EQ(storedQuantities(0).at("stored_kib"), 0);
  EXPECT_EQ(storedQuantities(1).at("stored_kib"), 1);
  EXPECT_EQ(storedQuantities(1024).at("stored_kib"), 1);
  EXPECT_EQ(storedQuantities(1025).at("stored_kib"), 2);
  EXPECT_EQ(storedQuantities(kGiB).at("stored_kib"), kKiBPerGiB);
  auto* unit = findUnit("stored_gib");
  ASSERT_NE(unit, nullptr);
  EXPECT_EQ(unit->quantity, "stored_kib");
  EXPECT_EQ(unit->divisor, kKiBPerGiB);
}

// A bucket created at midnight, sampled at 1 GiB at 00:00, 3 GiB at 12:00, deleted the next
// midnight: 1 × 12 + 3 × 12 = 48 GiB-hours. Samples before it exists and after it is gone count nothing.
TEST(StoredSize, EachSampleIsHeldUntilTheNextOrTheBucketsDeletion) {
  const Quantities bucket{{"bucket", 1}};
  std::vector<MeterEvent> events{
      {at("2027-02-28T23:00:00Z"), "dep_a", "dep_a/bucket/media", "sampled", storedQuantities(9 * kGiB)},
      {at("2027-03-01T00:00:00Z"), "dep_a", "dep_a/bucket/media", "created", bucket},
      {at("2027-03-01T00:00:00Z"), "dep_a", "dep_a/bucket/media", "sampled", storedQuantities(kGiB)},
      {at("2027-03-01T12:00:00Z"), "dep_a", "dep_a/bucket/media", "sampled", storedQuantities(3 * kGiB)},
      {at("2027-03-02T00:00:00Z"), "dep_a", "dep_a/bucket/media", "deleted", {}},
      {at("2027-03-02T06:00:00Z"), "dep_a", "dep_a/bucket/media", "sampled", storedQuantities(5 * kGiB)},
  };
  auto u = computeUsage(events, at("2027-03-01T00:00:00Z"), at("2027-03-03T00:00:00Z"), Step::Hour,
                        at("2027-04-01T00:00:00Z"))
               .value();
  EXPECT_EQ(u.total.quantitySeconds.at("stored_kib"), (1 * 12 + 3 * 12) * 3600 * kKiBPerGiB);
  EXPECT_EQ(hoursText(u.total.quantitySeconds.at("stored_kib"), kKiBPerGiB), "48.000");
  EXPECT_EQ(u.total.quantitySeconds.at("bucket"), 24 * 3600);
  EXPECT_EQ(u.periods[11].total.quantitySeconds.at("stored_kib"), 3600 * kKiBPerGiB);      // 11:00–12:00: 1 GiB
  EXPECT_EQ(u.periods[12].total.quantitySeconds.at("stored_kib"), 3 * 3600 * kKiBPerGiB);  // 12:00–13:00: 3 GiB
  EXPECT_EQ(u.periods[30].total.quantitySeconds.count("stored_kib"), 0u);                  // deleted
  EXPECT_EQ(u.byDeployment.at("dep_a").quantitySeconds.at("stored_kib"), 48 * 3600 * kKiBPerGiB);
}

// The last sample of a live bucket holds until the end of the measured range (now at the latest).
TEST(StoredSize, TheLastSampleHoldsUntilNow) {
  std::vector<MeterEvent> events{
      {at("2027-03-01T00:00:00Z"), "dep_a", "dep_a/bucket/media", "created", {{"bucket", 1}}},
      {at("2027-03-01T00:00:00Z"), "dep_a", "dep_a/bucket/media", "sampled", storedQuantities(512 * 1024 * 1024)},
  };
  auto u = computeUsage(events, at("2027-03-01T00:00:00Z"), at("2027-04-01T00:00:00Z"), Step::Day,
                        at("2027-03-01T10:00:00Z"))
               .value();
  EXPECT_EQ(hoursText(u.total.quantitySeconds.at("stored_kib"), kKiBPerGiB), "5.000");  // 0.5 GiB × 10 h
}

store::PricePlan storagePlan() {
  store::PricePlan p;
  p.name = "Storage";
  p.currency = "EUR";
  p.baseFee = 0;
  p.vatBasisPoints = 0;
  p.prices = {{"stored_gib", 10}};  // 0.10 a GiB-month
  p.included = {{"stored_gib", 1}};  // 1 GiB-month included
  return p;
}

/// The accounting database with a bucket's lifecycle and its samples (one failed) recorded.
class StoredUsage : public testing::AccountingDatabase {
 protected:
  void SetUp() override {
    AccountingDatabase::SetUp();
    acc_->resourceEvent({"ev_1", "2027-03-01T00:00:00.000Z", "org_a", "dep_a", "dep_a/bucket/media", "bucket",
                         "created", R"({"bucket":1})"});
    acc_->resourceEvent({"ev_2", "2027-03-10T00:00:00.000Z", "org_a", "dep_b", "dep_b/bucket/files", "bucket",
                         "created", R"({"bucket":1})"});
    sample("2027-03-01T00:00:00.000Z", "dep_a", "dep_a/bucket/media", 2 * kGiB);
    sample("2027-03-11T00:00:00.000Z", "dep_a", "dep_a/bucket/media", std::nullopt);  // failed: 2 GiB still held
    sample("2027-03-16T12:00:00.000Z", "dep_a", "dep_a/bucket/media", 4 * kGiB);
    sample("2027-03-10T00:00:00.000Z", "dep_b", "dep_b/bucket/files", 1);  // one byte: 1 KiB
  }
  void sample(const char* when, const char* dep, const char* key, std::optional<std::int64_t> bytes) {
    bill_->addSample({when, "org_a", dep, key, "s3", bytes, bytes ? std::optional<std::int64_t>(7) : std::nullopt,
                      bytes ? "" : "S3 at http://127.0.0.1:1: connection refused"});
  }
};

TEST_F(StoredUsage, KnownSamplesGiveKnownGibHoursPerOrganisationAndDeployment) {
  setNow("2027-04-15T00:00:00Z");
  auto u = usageOf(*bill_, "org_a", at("2027-03-01T00:00:00Z"), at("2027-04-01T00:00:00Z"), Step::Month).value();
  // dep_a: 2 GiB from 1 March to 16 March 12:00 (15.5 days = 372 h), then 4 GiB to 1 April (15.5 days).
  const std::int64_t depA = (2 * 372 + 4 * 372) * 3600 * kKiBPerGiB;
  // dep_b: 1 KiB from 10 March to 1 April (22 days = 528 h).
  const std::int64_t depB = 528 * 3600;
  EXPECT_EQ(u.byDeployment.at("dep_a").quantitySeconds.at("stored_kib"), depA);
  EXPECT_EQ(u.byDeployment.at("dep_b").quantitySeconds.at("stored_kib"), depB);
  EXPECT_EQ(u.total.quantitySeconds.at("stored_kib"), depA + depB);
  EXPECT_EQ(hoursText(depA, kKiBPerGiB), "2232.000");
  EXPECT_EQ(hoursText(depB, kKiBPerGiB), "0.001");  // 528 KiB-hours = 0.000504 GiB-hours, rounded half up

  // Per day: 16 March holds 2 GiB for 12 hours and 4 GiB for 12.
  auto days = usageOf(*bill_, "org_a", at("2027-03-16T00:00:00Z"), at("2027-03-17T00:00:00Z"), Step::Day).value();
  EXPECT_EQ(days.byDeployment.at("dep_a").quantitySeconds.at("stored_kib"), (2 * 12 + 4 * 12) * 3600 * kKiBPerGiB);
}

TEST_F(StoredUsage, AStatementPricesStoredGibMonths) {
  auto planId = bill_->createPlan(storagePlan()).value().id;
  bill_->assignPlan("org_a", planId).orThrow();
  setNow("2027-04-15T00:00:00Z");
  auto s = statementOf(*bill_, "org_a", parseTime("2027-01-01T00:00:00Z").value(), "2027-03").value();
  const StatementLine* line = nullptr;
  for (auto& l : s.lines)
    if (l.unit == "stored_gib") line = &l;
  ASSERT_NE(line, nullptr);
  // 2232 GiB-hours + 528 KiB-hours over 744 hours = 3.0000007 GiB-months, 1 included: 2.0000 billable.
  EXPECT_EQ(line->quantity, "2.0000");
  EXPECT_EQ(line->unitPrice, 10);
  EXPECT_EQ(line->amount, 20);
  EXPECT_EQ(line->description, "Bucket storage (GiB): 2232.001 stored GiB-hours, 1 stored GiB-months included");
}

TEST_F(StoredUsage, ACorruptSampleIsAnErrorNotZero) {
  conn_->execute("UPDATE storage_samples SET bytes = NULL WHERE error = ''");
  EXPECT_THROW(bill_->samplesOf("org_a", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"), store::DatabaseError);
}

/// A state database with one deployment holding two buckets, and the accounting database.
class Sampler : public testing::StateAndAccounting {
 protected:
  void SetUp() override {
    StateAndAccounting::SetUp();
    store::StateStore state(*stateConn_);
    auto org = state.createOrganisation("riverside", "Riverside").value();
    Deployment d;
    d.organisation = org.id;
    d.name = "social";
    d.domain = "social.example.test";
    d.apps = {{"mastodon", {{"subdomain", "mastodon"}}, {}, 0}};
    dep_ = state.createDeployment(d, {d.domain}).value();
    for (auto name : {"media", "backup"}) {
      Resource r;
      r.kind = ResourceKind::Bucket;
      r.deployment = dep_.id;
      r.name = name;
      r.key = dep_.id + "/bucket/" + name;
      r.attributes = {{"name", std::string("x-") + name}};
      state.recordResource(r, {});
    }
    Resource db;
    db.kind = ResourceKind::Database;
    db.deployment = dep_.id;
    db.name = "main";
    db.key = dep_.id + "/database/main";
    state.recordResource(db, {});
  }
  Deployment dep_;
};

// The measure function stands for the orchestrator's (which asks the target's blob provider:
// tests/site/s3_test.cc and garage_test.cc); here it answers for the media bucket, fails for the
// backup bucket, and must never be asked about the database.
TEST_F(Sampler, RecordsAGoodSampleAndAFailedOneNeverZero) {
  setNow("2027-03-05T10:00:00Z");
  std::vector<std::string> asked;
  StorageSampler sampler({stateUrl(), accountingUrl(), std::chrono::hours(1),
                          [&](store::StateStore&, const Deployment& d, const Resource& bucket) {
                            asked.push_back(bucket.key);
                            EXPECT_EQ(d.id, dep_.id);
                            Measurement m{"s3", std::nullopt, std::nullopt, ""};
                            if (bucket.name == "media") {
                              m.bytes = 3 * kGiB;
                              m.objects = 12;
                            } else {
                              m.error = "S3 at http://127.0.0.1:1: connection refused";
                            }
                            return m;
                          }});
  auto round = sampler.sampleNow();
  EXPECT_EQ(round.measured, 1);
  EXPECT_EQ(round.failed, 1);
  std::sort(asked.begin(), asked.end());
  EXPECT_EQ(asked, (std::vector<std::string>{dep_.id + "/bucket/backup", dep_.id + "/bucket/media"}));

  store::BillingStore billing(*accConn_);
  auto samples = billing.samplesOf(dep_.organisation, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
  ASSERT_EQ(samples.size(), 2u);
  std::sort(samples.begin(), samples.end(), [](auto& a, auto& b) { return a.resourceKey < b.resourceKey; });
  EXPECT_EQ(samples[0].resourceKey, dep_.id + "/bucket/backup");
  EXPECT_FALSE(samples[0].bytes);
  EXPECT_EQ(samples[0].error, "S3 at http://127.0.0.1:1: connection refused");
  EXPECT_EQ(samples[1].bytes, 3 * kGiB);
  EXPECT_EQ(samples[1].objects, 12);
  EXPECT_EQ(samples[1].provider, "s3");
  EXPECT_EQ(samples[1].deployment, dep_.id);
  EXPECT_EQ(samples[1].at, "2027-03-05T10:00:00.000Z");
}

TEST_F(Sampler, AMeasureThatThrowsIsAFailedSampleAndTheRoundGoesOn) {
  int calls = 0;
  StorageSampler sampler({stateUrl(), accountingUrl(), std::chrono::hours(1),
                          [&](store::StateStore&, const Deployment&, const Resource&) -> Measurement {
                            ++calls;
                            throw std::runtime_error("provider aborted");
                          }});
  auto round = sampler.sampleNow();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(round.failed, 2);
  for (auto& s : store::BillingStore(*accConn_).samplesOf(dep_.organisation, "1970-01-01T00:00:00Z", "9999-01-01T00:00:00Z")) {
    EXPECT_FALSE(s.bytes);
    EXPECT_EQ(s.error, "provider aborted");
  }
}

TEST_F(Sampler, ItsThreadSamplesAtStart) {
  std::atomic<int> calls{0};
  StorageSampler sampler({stateUrl(), accountingUrl(), std::chrono::hours(1),
                          [&](store::StateStore&, const Deployment&, const Resource&) {
                            ++calls;
                            return Measurement{"file", 100, 1, ""};
                          }});
  sampler.start();
  for (int i = 0; i < 1000 && sampler.rounds() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sampler.stop();
  EXPECT_EQ(sampler.rounds(), 1);
  EXPECT_EQ(sampler.failures(), 0);
  EXPECT_EQ(calls.load(), 2);
}

}  // namespace
}  // namespace fedihost::accounting
