#pragma once
// Expansion of a deployment into the resources it needs.
#include <vector>

#include "core/domain.hh"

namespace fedihost::orchestrator {

/// Every resource a deployment needs, each with a stable identity key and its
/// dependencies; the same deployment always gives the same resources.
std::vector<Resource> expand(const Deployment& d);

}  // namespace fedihost::orchestrator
