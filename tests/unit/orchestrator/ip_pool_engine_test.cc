// A target whose ip-address provider is "pool": deployments applied through the
// orchestrator get addresses from the target's pool in the state database,
// the machines and DNS records use them, and a destroy releases them.
// (Proposed as tests/unit/orchestrator/ip_pool_engine_test.cc once "pool" is registered.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "catalog/catalog.hh"
#include "orchestrator/orchestrator.hh"
#include "nixos/render.hh"
#include "store/ip_pool_store.hh"
#include "store/state_store.hh"
#include "support/targets.hh"
#include "support/temp_dir.hh"

namespace fedihost::orchestrator {
namespace {

namespace fs = std::filesystem;

TEST(IpPoolEngine, DeploymentsOnAPoolTargetGetAndReleasePoolAddresses) {
  fedihost::testing::TempDir tmp;
  DataDir dir{tmp.path() / "var"};
  prepareDataDir(dir);
  fs::create_directories(dir.targetConfigDir());
  std::ofstream(dir.targetConfigDir() / "dc1.json")
      << boost::json::serialize(boost::json::object{
             {"name", "dc1"}, {"providers", fedihost::testing::withFileProviders({{"ip-address", {{"implementation", "pool"}}}})}});
  auto conn = store::connect(dir.stateUrl());
  store::StateStore state(*conn);
  store::IpPoolStore pools(*conn);
  auto pool = pools.createPool({"dc1", "public", "192.0.2.0/29", "192.0.2.1", {}, 0}).value();  // .2–.6 usable
  auto org = state.createOrganisation("Riverside", "").value().id;

  Orchestrator o(dir, 2);
  o.start();
  std::vector<Deployment> deps;
  for (auto name : {"one", "two", "three"}) {
    Deployment d;
    d.organisation = org;
    d.name = name;
    d.domain = std::string(name) + ".example.test";
    d.target = "dc1";
    d.apps.push_back({"mastodon", catalog::validateSettings(*catalog::find("mastodon"), {}, "s").value(), {}, 0});
    d = state.createDeployment(d, nixos::publishedHosts(d)).value();
    auto run = o.apply(state, d);
    ASSERT_TRUE(run.ok()) << run.error().message;
    deps.push_back(d);
  }
  o.waitIdle();
  std::set<std::string> addresses;
  for (auto& d : deps) {
    EXPECT_EQ(state.getDeployment(d.id)->status, DeploymentStatus::Ready) << d.name;
    auto ip = state.recordedResource(d.id + "/ip-address/main");
    ASSERT_TRUE(ip.has_value()) << d.name;
    EXPECT_EQ(ip->outputs.at("prefixLength"), boost::json::value(29));
    EXPECT_EQ(ip->outputs.at("gateway"), boost::json::value("192.0.2.1"));
    std::string address(ip->outputs.at("address").as_string());
    addresses.insert(address);
    auto held = pools.assignment(d.id + "/ip-address/main");
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(held->allocation.address, address);
    EXPECT_EQ(held->allocation.deployment, d.id);
    auto machine = state.recordedResource(d.id + "/machine/main");
    ASSERT_TRUE(machine.has_value());
    EXPECT_EQ(machine->resource.attributes.at("address"),
              boost::json::value({{"ref", d.id + "/ip-address/main"}, {"output", "address"}}));
  }
  EXPECT_EQ(addresses, (std::set<std::string>{"192.0.2.2", "192.0.2.3", "192.0.2.4"}));
  EXPECT_EQ(pools.getPool(pool.id)->allocated, 3);

  auto destroy = o.destroy(state, state.getDeployment(deps[1].id).value());
  ASSERT_TRUE(destroy.ok()) << destroy.error().message;
  o.waitIdle();
  EXPECT_EQ(state.getDeployment(deps[1].id)->status, DeploymentStatus::Deleted);
  EXPECT_EQ(pools.assignment(deps[1].id + "/ip-address/main").error().kind, ErrorKind::NotFound);
  EXPECT_EQ(pools.getPool(pool.id)->allocated, 2);
  EXPECT_TRUE(o.findOrphans(state).orphans.empty()) << "the pool provider lists what it holds per deployment";
  o.stop();
}

}  // namespace
}  // namespace fedihost::orchestrator
