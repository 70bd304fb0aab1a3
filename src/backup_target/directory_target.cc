// The directory backup target: bundles stay where the backup wrote them,
// "<directory>/<deployment>/<backup>.fhb"; the location recorded is that absolute path.
#include <system_error>

#include "backup_target/backup_target.hh"

namespace fedihost::backup_target {
namespace {

class DirectoryTarget final : public BackupTarget {
 public:
  explicit DirectoryTarget(fs::path directory) : dir_(fs::absolute(std::move(directory))) {}

  std::string implementation() const override { return "directory"; }
  std::string describe() const override { return dir_.string(); }
  /// Any absolute path: the bundles of a backup directory configured before are read where they are.
  bool holds(std::string_view location) const override { return location.starts_with('/'); }
  std::string locationOf(const std::string& name) const override { return (dir_ / name).string(); }

  Result<StoredBundle> store(const fs::path& file, const std::string& name) override {
    const auto dest = dir_ / name;
    std::error_code ec;
    if (fs::absolute(file) != dest) {
      fs::create_directories(dest.parent_path(), ec);
      if (!ec) fs::rename(file, dest, ec);
      if (ec) return Error{ErrorKind::Internal, "cannot move " + file.string() + " to " + dest.string() + ": " + ec.message(), {}};
    }
    auto size = fs::file_size(dest, ec);
    if (ec) return Error{ErrorKind::Internal, "the bundle " + dest.string() + " is not there: " + ec.message(), {}};
    return StoredBundle{dest.string(), static_cast<std::int64_t>(size)};
  }

  Result<LocalBundle> fetch(const std::string& location, const fs::path&, std::int64_t) override {
    std::error_code ec;
    if (!fs::is_regular_file(location, ec)) return Error::notFound("the bundle is missing at " + location);
    return LocalBundle(location, false);
  }

  Result<void> remove(const std::string& location) override {
    std::error_code ec;
    fs::remove(location, ec);
    if (ec) return Error{ErrorKind::Internal, "cannot remove the bundle " + location + ": " + ec.message(), {}};
    return {};
  }

  Result<std::vector<StoredBundle>> list() override {
    std::vector<StoredBundle> out;
    std::error_code ec;
    if (!fs::exists(dir_, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (name.starts_with(".staging-")) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && name.ends_with(".fhb"))
        out.push_back({it->path().string(), static_cast<std::int64_t>(it->file_size())});
    }
    if (ec) return Error{ErrorKind::Internal, "cannot list " + dir_.string() + ": " + ec.message(), {}};
    return out;
  }

  /// Partial bundles and staging directories are the backups' own sweep (Backups::start).
  Result<int> sweep() override { return 0; }

 private:
  fs::path dir_;
};

}  // namespace

std::unique_ptr<BackupTarget> makeDirectoryTarget(const fs::path& directory) {
  return std::make_unique<DirectoryTarget>(directory);
}

}  // namespace fedihost::backup_target
