#pragma once
// Helpers shared by the provider tests: a temporary root, resources, file reading.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "core/domain.hh"
#include "core/json_util.hh"
#include "providers/provider.hh"
#include "secrets/secret_box.hh"

namespace fedihost::providers::testing {

namespace fs = std::filesystem;
namespace json = boost::json;

/// A fresh directory under the system temporary directory, removed in TearDown.
class TempRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() /
            ("fedihost-providers-" + std::to_string(rd()) + "-" + std::to_string(rd())) / "targets" / "local";
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_.parent_path().parent_path(), ec);
  }

  ProviderConfig config(json::object settings = {}) const { return {"file", root_, std::move(settings)}; }

  /// Every regular file under `dir`, relative to it, sorted.
  static std::vector<std::string> filesUnder(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline json::value readJsonFile(const fs::path& p) { return jsonutil::parseTrusted(slurp(p)); }

inline Resource makeResource(const std::string& deployment, ResourceKind kind, const std::string& name, json::object attrs) {
  Resource r;
  r.deployment = deployment;
  r.kind = kind;
  r.name = name;
  r.key = resourceKey(deployment, kind, name);
  r.attributes = std::move(attrs);
  return r;
}

inline ResolvedResource resolved(Resource r) { return {std::move(r), nullptr}; }

/// The box the tests seal with (a fixed key).
inline const secrets::SecretBox& testBox() {
  static const secrets::SecretBox box([] {
    std::array<unsigned char, secrets::SecretBox::kKeySize> k{};
    k.fill(42);
    return k;
  }());
  return box;
}

/// A resolved secret reference as the executor hands it to a provider.
inline json::object sealedSecret(const std::string& name, const std::string& clear) {
  return {{"secret", name}, {"sealed", testBox().seal(clear)}};
}

}  // namespace fedihost::providers::testing
