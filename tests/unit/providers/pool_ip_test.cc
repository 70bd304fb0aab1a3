// The "pool" IP provider: addresses from the target's pools in the state
// database, idempotent by identity key, released on remove, listed per
// deployment, moved between pools on update, never handed out twice.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "providers/pool/pool.hh"
#include "store/ip_pool_store.hh"
#include "store/migrations.hh"
#include "support/temp_dir.hh"
#include "test_support.hh"

namespace fedihost::providers::testing {
namespace {

class PoolIpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = store::connect(url());
    store::migrate(*conn_, store::DatabaseKind::State);
    pools_ = std::make_unique<store::IpPoolStore>(*conn_);
  }

  std::string url() const { return "sqlite:" + (dir_ / "state.db").string(); }

  ProviderConfig config(const std::string& target = "dc1", json::object settings = {}) const {
    return {"pool", {}, std::move(settings), target, url()};
  }

  store::IpPool pool(const std::string& name, const std::string& prefix, const std::string& gateway = {},
                     const std::string& target = "dc1") {
    return pools_->createPool({target, name, prefix, gateway, {}, 0}).orThrow();
  }

  static Resource ip(const std::string& dep, const std::string& name = "main", json::object attrs = {{"family", "ipv4"}}) {
    return makeResource(dep, ResourceKind::IpAddress, name, std::move(attrs));
  }

  static std::string address(const Result<Observed>& o) {
    EXPECT_TRUE(o.ok()) << (o.ok() ? "" : o.error().field + ": " + o.error().message);
    if (!o.ok()) return {};
    return std::string(o->outputs.at("address").as_string());
  }

  fedihost::testing::TempDir dir_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::IpPoolStore> pools_;
};

TEST_F(PoolIpTest, TheFactoryNeedsTheStateDatabaseAndTheTarget) {
  ProviderConfig noUrl = config();
  noUrl.stateUrl.clear();
  try {
    pool::makeIpProvider(noUrl);
    FAIL() << "a provider without a state database was made";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().kind, ErrorKind::Invalid);
    EXPECT_EQ(e.error().field, "stateUrl");
  }
  try {
    pool::makeIpProvider(config(""));
    FAIL() << "a provider without a target was made";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "target");
  }
  try {
    pool::makeIpProvider(config("dc1", {{"pool", 3}}));
    FAIL() << "a numeric pool setting was accepted";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.pool");
  }
  auto p = pool::makeIpProvider(config());
  EXPECT_EQ(p->implementation(), "pool");
  EXPECT_EQ(p->kind(), ResourceKind::IpAddress);
}

TEST_F(PoolIpTest, CreateAllocatesAndGivesAddressPrefixLengthAndGateway) {
  pool("public", "192.0.2.0/24", "192.0.2.1");
  pool("v6", "2001:db8::/64", "2001:db8::1");
  auto p = pool::makeIpProvider(config());
  auto a = p->create(resolved(ip("dep_a")));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->outputs, (json::object{{"address", "192.0.2.2"}, {"prefixLength", 24}, {"gateway", "192.0.2.1"}}));
  EXPECT_EQ(a->attributes, (json::object{{"family", "ipv4"}, {"pool", "public"}}));
  EXPECT_EQ(address(p->create(resolved(ip("dep_a")))), "192.0.2.2") << "a second create allocates nothing";
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.3");
  EXPECT_EQ(address(p->create(resolved(ip("dep_a", "main", {})))), "192.0.2.2") << "ipv4 is the default family";
  auto v6 = p->create(resolved(ip("dep_a", "six", {{"family", "ipv6"}})));
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->outputs, (json::object{{"address", "2001:db8::2"}, {"prefixLength", 64}, {"gateway", "2001:db8::1"}}));

  // What the store holds is what read() gives back, from another instance too.
  auto q = pool::makeIpProvider(config());
  auto back = q->read(resolved(ip("dep_b")));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->outputs.at("address"), json::value("192.0.2.3"));
  EXPECT_EQ(pools_->assignment(resourceKey("dep_b", ResourceKind::IpAddress, "main"))->allocation.deployment, "dep_b");
}

TEST_F(PoolIpTest, APoolWithoutGatewayGivesNone) {
  pool("bare", "10.0.0.0/29");
  auto a = pool::makeIpProvider(config())->create(resolved(ip("dep_a")));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->outputs, (json::object{{"address", "10.0.0.1"}, {"prefixLength", 29}}));
}

