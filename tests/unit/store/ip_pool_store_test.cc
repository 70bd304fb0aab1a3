// IP pools in the state database: validation of pools, allocation order
// (network, broadcast, gateway and reserved ranges skipped), idempotence by
// identity key, release and reuse, exhaustion, and concurrent allocation from
// several connections to one SQLite file.
#include "store/ip_pool_store.hh"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "store/migrations.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::store {
namespace {

class IpPoolStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect(url());
    migrate(*conn_, DatabaseKind::State);
    pools_ = std::make_unique<IpPoolStore>(*conn_);
  }

  std::string url() const { return db_.url(); }

  IpPool pool(const std::string& name, const std::string& prefix, const std::string& gateway = {},
              std::vector<IpRange> reserved = {}, const std::string& target = "dc1") {
    auto p = pools_->createPool({target, name, prefix, gateway, std::move(reserved), 0});
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().field + ": " + p.error().message);
    return p.ok() ? *p : IpPool{};
  }

  /// The address allocated for `key` (deployment "dep_<key>"), or "" with a test failure.
  std::string allocate(const std::string& key, int family = 4, const std::string& poolName = {},
                       const std::string& target = "dc1") {
    auto a = pools_->allocate({target, family, key, "dep_" + key, poolName, false});
    EXPECT_TRUE(a.ok()) << key << ": " << (a.ok() ? "" : a.error().message);
    return a.ok() ? a->allocation.address : "";
  }

  /// The error of a createPool expected to fail.
  Error refused(IpPoolSpec spec) {
    if (spec.target.empty()) spec.target = "dc1";
    if (spec.name.empty()) spec.name = "bad";
    auto p = pools_->createPool(spec);
    EXPECT_FALSE(p.ok()) << spec.prefix << " was accepted";
    return p.ok() ? Error{} : p.error();
  }

  fedihost::testing::TempDir dir_;
  fedihost::testing::TestDatabase db_{dir_.path(), "state.db"};
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<IpPoolStore> pools_;
};

TEST_F(IpPoolStoreTest, BadPrefixesAreRefusedNamingTheField) {
  for (std::string prefix :
       {"192.0.2.0", "192.0.2.300/24", "192.0.2.0/33", "192.0.2.0/31", "192.0.2.0/7", "192.0.2.0/abc", "192.0.2.0/",
        "192.0.2.0/+24", "192.0.2.0/24x", "", "/24", "2001:db8::/129", "2001:db8::/128", "2001:db8::/16",
        "2001:zz::/64", "2001:db8::%eth0/64", "0x7f.0.0.0/8"}) {
    auto e = refused({"", "", prefix, "", {}, 0});
    EXPECT_EQ(e.kind, ErrorKind::Invalid) << prefix;
    EXPECT_EQ(e.field, "prefix") << prefix;
  }
  auto hostBits = refused({"", "", "192.0.2.5/24", "", {}, 0});
  EXPECT_EQ(hostBits.field, "prefix");
  EXPECT_NE(hostBits.message.find("192.0.2.0/24"), std::string::npos) << hostBits.message;
  auto hostBits6 = refused({"", "", "2001:db8::1/64", "", {}, 0});
  EXPECT_NE(hostBits6.message.find("2001:db8::/64"), std::string::npos) << hostBits6.message;
  auto bounds = refused({"", "", "10.0.0.0/31", "", {}, 0});
  EXPECT_NE(bounds.message.find("between 8 and 30"), std::string::npos) << bounds.message;

  EXPECT_EQ(refused({"", "", "192.0.2.0/24", "", {}, 6}).field, "family");
  EXPECT_EQ(refused({"", "", "2001:db8::/64", "", {}, 4}).field, "family");
  EXPECT_EQ(refused({"", "", "192.0.2.0/24", "", {}, 5}).field, "family");
  EXPECT_EQ(refused({"", "Bad Name", "192.0.2.0/24", "", {}, 0}).field, "name");
  EXPECT_EQ(refused({"", "-a", "192.0.2.0/24", "", {}, 0}).field, "name");
  EXPECT_EQ(refused({"dc\n1", "", "192.0.2.0/24", "", {}, 0}).field, "target");
  EXPECT_EQ(pools_->createPool({"", "p", "192.0.2.0/24", "", {}, 0}).error().field, "target");
  EXPECT_TRUE(pools_->listPools("dc1").empty()) << "a refused pool is not stored";
}

