#include "store/plan_inputs.hh"

namespace fedihost::store {

std::int64_t PlanInputs::generation(const std::string& deployment) {
  auto r = c_.queryOne("SELECT generation FROM plan_inputs WHERE deployment_id = ?1", {deployment});
  return r ? r->integer(0) : 0;
}

std::map<std::string, std::int64_t> PlanInputs::generations(const std::vector<std::string>& deployments) {
  std::map<std::string, std::int64_t> out;
  constexpr std::size_t kChunk = 500;  // below SQLite's limit of bound parameters
  for (std::size_t at = 0; at < deployments.size(); at += kChunk) {
    std::vector<Value> params;
    std::string sql = "SELECT deployment_id, generation FROM plan_inputs WHERE deployment_id IN (";
    for (std::size_t i = at; i < deployments.size() && i < at + kChunk; ++i) {
      params.emplace_back(deployments[i]);
      out[deployments[i]] = 0;
      sql += (i > at ? ", ?" : "?") + std::to_string(params.size());
    }
    for (auto& r : c_.query(sql + ")", params)) out[r.text(0)] = r.integer(1);
  }
  return out;
}

std::vector<PlanInputs::Live> PlanInputs::live(const std::string& after, int limit) {
  std::vector<Live> out;
  out.reserve(static_cast<std::size_t>(limit));
  for (auto& r : c_.query("SELECT d.id, COALESCE(p.generation, 0) FROM deployments d "
                          "LEFT JOIN plan_inputs p ON p.deployment_id = d.id "
                          "WHERE d.status <> 'deleted' AND d.id > ?1 ORDER BY d.id LIMIT ?2",
                          {after, std::int64_t{limit}}))
    out.push_back({r.text(0), r.integer(1)});
  return out;
}

}  // namespace fedihost::store
