// `fedihost keys rotate` killed with SIGKILL at seeded points: after every kill each
// sealed secret (app secrets and a second factor in the state database, a provider
// credential in a target file, a file target's record) still opens under the old or
// the new key, and a rerun finishes the rotation (FEDIHOST_ROTATE_SEED replays a sequence).
// Also `fedihost secret seal`, and sealed and file references in a target file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "aaa/auth.hh"
#include "orchestrator/key_rotation.hh"
#include "orchestrator/orchestrator.hh"
#include "providers/provider.hh"
#include "support/targets.hh"
#include "secrets/secret_box.hh"
#include "store/account_store.hh"
#include "store/state_store.hh"
#include "support/process.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
using testing::run;
using testing::shellQuote;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // SQLite files in the data directory, or (label pg) fresh PostgreSQL databases.
    dir_.state = dbs_.state.url();
    dir_.accounting = dbs_.accounting.url();
    orchestrator::prepareDataDir(dir_);
    auto box = secrets::SecretBox::openOrCreate(dir_.secretKey());
    auto conn = store::connect(dir_.stateUrl());
    store::StateStore state(*conn);
    for (int i = 0; i < 6; ++i) {
      auto clear = "app-secret-" + std::to_string(i);
      state.sealedSecret("dep_" + std::to_string(i % 2), "s" + std::to_string(i), [&] { return box.seal(clear); });
      expected_.push_back(clear);
    }
    store::AccountStore accounts(*conn);
    auto user = aaa::createOperator(accounts, "op@example.test", "a long enough password").orThrow();
    accounts.setTotpPending(user.id, box.seal("totp-key"));
    expected_.push_back("totp-key");
    // A target whose provider credential is sealed, and a file target's record holding a sealed value.
    fs::create_directories(dir_.targetConfigDir());
    std::ofstream(dir_.targetConfigDir() / "site.json")
        << "{\n  \"name\": \"site\",\n  \"description\": \"kept as written\",\n  \"providers\": {\"dns-record-set\": "
           "{\"implementation\": \"file\", \"settings\": {\"token\": {\"sealed\": \""
        << box.seal("provider-token")
        << "\"}}}, \"ip-address\": {\"implementation\": \"file\"}, \"machine\": {\"implementation\": \"file\"}, "
           "\"certificate\": {\"implementation\": \"file\"}, \"nixos-config\": {\"implementation\": \"file\"}}\n}\n";
    expected_.push_back("provider-token");
    fs::create_directories(dir_.targetRoot("local") / "dep_0" / "databases");
    std::ofstream(dir_.targetRoot("local") / "dep_0" / "databases" / "db.json")
        << boost::json::serialize(boost::json::object{
               {"name", "db"}, {"password", {{"secret", "db"}, {"sealed", box.seal("db-password")}}}});
    expected_.push_back("db-password");
    firstKeyId_ = box.keyId();
  }

  /// Every sealed value opens (with the key file and, mid-rotation, the next key) to what was sealed.
  void expectAllReadable(const std::string& when) {
    SCOPED_TRACE(when);
    auto box = secrets::SecretBox::openOrCreate(dir_.secretKey());
    std::vector<std::string> clear;
    for (auto& v : orchestrator::findSealedValues(dir_)) {
      auto c = box.open(v.sealed);
      ASSERT_TRUE(c) << v.place << ": " << c.error().message;
      clear.push_back(*c);
    }
    auto want = expected_;
    std::sort(want.begin(), want.end());
    std::sort(clear.begin(), clear.end());
    EXPECT_EQ(clear, want);
  }

  testing::CommandResult rotate(const std::string& killAt = "") {
    std::string env = "FEDIHOST_STATE_URL=" + shellQuote(dir_.state) + " FEDIHOST_ACCOUNTING_URL=" +
                      shellQuote(dir_.accounting) + " ";
    if (!killAt.empty()) env += "FEDIHOST_TEST_ROTATE_KILL_AT=" + killAt + " ";
    return run(env + FEDIHOST_BIN + " keys rotate --data " + shellQuote(dir_.root.string()));
  }

  testing::TempDir tmp_{"fedihost-rotate"};
  testing::TestDatabases dbs_{tmp_.path()};
  orchestrator::DataDir dir_{tmp_ / "var"};
  std::vector<std::string> expected_;
  std::string firstKeyId_;
};