TEST_F(IpPoolStoreTest, GatewayAndReservedRangesMustLieInsideThePrefix) {
  auto gw = [&](const std::string& prefix, const std::string& gateway) {
    return refused({"", "", prefix, gateway, {}, 0});
  };
  for (auto& [prefix, gateway] : std::vector<std::pair<std::string, std::string>>{
           {"192.0.2.0/24", "192.0.3.1"},      // outside
           {"192.0.2.0/24", "192.0.2.0"},      // network address
           {"192.0.2.0/24", "192.0.2.255"},    // broadcast address
           {"192.0.2.0/24", "2001:db8::1"},    // other family
           {"192.0.2.0/24", "gateway"},        // not an address
           {"2001:db8::/64", "2001:db9::1"},   // outside
           {"2001:db8::/64", "2001:db8::"},    // network address
           {"2001:db8::/64", "fe80::1"}}) {    // link-local: outside
    auto e = gw(prefix, gateway);
    EXPECT_EQ(e.kind, ErrorKind::Invalid) << prefix << " " << gateway;
    EXPECT_EQ(e.field, "gateway") << prefix << " " << gateway;
  }
  auto range = [&](std::vector<IpRange> reserved) {
    return refused({"", "", "192.0.2.0/24", "192.0.2.1", std::move(reserved), 0});
  };
  EXPECT_EQ(range({{"192.0.2.10", "192.0.2.20"}, {"192.0.2.30", "192.0.3.1"}}).field, "reserved[1].last");
  EXPECT_EQ(range({{"192.0.1.255", "192.0.2.20"}}).field, "reserved[0].first");
  EXPECT_EQ(range({{"192.0.2.x", "192.0.2.20"}}).field, "reserved[0].first");
  EXPECT_EQ(range({{"192.0.2.20", "192.0.2.10"}}).field, "reserved[0]");
  EXPECT_TRUE(pools_->listPools("dc1").empty());

  // Accepted values are stored in canonical form.
  auto p = pool("v6", "2001:DB8:0:0::/64", "2001:DB8::1", {{"2001:db8:0::10", "2001:db8::00ff"}});
  EXPECT_EQ(p.prefix, "2001:db8::/64");
  EXPECT_EQ(p.prefixLength, 64);
  EXPECT_EQ(p.family, 6);
  EXPECT_EQ(p.gateway, "2001:db8::1");
  ASSERT_EQ(p.reserved.size(), 1u);
  EXPECT_EQ(p.reserved[0].first, "2001:db8::10");
  EXPECT_EQ(p.reserved[0].last, "2001:db8::ff");
  EXPECT_TRUE(p.id.starts_with("ipp_")) << p.id;
  auto again = pools_->getPool(p.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->prefix, p.prefix);
  EXPECT_EQ(again->gateway, p.gateway);
  ASSERT_EQ(again->reserved.size(), 1u);
  EXPECT_EQ(again->reserved[0].last, "2001:db8::ff");
  EXPECT_EQ(again->createdAt, p.createdAt);
}

TEST_F(IpPoolStoreTest, NamesAreUniquePerTargetAndPrefixesOfATargetDoNotOverlap) {
  pool("public", "192.0.2.0/24");
  auto dup = pools_->createPool({"dc1", "public", "198.51.100.0/24", "", {}, 0});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(dup.error().field, "name");
  for (std::string prefix : {"192.0.2.128/25", "192.0.0.0/16", "192.0.2.0/24"}) {
    auto overlap = pools_->createPool({"dc1", "other", prefix, "", {}, 0});
    ASSERT_FALSE(overlap.ok()) << prefix;
    EXPECT_EQ(overlap.error().kind, ErrorKind::Conflict) << prefix;
    EXPECT_EQ(overlap.error().field, "prefix") << prefix;
  }
  pool("public", "192.0.2.0/24", "", {}, "dc2");  // another target is another network
  pool("next", "192.0.3.0/24");
  pool("v6", "2001:db8::/64");
  auto list = pools_->listPools("dc1");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "public");
  EXPECT_EQ(list[1].name, "next");
  EXPECT_EQ(list[2].name, "v6");
  EXPECT_EQ(pools_->listPools("dc2").size(), 1u);
  EXPECT_TRUE(pools_->listPools("dc3").empty());
}

