// The IP pool routes through the dispatcher (authentication, problem+json
// mapping) against a real data directory: create with validation, list, get,
// allocations paged in address order, delete refused while in use, operators only.
// (Proposed as tests/unit/api/ip_pools_test.cc once routes.cc has the IP pool routes.)
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "aaa/auth.hh"
#include "store/account_store.hh"
#include "api/dispatcher.hh"
#include "api/handlers/ip_pools.hh"
#include "core/embedded.hh"
#include "orchestrator/orchestrator.hh"
#include "store/accounting_store.hh"
#include "store/ip_pool_store.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"

namespace fedihost::api {
namespace {

namespace json = boost::json;

class IpPoolsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.root = tmp_.path() / "var";
    orchestrator::prepareDataDir(dir_);
    stateConn_ = store::connect(dir_.stateUrl());
    accounts_ = std::make_unique<store::AccountStore>(*stateConn_);
    auto op = accounts_->createUser("operator@example.test", "not used", true).orThrow();
    orch_ = std::make_unique<orchestrator::Orchestrator>(dir_, 1);
    auth_ = std::make_unique<aaa::Authenticator>(aaa::AuthOptions{}, secrets::SecretBox::openOrCreate(dir_.secretKey()));
    dispatcher_ = std::make_unique<Dispatcher>(
        ApiServices{dir_.stateUrl(), dir_.accountingUrl(), *orch_, *auth_, {}, nullptr}, tmp_.path() / "no-panel");
    token_ = auth_->openSession(*accounts_, op, "127.0.0.1", "test").token;
  }

  Response call(const std::string& method, const std::string& path, const std::string& body = {},
                const std::string& token = {}, std::map<std::string, std::string> query = {}) {
    Request r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    r.body = body;
    r.headers["authorization"] = "Bearer " + (token.empty() ? token_ : token);
    if (!body.empty()) r.headers["content-type"] = "application/json";
    return dispatcher_->handle(r);
  }

  static json::value parsed(const Response& r) { return json::parse(r.body); }

  /// Creates a pool of the target "local" through the API; its JSON.
  json::object create(const json::object& body) {
    auto r = call("POST", "/api/v1/targets/local/ip-pools", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return parsed(r).as_object();
  }

  fedihost::testing::TempDir tmp_{"fedihost-ip-api"};
  orchestrator::DataDir dir_;
  std::unique_ptr<store::Connection> stateConn_;
  std::unique_ptr<store::AccountStore> accounts_;
  std::unique_ptr<aaa::Authenticator> auth_;
  std::unique_ptr<orchestrator::Orchestrator> orch_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::string token_;
};

TEST_F(IpPoolsApiTest, CreateGetAndList) {
  auto p = create({{"name", "public"},
                   {"prefix", "192.0.2.0/24"},
                   {"gateway", "192.0.2.1"},
                   {"reserved", json::array{json::object{{"first", "192.0.2.2"}, {"last", "192.0.2.9"}},
                                            json::object{{"first", "192.0.2.200"}}}}});
  EXPECT_EQ(p.at("family"), json::value("ipv4"));
  EXPECT_EQ(p.at("prefixLength"), json::value(24));
  EXPECT_EQ(p.at("gateway"), json::value("192.0.2.1"));
  EXPECT_EQ(p.at("allocated"), json::value(0));
  EXPECT_EQ(json::serialize(p.at("reserved")),
            R"([{"first":"192.0.2.2","last":"192.0.2.9"},{"first":"192.0.2.200","last":"192.0.2.200"}])");
  std::string id(p.at("id").as_string());
  auto v6 = create({{"name", "v6"}, {"prefix", "2001:DB8::/64"}, {"family", "ipv6"}});
  EXPECT_EQ(v6.at("prefix"), json::value("2001:db8::/64"));
  EXPECT_TRUE(v6.at("gateway").is_null());

  auto got = call("GET", "/api/v1/ip-pools/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(parsed(got).at("name"), json::value("public"));
  auto list = call("GET", "/api/v1/targets/local/ip-pools");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(parsed(list).at("items").as_array().size(), 2u);
  EXPECT_EQ(parsed(list).at("items").as_array()[1].at("name"), json::value("v6"));
  EXPECT_TRUE(parsed(list).at("next").is_null());
  EXPECT_EQ(call("GET", "/api/v1/targets/nowhere/ip-pools").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/targets/nowhere/ip-pools", R"({"name":"p","prefix":"192.0.2.0/24"})").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/ip-pools/ipp_nope").status, 404);
}

TEST_F(IpPoolsApiTest, BadInputIsAProblemNamingTheField) {
  auto problem = [&](const json::object& body, int status, const std::string& field) {
    auto r = call("POST", "/api/v1/targets/local/ip-pools", json::serialize(body));
    EXPECT_EQ(r.status, status) << json::serialize(body) << " " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    auto problemJson = parsed(r);
    auto* f = problemJson.as_object().if_contains("field");
    EXPECT_EQ(f ? std::string(f->as_string()) : "", field) << r.body;
  };
  problem({{"prefix", "192.0.2.0/24"}}, 400, "name");
  problem({{"name", "p"}, {"prefix", 24}}, 400, "prefix");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/33"}}, 422, "prefix");
  problem({{"name", "p"}, {"prefix", "192.0.2.7/24"}}, 422, "prefix");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"gateway", "10.0.0.1"}}, 422, "gateway");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"family", "ipv6"}}, 422, "family");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"family", "v4"}}, 422, "family");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"reserved", "all"}}, 400, "reserved");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"reserved", json::array{json::object{{"last", "192.0.2.3"}}}}},
          400, "reserved[0].first");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"reserved", json::array{json::object{{"first", "10.0.0.1"}}}}},
          422, "reserved[0].first");
  problem({{"name", "p"}, {"prefix", "192.0.2.0/24"}, {"colour", "red"}}, 422, "colour");
  problem({{"name", "Public Pool"}, {"prefix", "192.0.2.0/24"}}, 422, "name");
  create({{"name", "p"}, {"prefix", "192.0.2.0/24"}});
  problem({{"name", "p"}, {"prefix", "198.51.100.0/24"}}, 409, "name");
  problem({{"name", "q"}, {"prefix", "192.0.2.0/25"}}, 409, "prefix");
}

