#pragma once
#include <string>

#include "api/router.hh"

namespace fedihost::api::handlers {

/// Throws Invalid (field "domain") unless the caller may use `domain` for a deployment of
/// the organisation: operators may use any; customers a sub-domain of a parent domain the
/// provider offers, or a domain (or a name inside one) their organisation has verified.
void checkDomainAllowed(RequestContext& ctx, const std::string& organisation, const std::string& domain);

}  // namespace fedihost::api::handlers
