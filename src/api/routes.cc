// Every route of the API, in one place (and in openapi.json, which a test checks).
#include "api/handlers/handlers.hh"
#include "api/handlers/ip_pools.hh"
#include "api/router.hh"

namespace fedihost::api {

Router makeRouter() {
  using namespace handlers;
  Router r;
  r.add({"GET", "/api/v1/health", getHealth, false, "liveness and version"});
  r.add({"GET", "/api/v1/openapi.json", getOpenApi, false, "this API's OpenAPI document"});
  r.add({"POST", "/api/v1/auth/login", postLogin, false, "log in, get an API token"});
  r.add({"GET", "/api/v1/auth/me", getMe, true, "who the token belongs to"});
  r.add({"GET", "/api/v1/catalog", getCatalog, true, "the apps that can be deployed"});
  r.add({"GET", "/api/v1/catalog/{app}", getCatalogApp, true, "one app"});
  r.add({"POST", "/api/v1/organisations", postOrganisation, true, "create an organisation"});
  r.add({"GET", "/api/v1/organisations", listOrganisations, true, "list organisations"});
  r.add({"GET", "/api/v1/organisations/{id}", getOrganisation, true, "one organisation"});
  r.add({"POST", "/api/v1/organisations/{id}/deployments", postDeployment, true, "create a deployment"});
  r.add({"GET", "/api/v1/deployments", listDeployments, true, "list deployments"});
  r.add({"GET", "/api/v1/deployments/{id}", getDeployment, true, "one deployment"});
  r.add({"PATCH", "/api/v1/deployments/{id}", patchDeployment, true, "change a deployment"});
  r.add({"DELETE", "/api/v1/deployments/{id}", deleteDeployment, true, "delete a deployment"});
  r.add({"GET", "/api/v1/deployments/{id}/plan", getPlan, true, "what applying would change, with reasons"});
  r.add({"POST", "/api/v1/deployments/{id}/plan", postPlan, true, "what applying would change; {\"save\": true} keeps it"});
  r.add({"GET", "/api/v1/deployments/{id}/plans/{plan}", getSavedPlan, true, "a saved plan"});
  r.add({"GET", "/api/v1/deployments/{id}/drift", getDrift, true, "what the last refresh found"});
  r.add({"POST", "/api/v1/deployments/{id}/refresh", postRefresh, true, "read every resource back now"});
  r.add({"POST", "/api/v1/deployments/{id}/apply", postApply, true, "apply the deployment"});
  r.add({"GET", "/api/v1/deployments/{id}/upgrade", getUpgrade, true, "what upgrading to the current catalog changes"});
  r.add({"POST", "/api/v1/deployments/{id}/upgrade", postUpgrade, true, "upgrade to the current catalog"});
  r.add({"GET", "/api/v1/deployments/{id}/runs", listDeploymentRuns, true, "runs of a deployment"});
  r.add({"GET", "/api/v1/runs/{id}", getRun, true, "one run with its steps"});
  r.add({"GET", "/api/v1/runs/{id}/events", getRunEvents, true, "a run's progress as server-sent events"});
  r.add({"POST", "/api/v1/runs/{id}/cancel", postRunCancel, true, "stop a run"});
  r.add({"GET", "/api/v1/targets", listTargets, true, "where deployments can live, and their providers"});
  r.add({"GET", "/api/v1/orphans", getOrphans, true, "resources at providers that nothing records"});
  r.add({"GET", "/api/v1/targets/{target}/ip-pools", listIpPools, true, "a target's IP pools"});
  r.add({"POST", "/api/v1/targets/{target}/ip-pools", postIpPool, true, "create an IP pool"});
  r.add({"GET", "/api/v1/ip-pools/{id}", getIpPool, true, "one IP pool"});
  r.add({"DELETE", "/api/v1/ip-pools/{id}", deleteIpPool, true, "delete an empty IP pool"});
  r.add({"GET", "/api/v1/ip-pools/{id}/allocations", listIpPoolAllocations, true, "addresses allocated from an IP pool"});
  return r;
}

}  // namespace fedihost::api
