// The registry of backup targets and what their URLs mean (backup_target.hh).
#include "backup_target/backup_target.hh"

#include <map>
#include <mutex>

#include "backup_target/implementations.hh"

namespace fedihost::backup_target {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, TargetFactory> factories;
  Registry() {
    factories["directory"] = [](const TargetConfig& c) { return makeDirectoryTarget(c.directory); };
    factories["s3"] = makeS3Target;
  }
  static Registry& instance() {
    static Registry r;
    return r;
  }
};

}  // namespace

LocalBundle::~LocalBundle() {
  if (!temporary_) return;
  std::error_code ec;
  fs::remove(path_, ec);
}

Result<S3Url> parseS3Url(std::string_view url, const std::string& field) {
  constexpr std::string_view scheme = "s3://";
  if (!url.starts_with(scheme))
    return Error::invalid(field, field + " must be s3://BUCKET or s3://BUCKET/PREFIX, not \"" + std::string(url) + "\"");
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  S3Url out{std::string(rest.substr(0, slash)), slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1))};
  // Bucket names as S3 allows them: 3 to 63 of [a-z0-9.-], starting and ending with a letter or digit.
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool good = out.bucket.size() >= 3 && out.bucket.size() <= 63 && alnum(out.bucket.front()) && alnum(out.bucket.back());
  for (char c : out.bucket) good = good && (alnum(c) || c == '-' || c == '.');
  if (!good)
    return Error::invalid(field, field + ": \"" + out.bucket +
                                     "\" is not a bucket name (3 to 63 lower-case letters, digits, dots and dashes)");
  while (out.prefix.ends_with('/')) out.prefix.pop_back();
  if (out.prefix.starts_with('/') || out.prefix.find("//") != std::string::npos)
    return Error::invalid(field, field + ": the prefix \"" + out.prefix + "\" has an empty path segment");
  for (unsigned char c : out.prefix)
    if (c < 0x20 || c == 0x7f)
      return Error::invalid(field, field + ": the prefix holds a control character");
  return out;
}

std::string objectKey(const S3Url& url, std::string_view name) {
  return url.prefix.empty() ? std::string(name) : url.prefix + "/" + std::string(name);
}

Result<std::string> implementationOf(std::string_view url, const std::string& field) {
  if (url.empty() || url == "directory") return std::string("directory");
  auto colon = url.find("://");
  auto scheme = colon == std::string_view::npos ? std::string(url) : std::string(url.substr(0, colon));
  {
    auto& r = Registry::instance();
    std::lock_guard lock(r.mu);
    if (colon != std::string_view::npos && r.factories.contains(scheme)) return scheme;
    std::string known;
    for (auto& [name, f] : r.factories)
      if (name != "directory") known += (known.empty() ? "" : ", ") + name + "://…";
    return Error::invalid(field, field + " \"" + std::string(url) + "\" names no known backup target: give \"\" "
                                         "(the backup directory) or " + known);
  }
}

void registerTarget(const std::string& implementation, TargetFactory factory) {
  auto& r = Registry::instance();
  std::lock_guard lock(r.mu);
  r.factories[implementation] = std::move(factory);
}

Result<std::unique_ptr<BackupTarget>> makeTarget(const TargetConfig& config) {
  auto impl = implementationOf(config.url, "orchestrator.backup_target");
  if (!impl) return impl.error();
  TargetFactory factory;
  {
    auto& r = Registry::instance();
    std::lock_guard lock(r.mu);
    factory = r.factories.at(*impl);
  }
  try {
    return factory(config);
  } catch (const AbortError& e) {
    return e.error();
  }
}

}  // namespace fedihost::backup_target
