#include "accounting/metering.hh"

#include <gtest/gtest.h>

namespace fedihost::accounting {
namespace {

Resource resource(ResourceKind k, json::object attrs) {
  Resource r;
  r.kind = k;
  r.key = "dep_x/" + std::string(toString(k)) + "/main";
  r.deployment = "dep_x";
  r.attributes = std::move(attrs);
  return r;
}

TEST(Metering, MachineIsMeteredByItsSize) {
  auto q = quantitiesOf(resource(ResourceKind::Machine, {{"cpu", 2}, {"memoryMiB", 4096}, {"diskGiB", 40}}));
  EXPECT_EQ(q, (Quantities{{"machine", 1}, {"vcpu", 2}, {"ram_mib", 4096}, {"disk_gib", 40}}));
  EXPECT_EQ(machineSize(q), "2 vCPU, 4 GiB RAM, 40 GiB disk");
  EXPECT_EQ(machineSize({{"machine", 1}, {"vcpu", 1}, {"ram_mib", 1536}, {"disk_gib", 5}}), "1 vCPU, 1536 MiB RAM, 5 GiB disk");
}

TEST(Metering, CountedResources) {
  EXPECT_EQ(quantitiesOf(resource(ResourceKind::Bucket, {{"name", "b"}})), (Quantities{{"bucket", 1}}));
  EXPECT_EQ(quantitiesOf(resource(ResourceKind::Database, {})), (Quantities{{"database", 1}}));
  EXPECT_EQ(quantitiesOf(resource(ResourceKind::MailAccount, {})), (Quantities{{"mail_account", 1}}));
  EXPECT_EQ(quantitiesOf(resource(ResourceKind::IpAddress, {{"family", "ipv4"}})), (Quantities{{"ip_address", 1}}));
  EXPECT_EQ(quantitiesOf(resource(ResourceKind::DnsRecordSet, {{"type", "A"}})), (Quantities{{"certificate", 1}}));
  EXPECT_TRUE(quantitiesOf(resource(ResourceKind::DnsRecordSet, {{"type", "TXT"}})).empty());
  EXPECT_TRUE(quantitiesOf(resource(ResourceKind::AccessKey, {})).empty());
  EXPECT_TRUE(quantitiesOf(resource(ResourceKind::NixosConfig, {})).empty());
}

TEST(Metering, JsonRoundTripAndCorruptRowsAreErrors) {
  auto r = resource(ResourceKind::Machine, {{"cpu", 4}, {"memoryMiB", 8192}, {"diskGiB", 80}});
  EXPECT_EQ(quantitiesJson(r), R"({"disk_gib":80,"machine":1,"ram_mib":8192,"vcpu":4})");
  EXPECT_EQ(parseQuantities(quantitiesJson(r)).value(), quantitiesOf(r));
  EXPECT_TRUE(parseQuantities("{}").value().empty());
  EXPECT_FALSE(parseQuantities("[1]"));
  EXPECT_FALSE(parseQuantities("{\"vcpu\": -1}"));
  EXPECT_FALSE(parseQuantities("{\"vcpu\": 1.5}"));
  EXPECT_FALSE(parseQuantities("not json"));
}

TEST(Metering, EveryUnitIsFound) {
  for (auto& u : units()) EXPECT_EQ(findUnit(u.key), &u);
  EXPECT_EQ(findUnit("ram_mib"), nullptr);
  EXPECT_EQ(findUnit("ram_gib")->divisor, 1024);
}

}  // namespace
}  // namespace fedihost::accounting