TEST_F(IpPoolStoreTest, Ipv4AllocationSkipsNetworkGatewayReservedAndBroadcast) {
  // 192.0.2.0/28: .0 network, .15 broadcast, .1 gateway, .3–.5 and .8 reserved.
  auto p = pool("small", "192.0.2.0/28", "192.0.2.1", {{"192.0.2.3", "192.0.2.5"}, {"192.0.2.8", "192.0.2.8"}});
  std::vector<std::string> got;
  for (int i = 0; i < 9; ++i) got.push_back(allocate("k" + std::to_string(i)));
  EXPECT_EQ(got, (std::vector<std::string>{"192.0.2.2", "192.0.2.6", "192.0.2.7", "192.0.2.9", "192.0.2.10",
                                           "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"}));
  auto full = pools_->allocate({"dc1", 4, "k9", "dep_k9", "", false});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::Conflict);
  EXPECT_NE(full.error().message.find("exhausted"), std::string::npos) << full.error().message;
  EXPECT_EQ(pools_->getPool(p.id)->allocated, 9);
  EXPECT_EQ(pools_->assignment("k9").error().kind, ErrorKind::NotFound) << "a failed allocation leaves nothing";
}

TEST_F(IpPoolStoreTest, CorruptRowsAreErrorsNotDefaults) {
  auto p = pool("small", "192.0.2.0/28");
  ASSERT_TRUE(pools_->getPool(p.id).ok());
  // As a damaged or hand-edited database.
  if (conn_->dialect() == "sqlite")
    conn_->execScript("PRAGMA ignore_check_constraints = 1");
  else
    conn_->execScript("ALTER TABLE ip_pools DROP CONSTRAINT ip_pools_family_check");
  conn_->execute("UPDATE ip_pools SET family = 5");
  EXPECT_THROW((void)pools_->getPool(p.id), DatabaseError) << "an unknown family is not IPv6";
  conn_->execute("UPDATE ip_pools SET family = 4, prefix = '192.0.2.0/x28'");
  EXPECT_THROW((void)pools_->getPool(p.id), DatabaseError) << "an unparsable length is not 0";
  conn_->execute("UPDATE ip_pools SET prefix = '192.0.2.0/28'");
  EXPECT_EQ(pools_->getPool(p.id)->prefixLength, 28);
}

TEST_F(IpPoolStoreTest, GatewayAnywhereInThePoolIsSkipped) {
  pool("p", "10.1.0.0/29", "10.1.0.6");  // usable .1–.6, gateway .6
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(allocate("k" + std::to_string(i)));
  EXPECT_EQ(got, (std::vector<std::string>{"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"}));
  EXPECT_FALSE(pools_->allocate({"dc1", 4, "k5", "dep_k5", "", false}).ok());
}

TEST_F(IpPoolStoreTest, Ipv6AllocationSkipsNetworkGatewayAndReserved) {
  pool("v6", "2001:db8::/64", "2001:db8::1", {{"2001:db8::2", "2001:db8::ff"}});
  EXPECT_EQ(allocate("a", 6), "2001:db8::100");
  EXPECT_EQ(allocate("b", 6), "2001:db8::101");

  // A reserved range of 2^48 addresses is jumped over, not walked.
  pool("wide", "2001:db8:1::/64", "", {{"2001:db8:1::", "2001:db8:1::ffff:ffff:ffff"}}, "dc2");
  EXPECT_EQ(allocate("c", 6, "", "dc2"), "2001:db8:1:0:1::");
  EXPECT_EQ(allocate("d", 6, "", "dc2"), "2001:db8:1:0:1::1");

  // IPv6 has no broadcast address: a /126 gives ::1, ::2 and ::3 (minus the gateway).
  pool("tiny", "2001:db8:2::/126", "2001:db8:2::1", {}, "dc3");
  EXPECT_EQ(allocate("e", 6, "", "dc3"), "2001:db8:2::2");
  EXPECT_EQ(allocate("f", 6, "", "dc3"), "2001:db8:2::3");
  auto full = pools_->allocate({"dc3", 6, "g", "dep_g", "", false});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::Conflict);
  EXPECT_NE(full.error().message.find("exhausted"), std::string::npos) << full.error().message;
}

