#pragma once
// A local site for tests: starts services with scripts/site/<service>.sh in a
// temporary directory and stops them by PID on destruction (also when the test
// fails). Each service's provider.json is its part of a target configuration:
//   {"<resource kind>": {"implementation": "...", "settings": {...}}, ...}
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/process.hh"
#include "support/temp_dir.hh"

#ifndef FEDIHOST_SOURCE_DIR
#error "FEDIHOST_SOURCE_DIR must be defined"
#endif

namespace fedihost::testing {

class Site {
 public:
  /// Starts each service ("powerdns", "postgresql", "s3", "postfix", ...); throws with the script's output on failure.
  explicit Site(std::vector<std::string> services) : services_(std::move(services)) {
    for (auto& s : services_) {
      auto r = run(script(s) + " start " + dir_.path().string());
      if (r.exitCode != 0) {
        stopAll();
        throw std::runtime_error("starting " + s + " failed:\n" + r.output);
      }
      started_.push_back(s);
    }
  }
  ~Site() { stopAll(); }
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }
  /// DIR/<service>/provider.json, parsed.
  boost::json::object providerConfig(const std::string& service) const {
    std::ifstream in(dir_.path() / service / "provider.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return boost::json::parse(ss.str()).as_object();
  }
  /// The settings of one kind from a service's provider.json.
  boost::json::object settings(const std::string& service, const std::string& kind) const {
    return providerConfig(service).at(kind).as_object().at("settings").as_object();
  }
  /// Every started service's provider.json merged into one "providers" object.
  boost::json::object providers() const {
    boost::json::object all;
    for (auto& s : started_)
      for (auto& [k, v] : providerConfig(s)) all[k] = v;
    return all;
  }
  /// providers() with {"implementation": "file"} named for each of `fileKinds` the started services
  /// do not serve: a target names every kind it needs, the ones a test keeps in files too.
  boost::json::object providers(std::initializer_list<const char*> fileKinds) const {
    auto all = providers();
    for (auto* kind : fileKinds)
      if (!all.contains(kind)) all[kind] = boost::json::object{{"implementation", "file"}};
    return all;
  }

 private:
  static std::string script(const std::string& service) {
    return std::string(FEDIHOST_SOURCE_DIR) + "/scripts/site/" + service + ".sh";
  }
  void stopAll() {
    for (auto it = started_.rbegin(); it != started_.rend(); ++it)
      run(script(*it) + " stop " + dir_.path().string());
    started_.clear();
  }

  std::vector<std::string> services_;
  std::vector<std::string> started_;
  TempDir dir_{"site"};
};

/// A setting of a service's provider.json as text (a number as written).
inline std::string settingText(const boost::json::object& settings, const char* key) {
  const auto& v = settings.at(key);
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

/// One SQL command through psql, as `user` with `password`, on the site's PostgreSQL.
inline CommandResult psqlAt(const Site& site, const std::string& db, const std::string& user,
                            const std::string& password, const std::string& sql) {
  auto pg = site.settings("postgresql", "database");
  return run("PGPASSWORD=" + shellQuote(password) +
             " PGCONNECT_TIMEOUT=5 psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + settingText(pg, "port") +
             " -U " + shellQuote(user) + " -d " + shellQuote(db) + " -c " + shellQuote(sql));
}

/// The AWS CLI against the site's S3 server with the given key, and nothing from the environment.
inline CommandResult awsAt(const Site& site, const std::string& id, const std::string& secretKey,
                           const std::string& args) {
  auto s3 = site.settings("s3", "bucket");
  return run("env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_CONFIG_FILE=/dev/null "
             "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 "
             "AWS_DEFAULT_REGION=" + settingText(s3, "region") + " AWS_ACCESS_KEY_ID=" + shellQuote(id) +
             " AWS_SECRET_ACCESS_KEY=" + shellQuote(secretKey) + " /usr/bin/aws --endpoint-url " +
             settingText(s3, "endpoint") + " " + args);
}

/// A test suite whose tests share one site, started once before the first test:
///   class MyTest : public SharedSite<MyTest> {
///     static void SetUpTestSuite() { startSite({"postgresql"}); }
///   };
/// A site that fails to start fails every test with the script's output.
template <class Suite>
class SharedSite : public ::testing::Test {
 protected:
  static void startSite(std::vector<std::string> services) {
    try {
      site_ = std::make_unique<Site>(std::move(services));
    } catch (const std::exception& e) {
      siteError_ = e.what();
    }
  }
  static void TearDownTestSuite() { site_.reset(); }
  void SetUp() override { ASSERT_NE(site_, nullptr) << siteError_; }

  static inline std::unique_ptr<Site> site_;
  static inline std::string siteError_;
};

}  // namespace fedihost::testing
