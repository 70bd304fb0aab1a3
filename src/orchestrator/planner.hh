#pragma once
// The planner: desired resources against recorded ones → an ordered plan.
#include <string>
#include <vector>

#include "core/domain.hh"

namespace fedihost::orchestrator {

/// Computes the plan that turns `recorded` into `desired`:
///  - create what is desired and not recorded ("not yet created");
///  - update what differs in attributes that can change in place (reason names them);
///  - replace what differs in an identity attribute (a database's name, a bucket's name…);
///  - update what depends on a resource being created or replaced ("uses X, which is replaced");
///  - delete what is recorded and not desired ("no longer needed");
///  - no-op for the rest.
/// Creates, updates, replaces and no-ops come in dependency order; deletes come
/// last, dependents before what they depend on. Throws AbortError(Invalid) on a
/// dependency cycle or a dependency on an unknown resource.
Plan plan(const std::string& deployment, const std::vector<Resource>& desired,
          const std::vector<RecordedResource>& recorded);

/// Orders resources so that each comes after everything it depends on
/// (dependencies outside the set are ignored); ties by identity key.
std::vector<Resource> dependencyOrder(std::vector<Resource> resources);

}  // namespace fedihost::orchestrator