TEST_F(IpPoolStoreTest, AllocationIsIdempotentByIdentityKey) {
  auto v4 = pool("v4", "192.0.2.0/24", "192.0.2.1");
  auto v6 = pool("v6", "2001:db8::/64", "2001:db8::1");
  EXPECT_EQ(allocate("dep_a/ip-address/main"), "192.0.2.2");
  EXPECT_EQ(allocate("dep_a/ip-address/main"), "192.0.2.2");
  EXPECT_EQ(allocate("dep_b/ip-address/main"), "192.0.2.3");
  EXPECT_EQ(allocate("dep_a/ip-address/main", 4, "v4"), "192.0.2.2") << "naming the pool it is in changes nothing";
  EXPECT_EQ(pools_->getPool(v4.id)->allocated, 2);

  auto assignment = pools_->assignment("dep_a/ip-address/main");
  ASSERT_TRUE(assignment.ok());
  EXPECT_EQ(assignment->allocation.address, "192.0.2.2");
  EXPECT_EQ(assignment->allocation.deployment, "dep_dep_a/ip-address/main");
  EXPECT_EQ(assignment->pool.id, v4.id);
  EXPECT_EQ(assignment->pool.gateway, "192.0.2.1");
  EXPECT_EQ(assignment->pool.prefixLength, 24);

  // The same key asking for another family: refused, unless moving is allowed.
  auto other = pools_->allocate({"dc1", 6, "dep_a/ip-address/main", "dep_a", "", false});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(other.error().field, "identityKey");
  auto moved = pools_->allocate({"dc1", 6, "dep_a/ip-address/main", "dep_a", "", true});
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->allocation.address, "2001:db8::2");
  EXPECT_EQ(pools_->getPool(v4.id)->allocated, 1);
  EXPECT_EQ(pools_->getPool(v6.id)->allocated, 1);
  EXPECT_EQ(allocate("dep_c/ip-address/main"), "192.0.2.2") << "the moved-from address is free again";
}

