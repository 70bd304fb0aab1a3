// The registries of provider implementations and the file target.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.hh"

namespace fedihost::providers::testing {
namespace {

using ::testing::HasSubstr;

TEST(Registry, EveryKindHasTheFileImplementation) {
  registerBuiltinProviders();
  registerBuiltinProviders();  // idempotent
  EXPECT_THAT(Registry<IpAddressProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<MachineProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<DnsProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<DatabaseProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<BlobProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<AccessKeyProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<MailProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<NixosProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<CertificateProvider>::instance().names(), ::testing::Contains("file"));
  EXPECT_THAT(Registry<CertificateProvider>::instance().names(), ::testing::Contains("acme"));
  auto dns = Registry<DnsProvider>::instance().make({"file", "/tmp/unused", {}});
  ASSERT_TRUE(dns.ok()) << dns.error().message;
  EXPECT_EQ((*dns)->implementation(), "file");
  EXPECT_EQ((*dns)->kind(), ResourceKind::DnsRecordSet);
}

TEST(Registry, UnknownImplementationNamesTheKnownOnes) {
  registerBuiltinProviders();
  auto r = Registry<DnsProvider>::instance().make({"powerdnss", "/tmp/unused", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "implementation");
  EXPECT_THAT(r.error().message, HasSubstr("\"powerdnss\""));
  EXPECT_THAT(r.error().message, HasSubstr("known: "));
  EXPECT_THAT(r.error().message, HasSubstr("file"));
}

class FileTargetTest : public TempRootTest {};

TEST_F(FileTargetTest, HasAFileProviderForEveryKind) {
  auto t = Target::fileTarget("local", root_);
  EXPECT_EQ(t.name(), "local");
  for (auto kind : allResourceKinds()) {
    auto& p = t.provider(kind);
    EXPECT_EQ(p.kind(), kind);
    EXPECT_EQ(p.implementation(), "file");
  }
  EXPECT_EQ(t.deploymentPath("dep_x"), root_ / "dep_x");
}

TEST_F(FileTargetTest, AKindWithoutProviderIsAnInternalError) {
  auto t = Target::fileTarget("local", root_);
  t.setProvider(ResourceKind::Bucket, nullptr);
  try {
    (void)t.provider(ResourceKind::Bucket);
    FAIL() << "expected AbortError";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().kind, ErrorKind::Internal);
    EXPECT_THAT(e.what(), HasSubstr("bucket"));
  }
  Target empty;
  EXPECT_THROW((void)empty.provider(ResourceKind::Machine), AbortError);
  EXPECT_EQ(empty.deploymentPath("dep_x"), fs::path());
}

TEST_F(FileTargetTest, AProviderOfAnotherKindIsRefused) {
  auto t = Target::fileTarget("local", root_);
  auto dns = Registry<DnsProvider>::instance().make({"file", root_, {}});
  ASSERT_TRUE(dns.ok());
  EXPECT_THROW(t.setProvider(ResourceKind::Machine, std::move(*dns)), AbortError);
}

TEST_F(FileTargetTest, EmptyRootIsRefused) {
  registerBuiltinProviders();
  auto made = Registry<MachineProvider>::instance().make({"file", "", {}});
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, ErrorKind::Invalid);
}

class TargetConfigTest : public TempRootTest {
 protected:
  static json::object file() { return {{"implementation", "file"}}; }
  /// Every kind every deployment needs, as files.
  static json::object needed() {
    json::object p;
    for (auto kind : kindsEveryDeploymentNeeds()) p[toString(kind)] = file();
    return p;
  }
};

TEST_F(TargetConfigTest, AKindEveryDeploymentNeedsLeftOutIsRefusedNamingIt) {
  auto r = Target::fromConfig({{"name", "prod"}, {"providers", {{"dns-record-set", file()}}}}, root_, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "providers");
  EXPECT_THAT(r.error().message, HasSubstr("\"prod\" names no provider for ip-address, machine, certificate, nixos-config"));
  r = Target::fromConfig({{"name", "prod"}}, root_, "");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("ip-address, machine, dns-record-set, certificate, nixos-config"));
}

TEST_F(TargetConfigTest, FilesNamedExplicitlyAreKeptAndKindsOnlySomeAppsNeedMayBeLeftOut) {
  auto r = Target::fromConfig({{"name", "small"}, {"providers", needed()}}, root_, "");
  ASSERT_TRUE(r) << r.error().message;
  for (auto kind : kindsEveryDeploymentNeeds()) EXPECT_EQ(r->provider(kind).implementation(), "file");
  for (auto kind : {ResourceKind::Database, ResourceKind::Bucket, ResourceKind::AccessKey, ResourceKind::MailAccount})
    EXPECT_FALSE(r->has(kind)) << toString(kind);
  EXPECT_EQ(r->missingKinds({ResourceKind::Machine, ResourceKind::MailAccount, ResourceKind::Database,
                             ResourceKind::MailAccount}),
            (std::vector<ResourceKind>{ResourceKind::Database, ResourceKind::MailAccount}));
  EXPECT_TRUE(r->missingKinds(kindsEveryDeploymentNeeds()).empty());
}

TEST_F(TargetConfigTest, FaultsAreRefusedUnlessFaultInjectionIsEnabled) {
  json::object config{{"name", "chaos"}, {"providers", needed()}, {"faults", {{"retryable", 0.5}}}};
  auto r = Target::fromConfig(config, root_, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "faults");
  EXPECT_THAT(r.error().message, HasSubstr("orchestrator.fault_injection"));
  r = Target::fromConfig(config, root_, "", nullptr, true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->provider(ResourceKind::Machine).implementation(), "file+faults");
}

}  // namespace
}  // namespace fedihost::providers::testing
