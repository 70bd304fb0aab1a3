#pragma once
// One function per route and method; registered in routes.cc. Handlers are
// thin: parse input, call the store or the orchestrator, map to JSON. They
// throw AbortError for expected failures; dispatcher.cc maps them to HTTP.
#include <boost/json.hpp>

#include "api/router.hh"

namespace fedihost::api::handlers {

/// A JSON response.
Response json(int status, const boost::json::value& body);

// meta.cc
Response getHealth(RequestContext& ctx);
Response getOpenApi(RequestContext& ctx);
// session.cc
Response postLogin(RequestContext& ctx);
Response getMe(RequestContext& ctx);
// catalog.cc
Response getCatalog(RequestContext& ctx);
Response getCatalogApp(RequestContext& ctx);
// organisations.cc
Response postOrganisation(RequestContext& ctx);
Response listOrganisations(RequestContext& ctx);
Response getOrganisation(RequestContext& ctx);
// deployments.cc
Response postDeployment(RequestContext& ctx);
Response listDeployments(RequestContext& ctx);
Response getDeployment(RequestContext& ctx);
Response patchDeployment(RequestContext& ctx);
Response deleteDeployment(RequestContext& ctx);
Response getPlan(RequestContext& ctx);
Response postPlan(RequestContext& ctx);
Response getSavedPlan(RequestContext& ctx);
Response getDrift(RequestContext& ctx);
Response postRefresh(RequestContext& ctx);
Response postApply(RequestContext& ctx);
Response listDeploymentRuns(RequestContext& ctx);
Response getUpgrade(RequestContext& ctx);
Response postUpgrade(RequestContext& ctx);
// runs.cc
Response getRun(RequestContext& ctx);
Response getRunEvents(RequestContext& ctx);
Response postRunCancel(RequestContext& ctx);

Response listTargets(RequestContext& ctx);
Response getOrphans(RequestContext& ctx);

}  // namespace fedihost::api::handlers