TEST_F(IpPoolStoreTest, ReleasedAddressesAreReusedLowestFirst) {
  pool("v4", "192.0.2.0/24", "192.0.2.1");
  EXPECT_EQ(allocate("a"), "192.0.2.2");
  EXPECT_EQ(allocate("b"), "192.0.2.3");
  EXPECT_EQ(allocate("c"), "192.0.2.4");
  EXPECT_TRUE(pools_->release("b"));
  EXPECT_FALSE(pools_->release("b")) << "releasing twice is harmless";
  EXPECT_FALSE(pools_->release("never"));
  EXPECT_EQ(pools_->assignment("b").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(allocate("d"), "192.0.2.3");
  EXPECT_EQ(allocate("e"), "192.0.2.5");
  EXPECT_EQ(allocate("b"), "192.0.2.6") << "a released key allocates anew";
}

TEST_F(IpPoolStoreTest, PoolsAreChosenByFamilyAndName) {
  auto none = pools_->allocate({"dc1", 4, "a", "dep_a", "", false});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(none.error().field, "family");
  EXPECT_EQ(pools_->allocate({"dc1", 5, "a", "dep_a", "", false}).error().field, "family");
  EXPECT_EQ(pools_->allocate({"dc1", 4, "", "dep_a", "", false}).error().field, "identityKey");

  pool("first", "192.0.2.0/30");  // one usable address: .1 (.2 too: no gateway) — .0 network, .3 broadcast
  pool("second", "198.51.100.0/24", "198.51.100.1");
  pool("v6", "2001:db8::/64");
  EXPECT_EQ(pools_->allocate({"dc1", 4, "a", "dep_a", "missing", false}).error().field, "pool");
  auto wrongFamily = pools_->allocate({"dc1", 4, "a", "dep_a", "v6", false});
  ASSERT_FALSE(wrongFamily.ok());
  EXPECT_EQ(wrongFamily.error().field, "family");

  EXPECT_EQ(allocate("a"), "192.0.2.1");
  EXPECT_EQ(allocate("b"), "192.0.2.2");
  EXPECT_EQ(allocate("c"), "198.51.100.2") << "a full pool passes on to the next";
  EXPECT_EQ(allocate("d", 4, "second"), "198.51.100.3");
  EXPECT_EQ(allocate("e", 6), "2001:db8::1") << "without a gateway, the first address after the network";
  auto full = pools_->allocate({"dc1", 4, "f", "dep_f", "first", false});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(full.error().field, "pool");
}

TEST_F(IpPoolStoreTest, AllocationsAreListedByPoolAndDeployment) {
  auto p = pool("v4", "192.0.2.0/24", "192.0.2.1");
  for (auto key : {"z", "y", "x", "w", "v"}) allocate(key);
  pools_->allocate({"dc1", 4, "dep_y/ip-address/spare", "dep_y", "", false}).orThrow();
  EXPECT_TRUE(pools_->release("x"));
  auto all = pools_->allocations(p.id);
  std::vector<std::string> addresses;
  for (auto& a : all) addresses.push_back(a.address);
  EXPECT_EQ(addresses, (std::vector<std::string>{"192.0.2.2", "192.0.2.3", "192.0.2.5", "192.0.2.6", "192.0.2.7"}))
      << "address order, without the released .4";
  // Address order means numeric order, not text order.
  for (int i = 0; i < 10; ++i) allocate("n" + std::to_string(i));
  all = pools_->allocations(p.id);
  ASSERT_EQ(all.size(), 15u);
  EXPECT_EQ(all.back().address, "192.0.2.16");
  EXPECT_EQ(all[9].address, "192.0.2.11");

  auto forY = pools_->allocationsFor("dep_y");
  ASSERT_EQ(forY.size(), 2u);
  EXPECT_EQ(forY[0].identityKey, "dep_y/ip-address/spare");
  EXPECT_EQ(forY[1].identityKey, "y");
  EXPECT_EQ(forY[1].pool, p.id);
  EXPECT_TRUE(pools_->allocationsFor("dep_x").empty());

  std::vector<std::string> paged;
  std::string cursor;
  int pages = 0;
  do {
    auto page = pools_->allocations(p.id, 4, cursor);
    for (auto& a : page.items) paged.push_back(a.address);
    cursor = page.next;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 4);
  std::vector<std::string> expected;
  for (auto& a : all) expected.push_back(a.address);
  EXPECT_EQ(paged, expected);
}

TEST_F(IpPoolStoreTest, DeletingAPoolNeedsItEmpty) {
  auto p = pool("v4", "192.0.2.0/24", "192.0.2.1", {{"192.0.2.10", "192.0.2.20"}});
  allocate("a");
  auto busy = pools_->deletePool(p.id);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().kind, ErrorKind::Conflict);
  EXPECT_TRUE(pools_->getPool(p.id).ok());
  EXPECT_TRUE(pools_->release("a"));
  ASSERT_TRUE(pools_->deletePool(p.id).ok());
  EXPECT_EQ(pools_->getPool(p.id).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(pools_->deletePool(p.id).error().kind, ErrorKind::NotFound);
  EXPECT_EQ(conn_->queryOne("SELECT count(*) FROM ip_pool_reserved")->integer(0), 0);
  pool("v4", "192.0.2.0/24");  // the name and the prefix are free again
}

TEST_F(IpPoolStoreTest, ConcurrentAllocationsFromSeveralConnectionsNeverCollide) {
  pool("v4", "10.0.0.0/24", "10.0.0.1");
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        auto conn = connect(url());  // each thread its own connection to the same file
        IpPoolStore store(*conn);
        for (int i = 0; i < kEach; ++i) {
          std::string key = "dep_" + std::to_string(t) + "/ip-address/" + std::to_string(i);
          auto a = store.allocate({"dc1", 4, key, "dep_" + std::to_string(t), "", false});
          if (!a) {
            errors[t] = a.error().message;
            return;
          }
          got[t].push_back(a->allocation.address);
        }
        // A second round for the same keys gives the same addresses.
        for (int i = 0; i < kEach; ++i) {
          std::string key = "dep_" + std::to_string(t) + "/ip-address/" + std::to_string(i);
          auto a = store.allocate({"dc1", 4, key, "dep_" + std::to_string(t), "", false});
          if (!a || a->allocation.address != got[t][static_cast<std::size_t>(i)]) {
            errors[t] = key + " changed address";
            return;
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> distinct;
  std::size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    total += got[t].size();
    distinct.insert(got[t].begin(), got[t].end());
  }
  EXPECT_EQ(total, 200u);
  EXPECT_EQ(distinct.size(), 200u) << "an address was handed out twice";
  // First-free allocation under one write lock at a time: exactly .2 to .201.
  std::set<std::string> expected;
  for (int i = 2; i <= 201; ++i) expected.insert("10.0.0." + std::to_string(i));
  EXPECT_EQ(distinct, expected);
  auto counts = conn_->queryOne("SELECT count(*), count(DISTINCT address) FROM ip_allocations");
  EXPECT_EQ(counts->integer(0), 200);
  EXPECT_EQ(counts->integer(1), 200);
  EXPECT_EQ(pools_->allocationsFor("dep_3").size(), 50u);
}

}  // namespace
}  // namespace fedihost::store
