#pragma once
// Billing in the accounting database: price plans, the plan of each organisation,
// adjustment lines, closed months' statements, and the lifecycle events that
// usage is computed from (accounting/usage.hh computes; this only stores).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hh"
#include "store/accounting_store.hh"
#include "store/sql.hh"

namespace fedihost::store {

/// A price plan: money in integer minor units of `currency`.
struct PricePlan {
  std::string id;  ///< "pp_…"
  std::string name;
  std::string currency;                      ///< ISO 4217, e.g. "EUR"
  std::int64_t baseFee = 0;                  ///< per month
  std::int64_t vatBasisPoints = 0;           ///< 1900 = 19 %
  std::map<std::string, std::int64_t> prices;    ///< unit -> minor units per unit-month
  std::map<std::string, std::int64_t> included;  ///< unit -> unit-months included in the base fee
  std::string createdAt;
  std::string updatedAt;
};

/// A line added by an operator to an open month's statement (a correction, a credit).
struct Adjustment {
  std::string id;  ///< "adj_…"
  std::string organisation;
  std::string month;  ///< YYYY-MM
  std::string description;
  std::int64_t amount = 0;  ///< minor units; negative for a credit
  std::string createdAt;
  std::string createdBy;
};

/// A closed month's statement as stored.
struct StoredStatement {
  std::string organisation;
  std::string month;
  std::string body;  ///< JSON
  std::string closedAt;
};

/// What a bucket's provider answered when asked how much the bucket holds (docs/billing.md).
struct StorageSample {
  std::string at;  ///< RFC 3339 UTC; set to now when empty
  std::string organisation;
  std::string deployment;
  std::string resourceKey;  ///< the bucket's identity key
  std::string provider;     ///< the implementation asked: s3, garage, file
  std::optional<std::int64_t> bytes;    ///< nullopt: the call failed (see error)
  std::optional<std::int64_t> objects;  ///< nullopt when failed or not counted
  std::string error;                    ///< "" for a good sample
};

class BillingStore {
 public:
  /// Uses `c` (not owned): the accounting database.
  explicit BillingStore(Connection& c) : c_(c) {}

  /// Creates a plan (its id and times are set here); Conflict when the name is taken.
  Result<PricePlan> createPlan(PricePlan p);
  /// Replaces a plan's fields (not its id or creation time); NotFound, or Conflict on a taken name.
  Result<PricePlan> updatePlan(PricePlan p);
  Result<PricePlan> getPlan(const std::string& id);
  /// Every plan, by name.
  std::vector<PricePlan> listPlans();

  /// Gives `organisation` the plan (NotFound for an unknown plan).
  Result<void> assignPlan(const std::string& organisation, const std::string& planId);
  /// The organisation's plan id, if it has one.
  std::optional<std::string> planOf(const std::string& organisation);
  /// Every organisation's plan id (organisation -> plan), in one query.
  std::map<std::string, std::string> planAssignments();

  Adjustment addAdjustment(Adjustment a);
  /// The adjustments of an organisation's month, oldest first.
  std::vector<Adjustment> adjustments(const std::string& organisation, const std::string& month);

  std::optional<StoredStatement> statement(const std::string& organisation, const std::string& month);
  /// Every stored statement of `month` (YYYY-MM), in one query.
  std::vector<StoredStatement> statementsOf(const std::string& month);
  /// Stores a closed month's statement unless one is stored already; returns the stored one
  /// (the first stored wins, so two servers closing a month at once agree).
  StoredStatement storeStatement(const StoredStatement& s);

  /// Every lifecycle event of the organisation recorded before `before` (RFC 3339), in time order.
  std::vector<ResourceEvent> eventsOf(const std::string& organisation, const std::string& before);

  /// Records one sample (a good or a failed one).
  void addSample(StorageSample s);
  /// The storage samples of the organisation that usage over [from, before) needs (RFC 3339
  /// times), in time order: every sample taken in the range, and before it each bucket's last
  /// good sample (the size held when the range begins). Older samples are not read.
  /// Throws DatabaseError for a corrupt row (a good sample without bytes, negative counts).
  std::vector<StorageSample> samplesOf(const std::string& organisation, const std::string& from,
                                       const std::string& before);

 private:
  void writeUnits(const PricePlan& p);
  Connection& c_;
};

}  // namespace fedihost::store
