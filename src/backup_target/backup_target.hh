#pragma once
// Where backups' bundles are kept (docs/backup-and-migration.md, "Backup target"):
// a directory (the default, DATA/backups) or an S3 bucket at a third party.
//
// A bundle is always written whole into the backup directory first (the spool:
// "<deployment>/<backup>.fhb", via a ".partial" name, synced and checked), then
// handed to the target. The directory target keeps it there; the S3 target uploads
// it in parts of a bounded size (multipart upload, each part's MD5 checked against
// the ETag S3 answers, aborted on any failure), confirms the object's size with a
// HEAD, and only then lets the spool copy go. A backup is complete once store()
// has returned its location; that location is what the backup's row records: an
// absolute path (a directory) or "s3://BUCKET/KEY".
//
// Implementations register themselves by name, like the providers: "directory", "s3".
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hh"

namespace fedihost::backup_target {

namespace fs = std::filesystem;

/// The configuration of a target (the `orchestrator.backup_*` options).
struct TargetConfig {
  std::string url;     ///< "" (the directory) or "s3://BUCKET[/PREFIX]"
  fs::path directory;  ///< the backup directory: the target itself, or the S3 target's spool
  std::string endpoint;  ///< S3: "https://s3.example.net" (may carry a path)
  std::string region = "us-east-1";
  bool pathStyle = true;  ///< S3: "endpoint/BUCKET/KEY" rather than "BUCKET.endpoint/KEY"
  std::string accessKeyId;      ///< S3: secret (from a file or a systemd credential)
  std::string secretAccessKey;  ///< S3: secret
  std::int64_t partSize = 16 << 20;  ///< S3: bytes per uploaded part and per ranged GET (5 MiB at least)
  std::chrono::milliseconds timeout{120000};  ///< S3: the limit on each call (a part's upload included)
};

/// "s3://BUCKET[/PREFIX]" taken apart; the prefix has no slash at either end.
struct S3Url {
  std::string bucket;
  std::string prefix;
};
/// Parses an S3 target URL; Invalid (field `field`) naming what is wrong.
Result<S3Url> parseS3Url(std::string_view url, const std::string& field);
/// The key of a bundle named `name` under `prefix` ("PREFIX/name", or `name` without a prefix).
std::string objectKey(const S3Url& url, std::string_view name);
/// The implementation a target URL names: "directory" for "", "s3" for "s3://…"; Invalid otherwise.
Result<std::string> implementationOf(std::string_view url, const std::string& field);

/// A bundle as a target holds it.
struct StoredBundle {
  std::string location;  ///< what a backup's row records
  std::int64_t size = 0;
};

/// A bundle as a local file, for reading: the target's own file (directory), or a copy
/// fetched into the spool (S3), removed when this object goes.
class LocalBundle {
 public:
  LocalBundle(fs::path path, bool temporary) : path_(std::move(path)), temporary_(temporary) {}
  LocalBundle(LocalBundle&& o) noexcept : path_(std::move(o.path_)), temporary_(std::exchange(o.temporary_, false)) {}
  LocalBundle& operator=(LocalBundle&&) = delete;
  LocalBundle(const LocalBundle&) = delete;
  ~LocalBundle();
  const fs::path& path() const { return path_; }
  bool temporary() const { return temporary_; }

 private:
  fs::path path_;
  bool temporary_ = false;
};

class BackupTarget {
 public:
  virtual ~BackupTarget() = default;

  /// "directory" or "s3".
  virtual std::string implementation() const = 0;
  /// Where bundles go, for logs and journals (never a secret): the directory, or "s3://BUCKET/PREFIX".
  virtual std::string describe() const = 0;
  /// True if `location` (a backup's recorded location) is this target's to read and remove.
  virtual bool holds(std::string_view location) const = 0;
  /// The location store() gives a bundle named `name` (to remove what a killed backup stored
  /// before it was recorded).
  virtual std::string locationOf(const std::string& name) const = 0;

  /// Stores the whole, checked bundle file `file` under `name` ("<deployment>/<backup>.fhb") and
  /// returns its location once the target confirms it holds every byte. The directory keeps the
  /// file where it is; the S3 target uploads it and removes the spool copy once confirmed. On
  /// failure nothing is left at the target (an upload in progress is aborted) and the error
  /// carries the target's message.
  virtual Result<StoredBundle> store(const fs::path& file, const std::string& name) = 0;
  /// The bundle at `location` as a local file: the file itself (directory), or fetched into
  /// `spoolFile` by ranged GETs of a bounded size (S3). With `maxBytes`, only the first
  /// `maxBytes` bytes need be there (enough for the manifest). NotFound if it is gone.
  virtual Result<LocalBundle> fetch(const std::string& location, const fs::path& spoolFile,
                                    std::int64_t maxBytes = -1) = 0;
  /// Removes the bundle at `location`; one already gone is success.
  virtual Result<void> remove(const std::string& location) = 0;
  /// Every bundle ("*.fhb") the target holds, with its size.
  virtual Result<std::vector<StoredBundle>> list() = 0;
  /// Removes what an interrupted store() left at the target (S3: multipart uploads under the
  /// prefix, aborted); how many. Only while no other instance may be storing.
  virtual Result<int> sweep() = 0;
};

using TargetFactory = std::function<std::unique_ptr<BackupTarget>(const TargetConfig&)>;
/// Registers an implementation by name (the built-in "directory" and "s3" are registered first).
void registerTarget(const std::string& implementation, TargetFactory factory);
/// The target `config.url` names; Invalid (field "orchestrator.backup_target") for an unknown
/// scheme naming the known ones, or a setting the implementation lacks.
Result<std::unique_ptr<BackupTarget>> makeTarget(const TargetConfig& config);
/// The directory target on `directory` (bundles of backups made before an S3 target was configured).
std::unique_ptr<BackupTarget> makeDirectoryTarget(const fs::path& directory);

}  // namespace fedihost::backup_target
