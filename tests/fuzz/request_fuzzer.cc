// libFuzzer target: the server's reading of a request (api::parseRequest: Beast's
// parser with our limits and framing rules), routing, and the JSON and header
// input handlers read. Input that is not an HTTP request is read as a JSON body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/input.hh"
#include "api/problem.hh"
#include "api/router.hh"
#include "api/server.hh"

namespace {

using namespace fedihost;
using namespace fedihost::api;

/// Representative routes (routes.cc would bring in every handler, the store and the orchestrator).
const Router& router() {
  static const Router routes = [] {
    Router r;
    Handler none = [](RequestContext&) { return Response{}; };
    for (auto [method, pattern] : {std::pair{"GET", "/api/v1/health"},
                                   {"POST", "/api/v1/auth/login"},
                                   {"POST", "/api/v1/organisations/{id}/deployments"},
                                   {"GET", "/api/v1/deployments/{id}"},
                                   {"PATCH", "/api/v1/deployments/{id}"},
                                   {"GET", "/api/v1/deployments/{id}/plans/{plan}"},
                                   {"POST", "/api/v1/targets/{target}/ip-pools"}})
      r.add({method, pattern, none, true, ""});
    return r;
  }();
  return routes;
}

/// What handlers read from a request, as they read it.
void readInput(const Request& req) {
  if (auto body = input::jsonObject(req, {"name", "domain", "apps", "target"}); body.ok()) {
    if (auto name = input::requiredString(*body, "name"); name.ok()) (void)input::checkDeploymentName(*name, "name");
    if (auto domain = input::requiredString(*body, "domain"); domain.ok()) {
      if (input::checkDomain(*domain, "domain").ok()) (void)input::apps(body->if_contains("apps"), *domain);
    }
    (void)input::optionalString(*body, "target");
  } else {
    (void)problem(body.error());
  }
  (void)input::optionalJsonObject(req, {"save"});
  (void)input::paging(req);
  (void)input::ifMatchVersion(req);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ServerOptions options;
  options.headerLimit = 4096;
  options.bodyLimit = 64 * 1024;
  auto req = parseRequest(bytes, options);
  if (!req) {
    (void)problem(req.error());
    Request json;
    json.headers["content-type"] = "application/json";
    json.body = bytes;
    readInput(json);
    return 0;
  }
  bool methodMismatch = false;
  (void)router().match(req->method, req->path, methodMismatch);
  readInput(*req);
  return 0;
}