TEST_F(KeyRotationTest, SigkillAnywhereLeavesEverySecretReadableAndARerunFinishes) {
  std::uint64_t seed = 20261207;
  if (const char* s = std::getenv("FEDIHOST_ROTATE_SEED")) seed = std::strtoull(s, nullptr, 10);
  SCOPED_TRACE("FEDIHOST_ROTATE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const int steps = 9;  // 6 app secrets + a second factor + a target file + a record file
  ASSERT_EQ(orchestrator::findSealedValues(dir_).size(), expected_.size());
  std::string keyId = firstKeyId_;
  // Kill points: after the first value, in the middle (seeded), before the key switch (-1), after the last.
  std::vector<int> points{1, 2 + static_cast<int>(rng() % (steps - 2)), -1, steps};
  for (int point : points) {
    SCOPED_TRACE("killed at " + std::to_string(point));
    auto killed = rotate(std::to_string(point));
    EXPECT_NE(killed.exitCode, 0) << killed.output;
    EXPECT_EQ(killed.output.find("Rotated"), std::string::npos) << killed.output;
    EXPECT_TRUE(fs::exists(dir_.secretKey().string() + ".next")) << "the next key is written first";
    expectAllReadable("after a SIGKILL at " + std::to_string(point));
    // A server can start on the half-rotated directory and read everything too.
    auto half = secrets::SecretBox::openOrCreate(dir_.secretKey());
    EXPECT_EQ(half.keyId(), keyId) << "the old key stays current until the rotation ends";

    auto rerun = rotate();
    ASSERT_EQ(rerun.exitCode, 0) << rerun.output;
    EXPECT_NE(rerun.output.find("Finished an interrupted rotation"), std::string::npos) << rerun.output;
    EXPECT_FALSE(fs::exists(dir_.secretKey().string() + ".next"));
    auto now = secrets::SecretBox::openOrCreate(dir_.secretKey());
    EXPECT_NE(now.keyId(), keyId) << "the key did not change";
    for (auto& v : orchestrator::findSealedValues(dir_))
      EXPECT_EQ(secrets::SecretBox::keyIdOf(v.sealed), now.keyId()) << v.place;
    expectAllReadable("after the rerun");
    keyId = now.keyId();
    struct stat st {};
    ASSERT_EQ(::stat(dir_.secretKey().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  // The target file keeps what was written around its sealed value.
  EXPECT_NE(slurp(dir_.targetConfigDir() / "site.json").find("\"description\": \"kept as written\""), std::string::npos);
  // An uninterrupted rotation.
  auto plain = rotate();
  ASSERT_EQ(plain.exitCode, 0) << plain.output;
  EXPECT_NE(plain.output.find("Rotated the master key from " + keyId), std::string::npos) << plain.output;
  expectAllReadable("after an uninterrupted rotation");
}

TEST_F(KeyRotationTest, RotationRefusesWhileAServerHoldsTheDataDirectory) {
  auto lock = orchestrator::DataDirLock::acquire(dir_);
  ASSERT_TRUE(lock);
  auto r = rotate();
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("in use"), std::string::npos) << r.output;
}

TEST_F(KeyRotationTest, SecretSealAndReferencesInATargetFile) {
  auto sealed = run("printf 'the-api-key\\n' | " + std::string(FEDIHOST_BIN) + " secret seal --data " +
                    shellQuote(dir_.root.string()));
  ASSERT_EQ(sealed.exitCode, 0) << sealed.output;
  std::string text = sealed.output.substr(0, sealed.output.find('\n'));
  EXPECT_EQ(text.rfind("sb2:", 0), 0u) << text;
  EXPECT_EQ(sealed.output.find("the-api-key"), std::string::npos);
  auto box = secrets::SecretBox::openOrCreate(dir_.secretKey());
  EXPECT_EQ(box.open(text).orThrow(), "the-api-key");

  // References resolve; one that cannot is refused naming the setting.
  std::ofstream(tmp_ / "token") << "from-a-file\n";
  boost::json::object config{
      {"name", "refs"},
      {"providers",
       testing::withFileProviders({{"dns-record-set",
                                    {{"implementation", "file"},
                                     {"settings", {{"a", {{"sealed", text}}}, {"b", {{"file", (tmp_ / "token").string()}}}}}}}})}};
  auto t = providers::Target::fromConfig(config, tmp_ / "refs", dir_.stateUrl(), &box);
  ASSERT_TRUE(t) << t.error().message;
  config["providers"].as_object()["dns-record-set"].as_object()["settings"].as_object()["b"] =
      boost::json::object{{"file", (tmp_ / "missing").string()}};
  auto bad = providers::Target::fromConfig(config, tmp_ / "refs", dir_.stateUrl(), &box);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("providers.dns-record-set.settings.b"), std::string::npos) << bad.error().message;
  auto noBox = providers::Target::fromConfig(boost::json::object{{"name", "x"},
                                                                 {"providers",
                                                                  testing::withFileProviders(
                                                                      {{"dns-record-set",
                                                                        {{"implementation", "file"},
                                                                         {"settings", {{"a", {{"sealed", text}}}}}}}})}},
                                             tmp_ / "x", dir_.stateUrl(), nullptr);
  EXPECT_FALSE(noBox);
}

}  // namespace
}  // namespace fedihost
