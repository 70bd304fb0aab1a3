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

}  // namespace
}  // namespace fedihost::providers::testing
