// The file IP provider's allocation: lowest free address of the pool across
// every deployment of the root, released on remove, never handed out twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "providers/file/file_providers.hh"
#include "test_support.hh"

namespace fedihost::providers::testing {
namespace {

class FileIpTest : public TempRootTest {
 protected:
  static Resource ip(const std::string& dep, const std::string& name = "main", const std::string& family = "ipv4") {
    return makeResource(dep, ResourceKind::IpAddress, name, {{"family", family}});
  }
  static std::string address(const Result<Observed>& o) {
    EXPECT_TRUE(o.ok()) << (o.ok() ? "" : o.error().message);
    if (!o.ok()) return {};
    return std::string(o->outputs.at("address").as_string());
  }
};

TEST_F(FileIpTest, AllocatesTheLowestFreeAddressAcrossDeployments) {
  auto p = file::makeIpProvider(config());
  EXPECT_EQ(address(p->create(resolved(ip("dep_a")))), "192.0.2.2");  // .0 network, .1 gateway
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.3");
  EXPECT_EQ(address(p->create(resolved(ip("dep_a", "spare")))), "192.0.2.4");
  // A second provider instance (another process would do the same) sees the same files.
  auto q = file::makeIpProvider(config());
  EXPECT_EQ(address(q->create(resolved(ip("dep_c")))), "192.0.2.5");

  auto stored = readJsonFile(root_ / "dep_b/ip/main.json");
  EXPECT_EQ(stored.at("outputs").at("address"), json::value("192.0.2.3"));
  EXPECT_EQ(stored.at("attributes"), json::value({{"family", "ipv4"}}));
  EXPECT_EQ(address(p->read(resolved(ip("dep_b")))), "192.0.2.3");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.3") << "a second create allocates nothing";
}

TEST_F(FileIpTest, RemoveReleasesTheAddress) {
  auto p = file::makeIpProvider(config());
  EXPECT_EQ(address(p->create(resolved(ip("dep_a")))), "192.0.2.2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.3");
  ASSERT_TRUE(p->remove(resolved(ip("dep_a"))).ok());
  EXPECT_FALSE(fs::exists(root_ / "dep_a"));
  EXPECT_EQ(address(p->create(resolved(ip("dep_c")))), "192.0.2.2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_d")))), "192.0.2.4");
}

TEST_F(FileIpTest, UpdateKeepsTheAddress) {
  auto p = file::makeIpProvider(config());
  EXPECT_EQ(address(p->create(resolved(ip("dep_a")))), "192.0.2.2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b")))), "192.0.2.3");
  auto r = ip("dep_a");
  r.attributes["label"] = "front";
  EXPECT_EQ(address(p->update(resolved(r))), "192.0.2.2");
  EXPECT_EQ(readJsonFile(root_ / "dep_a/ip/main.json").at("attributes").at("label"), json::value("front"));
}

TEST_F(FileIpTest, ConcurrentAllocationFromEightThreadsGivesDistinctAddresses) {
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto p = file::makeIpProvider(config());  // one instance per thread, as separate workers would have
      got[i] = address(p->create(resolved(ip("dep_" + std::to_string(i)))));
    });
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), 8u) << ::testing::PrintToString(got);
  std::set<std::string> expected;
  for (int i = 2; i < 10; ++i) expected.insert("192.0.2." + std::to_string(i));
  EXPECT_EQ(distinct, expected) << "the lowest eight, no gaps";
}

TEST_F(FileIpTest, ConcurrentAllocationFromSeveralProcessesGivesDistinctAddresses) {
  constexpr int kProcesses = 4, kEach = 6;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto provider = file::makeIpProvider(config());
      int failures = 0;
      for (int i = 0; i < kEach; ++i)
        if (!provider->create(resolved(ip("dep_p" + std::to_string(p), "ip" + std::to_string(i)))).ok()) ++failures;
      _exit(failures);
    }
    children.push_back(pid);
  }
  for (auto pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::set<std::string> addresses;
  int files = 0;
  for (int p = 0; p < kProcesses; ++p)
    for (auto& f : fs::directory_iterator(root_ / ("dep_p" + std::to_string(p)) / "ip")) {
      ++files;
      addresses.insert(std::string(readJsonFile(f.path()).at("outputs").at("address").as_string()));
    }
  EXPECT_EQ(files, kProcesses * kEach);
  EXPECT_EQ(addresses.size(), static_cast<std::size_t>(kProcesses * kEach));
}

TEST_F(FileIpTest, ExhaustedPoolIsAProviderError) {
  auto p = file::makeIpProvider(config({{"ipv4Pool", "10.9.0.0/29"}}));
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) got.insert(address(p->create(resolved(ip("dep_" + std::to_string(i))))));
  EXPECT_EQ(got, (std::set<std::string>{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}))
      << "network .0, gateway .1 and broadcast .7 are skipped";
  auto full = p->create(resolved(ip("dep_5")));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::Provider);
  EXPECT_THAT(full.error().message, ::testing::HasSubstr("10.9.0.0/29"));
  EXPECT_THAT(full.error().message, ::testing::HasSubstr("exhausted"));
  EXPECT_FALSE(fs::exists(root_ / "dep_5"));

  ASSERT_TRUE(p->remove(resolved(ip("dep_3"))).ok());
  EXPECT_EQ(address(p->create(resolved(ip("dep_5")))), "10.9.0.5");
}

TEST_F(FileIpTest, Ipv6FromItsOwnPool) {
  auto p = file::makeIpProvider(config());
  EXPECT_EQ(address(p->create(resolved(ip("dep_a", "v6", "ipv6")))), "2001:db8::2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_a", "main")))), "192.0.2.2");
  EXPECT_EQ(address(p->create(resolved(ip("dep_b", "v6", "ipv6")))), "2001:db8::3");
  auto q = file::makeIpProvider(config({{"ipv6Pool", "fd00:1:2:3::/64"}}));
  EXPECT_EQ(address(q->create(resolved(ip("dep_c", "v6", "ipv6")))), "fd00:1:2:3::2");
}

TEST_F(FileIpTest, BadInputIsInvalid) {
  auto p = file::makeIpProvider(config({{"ipv4Pool", "not-a-pool"}}));
  auto r = p->create(resolved(ip("dep_a")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "settings.ipv4Pool");

  auto q = file::makeIpProvider(config());
  auto bad = q->create(resolved(ip("dep_a", "main", "ipv5")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "attributes.family");
  EXPECT_FALSE(fs::exists(root_ / "dep_a"));
}

}  // namespace
}  // namespace fedihost::providers::testing
