#pragma once
// The generation of each deployment's planning inputs kept by the database
// (state migration 009): triggers bump it on every change of the deployment's
// recorded resources or drift.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/sql.hh"

namespace fedihost::store {

class PlanInputs {
 public:
  explicit PlanInputs(Connection& c) : c_(c) {}
  /// The generation of the deployment's recorded resources and drift (0 before any was written).
  std::int64_t generation(const std::string& deployment);
  /// The same for many deployments in one query; every id asked for is in the answer.
  std::map<std::string, std::int64_t> generations(const std::vector<std::string>& deployments);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
