#include "store/billing_store.hh"

#include "core/clock.hh"
#include "core/ids.hh"

namespace fedihost::store {

void BillingStore::writeUnits(const PricePlan& p) {
  c_.execute("DELETE FROM price_plan_units WHERE plan_id = ?1", {p.id});
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> units;
  for (auto& [u, v] : p.prices) units[u].first = v;
  for (auto& [u, v] : p.included) units[u].second = v;
  for (auto& [u, pi] : units)
    c_.execute("INSERT INTO price_plan_units (plan_id, unit, price, included) VALUES (?1, ?2, ?3, ?4)",
               {p.id, u, pi.first, pi.second});
}

Result<PricePlan> BillingStore::createPlan(PricePlan p) {
  p.id = ids::newId("pp");
  p.createdAt = p.updatedAt = clock::nowRfc3339();
  Transaction tx(c_, true);
  if (c_.queryOne("SELECT 1 FROM price_plans WHERE name = ?1", {p.name}))
    return Error::conflict("a price plan named \"" + p.name + "\" exists", "name");
  c_.execute(
      "INSERT INTO price_plans (id, name, currency, base_fee, vat_bp, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      {p.id, p.name, p.currency, p.baseFee, p.vatBasisPoints, p.createdAt, p.updatedAt});
  writeUnits(p);
  tx.commit();
  return p;
}

Result<PricePlan> BillingStore::updatePlan(PricePlan p) {
  Transaction tx(c_, true);
  auto old = getPlan(p.id);
  if (!old) return old.error();
  if (c_.queryOne("SELECT 1 FROM price_plans WHERE name = ?1 AND id <> ?2", {p.name, p.id}))
    return Error::conflict("a price plan named \"" + p.name + "\" exists", "name");
  p.createdAt = old->createdAt;
  p.updatedAt = clock::nowRfc3339();
  c_.execute("UPDATE price_plans SET name = ?2, currency = ?3, base_fee = ?4, vat_bp = ?5, updated_at = ?6 WHERE id = ?1",
             {p.id, p.name, p.currency, p.baseFee, p.vatBasisPoints, p.updatedAt});
  writeUnits(p);
  tx.commit();
  return p;
}

Result<PricePlan> BillingStore::getPlan(const std::string& id) {
  auto r = c_.queryOne(
      "SELECT id, name, currency, base_fee, vat_bp, created_at, updated_at FROM price_plans WHERE id = ?1", {id});
  if (!r) return Error::notFound("no price plan " + id);
  PricePlan p{r->text(0), r->text(1), r->text(2), r->integer(3), r->integer(4), {}, {}, r->text(5), r->text(6)};
  for (auto& u : c_.query("SELECT unit, price, included FROM price_plan_units WHERE plan_id = ?1 ORDER BY unit", {id})) {
    if (u.integer(1) != 0) p.prices[u.text(0)] = u.integer(1);
    if (u.integer(2) != 0) p.included[u.text(0)] = u.integer(2);
  }
  return p;
}

std::vector<PricePlan> BillingStore::listPlans() {
  std::vector<PricePlan> out;
  for (auto& r : c_.query("SELECT id FROM price_plans ORDER BY name")) out.push_back(getPlan(r.text(0)).orThrow());
  return out;
}

Result<void> BillingStore::assignPlan(const std::string& organisation, const std::string& planId) {
  Transaction tx(c_, true);
  if (!c_.queryOne("SELECT 1 FROM price_plans WHERE id = ?1", {planId}))
    return Error::invalid("plan", "no price plan " + planId);
  c_.execute(
      "INSERT INTO organisation_price_plans (organisation_id, plan_id, assigned_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (organisation_id) DO UPDATE SET plan_id = excluded.plan_id, assigned_at = excluded.assigned_at",
      {organisation, planId, clock::nowRfc3339()});
  tx.commit();
  return {};
}

std::optional<std::string> BillingStore::planOf(const std::string& organisation) {
  auto r = c_.queryOne("SELECT plan_id FROM organisation_price_plans WHERE organisation_id = ?1", {organisation});
  if (!r) return std::nullopt;
  return r->text(0);
}

std::map<std::string, std::string> BillingStore::planAssignments() {
  std::map<std::string, std::string> out;
  for (auto& r : c_.query("SELECT organisation_id, plan_id FROM organisation_price_plans")) out[r.text(0)] = r.text(1);
  return out;
}

Adjustment BillingStore::addAdjustment(Adjustment a) {
  a.id = ids::newId("adj");
  a.createdAt = clock::nowRfc3339();
  c_.execute(
      "INSERT INTO billing_adjustments (id, organisation_id, month, description, amount, created_at, created_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      {a.id, a.organisation, a.month, a.description, a.amount, a.createdAt, a.createdBy});
  return a;
}

std::vector<Adjustment> BillingStore::adjustments(const std::string& organisation, const std::string& month) {
  std::vector<Adjustment> out;
  for (auto& r : c_.query(
           "SELECT id, organisation_id, month, description, amount, created_at, created_by FROM billing_adjustments "
           "WHERE organisation_id = ?1 AND month = ?2 ORDER BY created_at, id",
           {organisation, month}))
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4), r.text(5), r.text(6)});
  return out;
}