TEST_F(PoolIpTest, ReadOfAnAbsentAllocationIsNotFound) {
  pool("public", "192.0.2.0/24", "192.0.2.1");
  pool("public", "198.51.100.0/24", "198.51.100.1", "dc2");
  auto p = pool::makeIpProvider(config());
  EXPECT_EQ(p->read(resolved(ip("dep_a"))).error().kind, ErrorKind::NotFound);
  // An address in another target's pool is not this provider's.
  auto other = pool::makeIpProvider(config("dc2"));
  EXPECT_EQ(address(other->create(resolved(ip("dep_a")))), "198.51.100.2");
  EXPECT_EQ(p->read(resolved(ip("dep_a"))).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(p->update(resolved(ip("dep_a"))).error().kind, ErrorKind::NotFound);
}

TEST_F(PoolIpTest, RemoveReleasesAndListShowsTheDeploymentsKeys) {
  pool("public", "192.0.2.0/24", "192.0.2.1");
  pool("public", "198.51.100.0/24", "", "dc2");
  auto p = pool::makeIpProvider(config());
  EXPECT_EQ(address(p->create(resolved(ip("dep_a")))), "192.0.2.2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_a", "spare")))), "192.0.2.3");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.4");
  EXPECT_EQ(address(pool::makeIpProvider(config("dc2"))->create(resolved(ip("dep_a", "elsewhere")))),
            "198.51.100.1");

  auto keys = p->list("dep_a");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"dep_a/ip-address/main", "dep_a/ip-address/spare"}))
      << "keys of this target's pools only";
  EXPECT_TRUE(p->list("dep_none")->empty());

  ASSERT_TRUE(p->remove(resolved(ip("dep_a"))).ok());
  ASSERT_TRUE(p->remove(resolved(ip("dep_a"))).ok()) << "removing an absent address succeeds";
  EXPECT_EQ(p->read(resolved(ip("dep_a"))).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(*p->list("dep_a"), (std::vector<std::string>{"dep_a/ip-address/spare"}));
  EXPECT_EQ(address(p->create(resolved(ip("dep_c")))), "192.0.2.2") << "the released address is reused";
}

TEST_F(PoolIpTest, PoolsAreChosenByAttributeOrSetting) {
  pool("public", "192.0.2.0/24", "192.0.2.1");
  pool("internal", "10.0.0.0/24", "10.0.0.1");
  auto p = pool::makeIpProvider(config());
  EXPECT_EQ(address(p->create(resolved(ip("dep_a", "main", {{"family", "ipv4"}, {"pool", "internal"}})))),
            "10.0.0.2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.2") << "without a pool, the oldest first";
  auto byDefault = pool::makeIpProvider(config("dc1", {{"pool", "internal"}}));
  EXPECT_EQ(address(byDefault->create(resolved(ip("dep_c")))), "10.0.0.3");

  // Update to another pool moves the address, and frees the old one.
  auto moved = p->update(resolved(ip("dep_b", "main", {{"family", "ipv4"}, {"pool", "internal"}})));
  EXPECT_EQ(address(moved), "10.0.0.4");
  EXPECT_EQ(moved->attributes.at("pool"), json::value("internal"));
  EXPECT_EQ(address(p->create(resolved(ip("dep_d")))), "192.0.2.2");
  // An update that still fits keeps the address.
  EXPECT_EQ(address(p->update(resolved(ip("dep_d")))), "192.0.2.2");
}

TEST_F(PoolIpTest, BadAttributesAndMissingPoolsNameTheAttribute) {
  auto p = pool::makeIpProvider(config());
  auto none = p->create(resolved(ip("dep_a")));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(none.error().field, "attributes.family");
  EXPECT_NE(none.error().message.find("dc1"), std::string::npos) << none.error().message;

  pool("public", "192.0.2.0/30");
  EXPECT_EQ(p->create(resolved(ip("dep_a", "main", {{"family", "ipx"}}))).error().field, "attributes.family");
  EXPECT_EQ(p->create(resolved(ip("dep_a", "main", {{"family", 4}}))).error().field, "attributes.family");
  EXPECT_EQ(p->create(resolved(ip("dep_a", "main", {{"pool", 1}}))).error().field, "attributes.pool");
  EXPECT_EQ(p->create(resolved(ip("dep_a", "main", {{"pool", "nope"}}))).error().field, "attributes.pool");

  EXPECT_EQ(address(p->create(resolved(ip("dep_a")))), "192.0.2.1");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.2");
  auto full = p->create(resolved(ip("dep_c")));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::Conflict);
  EXPECT_NE(full.error().message.find("exhausted"), std::string::npos) << full.error().message;
}

TEST_F(PoolIpTest, AnUnreachableDatabaseIsUnavailable) {
  ProviderConfig c = config();
  c.stateUrl = "sqlite:" + (dir_ / "no-such-dir" / "state.db").string();
  auto p = pool::makeIpProvider(c);
  auto r = p->create(resolved(ip("dep_a")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(p->list("dep_a").error().kind, ErrorKind::Unavailable);
}

TEST_F(PoolIpTest, ThreadsSharingOneProviderNeverGetTheSameAddress) {
  pool("public", "10.0.0.0/24", "10.0.0.1");
  auto shared = pool::makeIpProvider(config());
  auto second = pool::makeIpProvider(config());
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto& p = t % 2 ? *second : *shared;
      for (int i = 0; i < kEach; ++i) {
        auto o = p.create(resolved(ip("dep_" + std::to_string(t), "n" + std::to_string(i))));
        got[t].push_back(o.ok() ? std::string(o->outputs.at("address").as_string()) : "error: " + o.error().message);
      }
    });
  for (auto& th : threads) th.join();
  std::set<std::string> distinct;
  for (auto& g : got) distinct.insert(g.begin(), g.end());
  for (auto& a : distinct) EXPECT_FALSE(a.starts_with("error")) << a;
  EXPECT_EQ(distinct.size(), 100u) << "an address was handed out twice";
  EXPECT_EQ(shared->list("dep_3")->size(), 25u);
}

}  // namespace
}  // namespace fedihost::providers::testing
