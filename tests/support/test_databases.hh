#pragma once
// The database backend of the tests. By default each test uses SQLite files in its
// temporary directory. With FEDIHOST_TEST_BACKEND=postgresql (or
// FEDIHOST_TEST_POSTGRESQL_DIR, which the tests of ctest label `pg` set) each test gets fresh PostgreSQL databases instead, created
// on a PostgreSQL server this test process starts once (scripts/site/postgresql.sh:
// a free loopback port, a temporary directory, stopped by PID at exit) and dropped
// when the test ends. FEDIHOST_TEST_POSTGRESQL_URL=postgresql://… (a superuser's
// URL, database part ignored) uses a running server instead of starting one, and
// FEDIHOST_TEST_POSTGRESQL_DIR=DIR the server that `scripts/site/postgresql.sh start DIR`
// started (ctest's pg tests share one so, started and stopped by the fixture tests
// pg.server.start and pg.server.stop: initdb for every test would cost seconds each).
#include <boost/json.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "store/sql.hh"
#include "support/process.hh"
#include "support/temp_dir.hh"

namespace fedihost::testing {

/// True when the tests run against PostgreSQL: FEDIHOST_TEST_BACKEND=postgresql, or a
/// shared server named by FEDIHOST_TEST_POSTGRESQL_DIR (ctest's pg tests set only that
/// one variable: gtest_discover_tests splits a list-valued ENVIRONMENT property, so a
/// second variable would be lost, and with it the FIXTURES_REQUIRED that follows).
inline bool usingPostgresql() {
  const char* b = std::getenv("FEDIHOST_TEST_BACKEND");
  if (b) return std::string(b) == "postgresql";
  return std::getenv("FEDIHOST_TEST_POSTGRESQL_DIR") != nullptr;
}

/// This process's PostgreSQL server (started on first use).
class PgTestServer {
 public:
  static PgTestServer& get() {
    static PgTestServer server;
    return server;
  }
  /// A libpq URI of `database` as the superuser.
  std::string url(const std::string& database) const { return base_ + database + query_; }
  ~PgTestServer() {
    if (started_) run(script() + " stop " + dir_.path().string());
  }

 private:
  PgTestServer() {
    if (const char* u = std::getenv("FEDIHOST_TEST_POSTGRESQL_URL")) {
      std::string s(u);
      auto q = s.find('?');
      query_ = q == std::string::npos ? "" : s.substr(q);
      s = s.substr(0, q);
      auto slash = s.find('/', s.find("://") + 3);
      base_ = (slash == std::string::npos ? s : s.substr(0, slash)) + "/";
      return;
    }
    std::filesystem::path dir = dir_.path();
    if (const char* shared = std::getenv("FEDIHOST_TEST_POSTGRESQL_DIR")) {
      dir = shared;
      if (!std::filesystem::exists(dir / "postgresql" / "provider.json"))
        throw std::runtime_error("no PostgreSQL server in " + dir.string() + " (run the test pg.server.start first)");
    } else {
      auto r = run(script() + " start " + dir_.path().string());
      if (r.exitCode != 0) throw std::runtime_error("starting PostgreSQL for the tests failed:\n" + r.output);
      started_ = true;
    }
    std::ifstream in(dir / "postgresql" / "provider.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto settings = boost::json::parse(ss.str()).at("database").at("settings").as_object();
    // The superuser over the server's Unix socket (trust there).
    base_ = "postgresql://postgres@/";
    query_ = "?host=" + std::string(settings.at("socketDir").as_string()) +
             "&port=" + std::to_string(settings.at("port").to_number<int>());
  }
  static std::string script() {
#ifdef FEDIHOST_SOURCE_DIR
    return std::string(FEDIHOST_SOURCE_DIR) + "/scripts/site/postgresql.sh";
#else
    return std::string(FEDIHOST_TEST_DATA) + "/../../scripts/site/postgresql.sh";
#endif
  }

  TempDir dir_{"fedihost-pg"};
  bool started_ = false;
  std::string base_;
  std::string query_;
};

/// One database of a test: a SQLite file `dir/file`, or (PostgreSQL) a new
/// database dropped by the destructor.
class TestDatabase {
 public:
  TestDatabase(const std::filesystem::path& dir, const std::string& file) {
    if (!usingPostgresql()) {
      url_ = "sqlite:" + (dir / file).string();
      return;
    }
    static std::atomic<int> counter{0};
    std::random_device rd;
    name_ = "fh_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" + std::to_string(rd() % 100000);
    admin().execScript("CREATE DATABASE " + name_ + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
    url_ = PgTestServer::get().url(name_);
  }
  ~TestDatabase() {
    if (name_.empty()) return;
    try {
      admin().execScript("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  static store::Connection& admin() {
    static std::unique_ptr<store::Connection> c = store::connect(PgTestServer::get().url("postgres"));
    return *c;
  }
  std::string url_;
  std::string name_;
};

/// The state and accounting databases of one test.
struct TestDatabases {
  explicit TestDatabases(const std::filesystem::path& dir) : state(dir, "state.db"), accounting(dir, "accounting.db") {}
  TestDatabase state;
  TestDatabase accounting;
};

}  // namespace fedihost::testing
