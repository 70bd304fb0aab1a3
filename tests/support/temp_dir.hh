#pragma once
// A temporary directory removed when it goes out of scope (also on test failure).
#include <filesystem>
#include <random>
#include <string>

namespace fedihost::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "fedihost-test") {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

}  // namespace fedihost::testing
