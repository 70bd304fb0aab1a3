#pragma once
// The generation of each deployment's planning inputs kept by the database:
// triggers bump it on every change of the deployment's recorded resources or
// drift (state migration 009) and of its desired state, its row or its apps (016).
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

  struct Live {
    std::string deployment;
    std::int64_t generation = 0;
  };
  /// Up to `limit` live (not deleted) deployments with an id after `after` ("" for the first),
  /// in id order, with their generation: a page of a survey, one query, no deployment read.
  std::vector<Live> live(const std::string& after, int limit);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
