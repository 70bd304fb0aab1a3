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
/// Actions come in an order that never removes something still in use: creates,
/// updates and replaces after what they depend on; deletes after their
/// dependents are gone and after the resources that used them are updated;
/// a replace (which removes the old one) after the deletes of what depended on
/// it. Otherwise desired actions come first and deletes last. Throws AbortError(Invalid) on a
/// dependency cycle or a dependency on an unknown resource.
///
/// `drift` is what the last refresh found at the providers: a desired resource
/// missing at its provider is created again ("missing at provider"), one changed
/// there is updated back ("changed at provider: …"), as if it were not recorded
/// or recorded differently.
Plan plan(const std::string& deployment, const std::vector<Resource>& desired,
          const std::vector<RecordedResource>& recorded, const std::vector<Drift>& drift = {});

/// Orders resources so that each comes after everything it depends on
/// (dependencies outside the set are ignored); ties by identity key.
std::vector<Resource> dependencyOrder(std::vector<Resource> resources);

}  // namespace fedihost::orchestrator
