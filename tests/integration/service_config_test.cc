// fedihost as a service: `serve --config FILE` with the command line overriding
// the file, `fedihost config check`, the modes of every file under a fresh data
// directory after init, serve and a deployment applied to the file target, the
// first start that prints where the password is (never the password), and JSON
// log lines carrying the request id when stderr is not a terminal.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/cli_fixture.hh"
#include "support/process.hh"
#include "support/temp_dir.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run;
using testing::shellQuote;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool waitFor(const fs::path& p) {
  for (int i = 0; i < 1000 && !fs::exists(p); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return fs::exists(p);
}

std::string fh(const std::string& args) { return std::string(FEDIHOST_BIN) + " " + args; }

TEST(ServiceConfig, ConfigCheckValidatesAndPrintsTheEffectiveConfigurationRedacted) {
  testing::TempDir tmp;
  std::ofstream(tmp / "pw") << "relay-password-123\n";
  std::ofstream(tmp / "good.toml") << "data_dir = \"" << (tmp / "var").string() << "\"\n[orchestrator]\nworkers = 4\n"
                                   << "[mail]\nsmtp = \"smtp://127.0.0.1:2525\"\nsmtp_password = { file = \""
                                   << (tmp / "pw").string() << "\" }\n";
  auto r = run(fh("config check " + (tmp / "good.toml").string()));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("workers = 4  # file " + (tmp / "good.toml").string() + ":3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("refresh_interval = 600  # default"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("smtp_password = (secret, redacted)"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("relay-password-123"), std::string::npos) << "a secret printed:\n" << r.output;

  std::ofstream(tmp / "bad.toml") << "[server]\nlisten = \"127.0.0.1:0\"\n\n[orchestrator]\nworker = 4\n";
  r = run(fh("config check " + (tmp / "bad.toml").string()));
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find((tmp / "bad.toml").string() + ":5: unknown key orchestrator.worker"), std::string::npos)
      << r.output;

  // The target files of its data directory, as serve would load them.
  fs::create_directories(tmp / "var" / "targets");
  std::ofstream(tmp / "var" / "targets" / "prod.json")
      << R"({"name": "prod", "providers": {"dns-record-set": {"implementation": "file"}}})";
  r = run(fh("config check " + (tmp / "good.toml").string()));
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("prod.json: target \"prod\" names no provider for ip-address, machine, certificate, nixos-config"),
            std::string::npos)
      << r.output;
  std::ofstream(tmp / "var" / "targets" / "prod.json")
      << R"({"name": "prod", "faults": {"retryable": 0.1}, "providers": {"dns-record-set": {"implementation": "file"},
            "ip-address": {"implementation": "file"}, "machine": {"implementation": "file"},
            "certificate": {"implementation": "file"}, "nixos-config": {"implementation": "file"}}})";
  r = run(fh("config check " + (tmp / "good.toml").string()));
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("orchestrator.fault_injection"), std::string::npos) << r.output;
  std::ofstream(tmp / "drill.toml") << "data_dir = \"" << (tmp / "var").string()
                                    << "\"\n[orchestrator]\nfault_injection = true\n";
  r = run(fh("config check " + (tmp / "drill.toml").string()));
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("# targets: local (built-in), prod ("), std::string::npos) << r.output;

  // The generated docs are the table.
  r = run(fh("config docs"));
  ASSERT_EQ(r.exitCode, 0);
  EXPECT_NE(r.output.find("| `orchestrator.workers` | `--workers` |"), std::string::npos) << r.output;
}

TEST(ServiceConfig, TheCommandLineOverridesTheFile) {
  testing::TempDir tmp;
  std::ofstream(tmp / "fedihost.toml") << "data_dir = \"" << (tmp / "from-file").string() << "\"\n"
                                       << "[server]\nlisten = \"127.0.0.1:0\"\nport_file = \""
                                       << (tmp / "port-from-file").string() << "\"\nweb = \""
                                       << (tmp / "no-panel").string() << "\"\n[log]\nformat = \"json\"\n";
  testing::Process server({FEDIHOST_BIN, "serve", "--config", (tmp / "fedihost.toml").string(), "--port-file",
                           (tmp / "port-from-cli").string(), "--log-format", "text"},
                          (tmp / "serve.log").string());
  ASSERT_TRUE(waitFor(tmp / "port-from-cli")) << slurp(tmp / "serve.log");
  EXPECT_FALSE(fs::exists(tmp / "port-from-file"));
  EXPECT_TRUE(fs::exists(tmp / "from-file" / "state.db")) << "data_dir from the file";
  std::string port;
  std::ifstream(tmp / "port-from-cli") >> port;
  auto health = run("curl -sf http://127.0.0.1:" + port + "/api/v1/health");
  EXPECT_EQ(health.exitCode, 0) << health.output;
  server.stop();
  auto log = slurp(tmp / "serve.log");
  EXPECT_NE(log.find(" info fedihost "), std::string::npos) << "--log-format text overrides the file's json:\n" << log;
  EXPECT_EQ(log.find("{\"time\""), std::string::npos) << log;

  // A bad file stops serve before anything starts.
  std::ofstream(tmp / "bad.toml") << "[server]\nlisten = 8080\n";
  auto r = run(fh("serve --config " + (tmp / "bad.toml").string()));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find(":2: server.listen must be a string, not an integer"), std::string::npos) << r.output;
}