TEST_F(IpPoolsApiTest, AllocationsArePagedAndDeleteWaitsForThem) {
  auto p = create({{"name", "public"}, {"prefix", "192.0.2.0/24"}, {"gateway", "192.0.2.1"}});
  std::string id(p.at("id").as_string());
  store::IpPoolStore pools(*stateConn_);
  for (int i = 0; i < 5; ++i)
    pools.allocate({"local", 4, "dep_x/ip-address/n" + std::to_string(i), "dep_x", "", false}).orThrow();

  std::vector<std::string> addresses;
  std::string cursor;
  int pages = 0;
  do {
    std::map<std::string, std::string> q{{"limit", "2"}};
    if (!cursor.empty()) q["cursor"] = cursor;
    auto r = call("GET", "/api/v1/ip-pools/" + id + "/allocations", {}, {}, q);
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = parsed(r).as_object();
    for (auto& a : page.at("items").as_array()) addresses.emplace_back(a.at("address").as_string());
    cursor = page.at("next").is_null() ? "" : std::string(page.at("next").as_string());
  } while (!cursor.empty() && ++pages < 10);
  EXPECT_EQ(addresses,
            (std::vector<std::string>{"192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"}));
  EXPECT_EQ(call("GET", "/api/v1/ip-pools/ipp_nope/allocations").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/ip-pools/" + id + "/allocations", {}, {}, {{"limit", "0"}}).status, 422);
  EXPECT_EQ(parsed(call("GET", "/api/v1/ip-pools/" + id)).at("allocated"), json::value(5));

  auto busy = call("DELETE", "/api/v1/ip-pools/" + id);
  EXPECT_EQ(busy.status, 409) << busy.body;
  for (int i = 0; i < 5; ++i) pools.release("dep_x/ip-address/n" + std::to_string(i));
  auto gone = call("DELETE", "/api/v1/ip-pools/" + id);
  EXPECT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(parsed(gone).at("id"), json::value(id));
  EXPECT_EQ(call("GET", "/api/v1/ip-pools/" + id).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/ip-pools/" + id).status, 404);
}

TEST_F(IpPoolsApiTest, OnlyOperatorsManagePools) {
  auto member = accounts_->createUser("member@example.test", "x", false).orThrow();
  const std::string memberToken = auth_->openSession(*accounts_, member, "127.0.0.1", "test").token;
  EXPECT_EQ(call("GET", "/api/v1/targets/local/ip-pools", {}, memberToken).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/targets/local/ip-pools", R"({"name":"p","prefix":"192.0.2.0/24"})", memberToken).status,
            403);
  EXPECT_TRUE(store::IpPoolStore(*stateConn_).listPools("local").empty());
  EXPECT_EQ(call("GET", "/api/v1/targets/local/ip-pools", {}, "fh_wrong").status, 401);
}

TEST(IpPoolsOpenApi, SchemasDescribeWhatTheMappingWrites) {
  auto text = embedded::find("api/openapi.json");
  ASSERT_TRUE(text.has_value());
  auto doc = json::parse(*text);
  auto check = [&](const std::string& name, const json::object& written) {
    const auto& schema = doc.at("components").at("schemas").at(name).as_object();
    std::set<std::string> described, required, got;
    for (auto& kv : schema.at("properties").as_object()) described.insert(std::string(kv.key()));
    for (auto& r : schema.at("required").as_array()) required.insert(std::string(r.as_string()));
    for (auto& kv : written) got.insert(std::string(kv.key()));
    EXPECT_EQ(got, described) << name;
    EXPECT_EQ(required, described) << name << ": every member is always written";
  };
  store::IpPool pool{"ipp_x", "local", "public", 4, "192.0.2.0/24", 24, "", {{"192.0.2.2", "192.0.2.9"}}, 0, "2026-11-25T13:00:00Z"};
  check("IpPool", mapping::toJson(pool));
  pool.gateway = "192.0.2.1";
  check("IpPool", mapping::toJson(pool));
  check("IpAllocation", mapping::toJson(store::IpAllocation{"ipp_x", "192.0.2.10", "dep_x/ip-address/main", "dep_x",
                                                             "2026-11-25T13:00:00Z"}));
}

}  // namespace
}  // namespace fedihost::api
