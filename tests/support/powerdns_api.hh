#pragma once
// Calls to a test site's PowerDNS HTTP API, as an operator would make them by hand.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

#include "net/http.hh"

namespace fedihost::testing {

/// `method` on /api/v1/servers/localhost`path` of the server that `settings`
/// (the powerdns provider's, from the site's provider.json) name; a failure to
/// reach it fails the test and gives an empty response.
inline net::HttpResponse powerDnsApi(const boost::json::object& settings, const std::string& method,
                                     const std::string& path, const std::string& body = {}) {
  net::HttpRequest req;
  req.method = method;
  req.url = std::string(settings.at("url").as_string()) + "/api/v1/servers/localhost" + path;
  req.headers = {{"X-API-Key", std::string(settings.at("apiKey").as_string())}, {"Content-Type", "application/json"}};
  req.body = body;
  auto resp = net::send(req);
  EXPECT_TRUE(resp.ok()) << resp.error().message;
  return resp.ok() ? *resp : net::HttpResponse{};
}

}  // namespace fedihost::testing