std::optional<StoredStatement> BillingStore::statement(const std::string& organisation, const std::string& month) {
  auto r = c_.queryOne("SELECT organisation_id, month, body, closed_at FROM statements WHERE organisation_id = ?1 AND month = ?2",
                       {organisation, month});
  if (!r) return std::nullopt;
  return StoredStatement{r->text(0), r->text(1), r->text(2), r->text(3)};
}

std::vector<StoredStatement> BillingStore::statementsOf(const std::string& month) {
  std::vector<StoredStatement> out;
  for (auto& r : c_.query("SELECT organisation_id, month, body, closed_at FROM statements WHERE month = ?1", {month}))
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3)});
  return out;
}

StoredStatement BillingStore::storeStatement(const StoredStatement& s) {
  Transaction tx(c_, true);
  c_.execute("INSERT INTO statements (organisation_id, month, body, closed_at) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT (organisation_id, month) DO NOTHING",
             {s.organisation, s.month, s.body, s.closedAt});
  auto stored = statement(s.organisation, s.month);
  tx.commit();
  return *stored;
}

std::vector<ResourceEvent> BillingStore::eventsOf(const std::string& organisation, const std::string& before) {
  std::vector<ResourceEvent> out;
  for (auto& r : c_.query(
           "SELECT event_id, at, organisation_id, deployment_id, resource_key, kind, event, quantities "
           "FROM resource_events WHERE organisation_id = ?1 AND at < ?2 ORDER BY at, id",
           {organisation, before}))
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6), r.text(7)});
  return out;
}

void BillingStore::addSample(StorageSample s) {
  if (s.at.empty()) s.at = clock::nowRfc3339();
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? Value(*v) : Value(nullptr); };
  c_.execute(
      "INSERT INTO storage_samples (at, organisation_id, deployment_id, resource_key, provider, bytes, objects, error) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      {s.at, s.organisation, s.deployment, s.resourceKey, s.provider, opt(s.bytes), opt(s.objects), s.error});
}

std::vector<StorageSample> BillingStore::samplesOf(const std::string& organisation, const std::string& from,
                                                   const std::string& before) {
  std::vector<StorageSample> out;
  for (auto& r : c_.query(
           "SELECT id, at, organisation_id, deployment_id, resource_key, provider, bytes, objects, error "
           "FROM storage_samples WHERE organisation_id = ?1 AND at >= ?2 AND at < ?3 "
           "UNION ALL "
           "SELECT s.id, s.at, s.organisation_id, s.deployment_id, s.resource_key, s.provider, s.bytes, s.objects, "
           "s.error FROM storage_samples s WHERE s.id IN ("
           "SELECT max(id) FROM storage_samples WHERE organisation_id = ?1 AND at < ?2 AND error = '' "
           "GROUP BY resource_key) "
           "ORDER BY 2, 1",
           {organisation, from, before})) {
    StorageSample s{r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), std::nullopt, std::nullopt, r.text(8)};
    if (!r.isNull(6)) s.bytes = r.integer(6);
    if (!r.isNull(7)) s.objects = r.integer(7);
    const bool good = s.error.empty();
    if (good != s.bytes.has_value() || (s.bytes && *s.bytes < 0) || (s.objects && *s.objects < 0))
      throw DatabaseError("storage sample " + std::to_string(r.integer(0)) +
                          " is corrupt: a good sample has a non-negative byte count, a failed one none and an error");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace fedihost::store