TEST(ServiceConfig, FirstStartSaysWhereThePasswordIsAndLogsJsonWithRequestIds) {
  testing::TempDir tmp;
  testing::Process server({FEDIHOST_BIN, "serve", "--data", (tmp / "var").string(), "--listen", "127.0.0.1:0",
                           "--port-file", (tmp / "port").string(), "--web", (tmp / "no-panel").string(),
                           "--log-level", "debug"},
                          (tmp / "serve.log").string());
  ASSERT_TRUE(waitFor(tmp / "port")) << slurp(tmp / "serve.log");
  std::string port;
  std::ifstream(tmp / "port") >> port;
  auto probe = run("curl -s -H 'X-Request-Id: probe-42' http://127.0.0.1:" + port + "/api/v1/nowhere");
  auto health = run("curl -sf http://127.0.0.1:" + port + "/api/v1/health");
  EXPECT_EQ(health.exitCode, 0);
  server.stop();

  auto saved = slurp(tmp / "var" / "initial-password");
  auto password = saved.substr(saved.find('\n') + 1);
  password = password.substr(0, password.find('\n'));
  ASSERT_GE(password.size(), 10u);
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "var" / "initial-password").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto log = slurp(tmp / "serve.log");
  EXPECT_EQ(log.find(password), std::string::npos) << "the password is in the output:\n" << log;
  EXPECT_NE(log.find("its password is in " + fs::absolute(tmp / "var" / "initial-password").string()), std::string::npos)
      << log;

  // stderr is a file: JSON lines, one object each; the lines of a request carry its id.
  int lines = 0, probeLines = 0, withId = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() != '{') continue;
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    auto& o = v.as_object();
    ASSERT_TRUE(o.contains("time") && o.contains("level") && o.contains("message")) << line;
    ++lines;
    if (o.contains("request_id")) ++withId;
    if (auto* id = o.if_contains("request_id"); id && *id == "probe-42") {
      ++probeLines;
      EXPECT_NE(std::string(o.at("message").as_string()).find("/api/v1/nowhere 404"), std::string::npos) << line;
    }
    if (std::string(o.at("message").as_string()).find("/api/v1/health") != std::string::npos) {
      EXPECT_TRUE(o.contains("request_id")) << "a request's line without its id: " << line;
    }
  }
  EXPECT_GE(lines, 3) << log;
  EXPECT_EQ(probeLines, 1) << log;
  EXPECT_GE(withId, 2) << log;
}

/// init, serve and a deployment applied to the file target, all with the usual umask 022:
/// every file under the data directory is 0600 and every directory 0700.
class FileModesTest : public testing::CliFixture {
 protected:
  void SetUp() override {
    oldMask_ = ::umask(022);
    testing::CliFixture::SetUp();
  }
  void TearDown() override {
    testing::CliFixture::TearDown();
    ::umask(oldMask_);
  }
  mode_t oldMask_ = 0;
};

TEST_F(FileModesTest, EveryFileUnderTheDataDirectoryIsTheOwnersOnly) {
  auto org = cli("organisation create riverside -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());
  auto created = cli("deployment create --organisation " + orgId +
                     " --name social --domain social.example.test --app mastodon -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto id = std::string(json::parse(created.output).at("id").as_string());
  auto apply = cli("deployment apply " + id);
  ASSERT_EQ(apply.exitCode, 0) << apply.output;
  auto sealed = run("printf 'x' | " + fh("secret seal --data " + shellQuote(data())));
  ASSERT_EQ(sealed.exitCode, 0) << sealed.output;
  server_->stop();  // a clean stop writes the audit head too

  int files = 0;
  std::vector<std::string> wide;
  fs::path root = data();
  auto check = [&](const fs::path& p) {
    struct stat st {};
    ASSERT_EQ(::lstat(p.c_str(), &st), 0) << p;
    if (S_ISDIR(st.st_mode)) {
      if ((st.st_mode & 0777) != 0700) wide.push_back(p.string() + " (directory)");
    } else {
      ++files;
      if ((st.st_mode & 0777) != 0600) wide.push_back(p.string());
    }
  };
  check(root);
  for (auto& e : fs::recursive_directory_iterator(root)) check(e.path());
  EXPECT_TRUE(wide.empty()) << [&] {
    std::string s = "readable by others or with another mode:\n";
    for (auto& w : wide) s += "  " + w + "\n";
    return s;
  }();
  EXPECT_GE(files, 10) << "the deployment wrote little";
  for (auto name : {"state.db", "accounting.db", "secret.key", "serve.lock", "audit-signing.key"})
    EXPECT_TRUE(fs::exists(root / name)) << name;
  EXPECT_TRUE(fs::exists(root / "targets" / "local" / id / "machines" / "main" / "configuration.json"));
}

}  // namespace
}  // namespace fedihost
