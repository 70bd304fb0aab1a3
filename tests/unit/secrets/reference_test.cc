// Secrets by reference: a file, a systemd credential, a sealed value.
#include "secrets/reference.hh"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace fedihost::secrets {
namespace {

namespace fs = std::filesystem;

class ReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("fedihost-refs-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_ / "creds");
  }
  void TearDown() override {
    ::unsetenv("CREDENTIALS_DIRECTORY");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(ReferenceTest, FileCredentialAndSealedResolveEverywhereInTheSettings) {
  std::array<unsigned char, SecretBox::kKeySize> key{};
  key.fill(9);
  SecretBox box(key);
  std::ofstream(dir_ / "token") << "file-token\n";
  std::ofstream(dir_ / "creds" / "pdns-key") << "credential-key";
  ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "creds").c_str(), 1);
  json::object settings{{"url", "http://x"},
                        {"token", {{"file", (dir_ / "token").string()}}},
                        {"apiKey", {{"credential", "pdns-key"}}},
                        {"nested", {{"password", {{"sealed", box.seal("sealed-pw")}}}}},
                        {"list", json::array{json::object{{"file", (dir_ / "token").string()}}}}};
  auto r = resolveReferences(settings, &box, "settings");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("url"), "http://x");
  EXPECT_EQ(r->at("token"), "file-token");
  EXPECT_EQ(r->at("apiKey"), "credential-key");
  EXPECT_EQ(r->at("nested").at("password"), "sealed-pw");
  EXPECT_EQ(r->at("list").at(0), "file-token");
}

TEST_F(ReferenceTest, UnresolvableReferencesNameTheirSetting) {
  auto r = resolveReferences({{"apiKey", {{"file", (dir_ / "missing").string()}}}}, nullptr, "settings");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "settings.apiKey");
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos) << r.error().message;

  r = resolveReferences({{"apiKey", {{"credential", "k"}}}}, nullptr, "settings");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("CREDENTIALS_DIRECTORY is not set"), std::string::npos) << r.error().message;

  r = resolveReferences({{"apiKey", {{"sealed", "sb2:00000000:AAAA"}}}}, nullptr, "settings");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("master key"), std::string::npos) << r.error().message;

  std::array<unsigned char, SecretBox::kKeySize> key{};
  SecretBox box(key);
  r = resolveReferences({{"apiKey", {{"sealed", "sb2:00000000:AAAA"}}}}, &box, "settings");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "settings.apiKey");
}

}  // namespace
}  // namespace fedihost::secrets
