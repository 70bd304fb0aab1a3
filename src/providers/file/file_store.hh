#pragma once
// The logic every file provider shares: the directory of a deployment under the
// target's root, manifests written atomically as canonical JSON, lookup by
// identity key, pruning of empty directories, and cross-process locks.
//
// Layout: <root>/<deployment>/<kind-specific path>. A manifest is
//   {"attributes": {...}, "key": "<identity key>", "kind": "<kind>", "outputs": {...}}
// with attributes exactly as given (secrets stay sealed: a file provider never
// opens them). Files and directories whose names start with "." are ours
// (temporary files, locks) and are never taken for manifests.
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.hh"
#include "core/result.hh"
#include "providers/attributes.hh"
#include "providers/provider.hh"

namespace fedihost::providers::file {

namespace fs = std::filesystem;
namespace json = boost::json;

/// What a file provider keeps for one resource.
struct Manifest {
  std::string key;
  ResourceKind kind = ResourceKind::Machine;
  json::object attributes;
  json::object outputs;

  json::object toJson() const;
  /// Parses a manifest read from `path` (named in the error if it is not one).
  static Result<Manifest> fromJson(const json::value& v, const fs::path& path);
  Observed observed() const { return {attributes, outputs}; }
};

/// Holds an exclusive lock: a process-wide mutex plus an flock on a lock file,
/// so that neither two threads nor two processes hold it at once.
class FileLock {
 public:
  /// Blocks until the lock on `lockFile` is held. Throws AbortError(Provider) if the file cannot be opened.
  explicit FileLock(const fs::path& lockFile);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  std::unique_lock<std::mutex> threadLock_;
  int fd_ = -1;
};

/// How a write treats a file that exists already.
enum class WriteMode {
  Replace,   ///< rename over it
  IfAbsent,  ///< leave it; the write reports that it did nothing
};

/// File operations under one target root, shared by every file provider.
class FileStore {
 public:
  /// Files readable by the owner only (0600, directories 0700): the file target's records
  /// hold state and sealed secrets. Shared (0644, 0755) for files other daemons read (Postfix's maps).
  enum class Access { Private, Shared };
  explicit FileStore(const ProviderConfig& config, Access access = Access::Private);

  /// The target's root directory.
  const fs::path& root() const { return root_; }
  /// The provider settings from the target configuration.
  const json::object& settings() const { return settings_; }

  /// `<root>/<deployment>`; Invalid if the deployment id cannot be a directory name.
  Result<fs::path> deploymentDir(std::string_view deployment) const;

  /// Checks that `value` can be used as one file name (no "/", no leading ".", not
  /// empty, at most 200 bytes, no control characters); Invalid error naming `field` otherwise.
  static Result<void> checkComponent(std::string_view field, std::string_view value);

  /// Writes `content` to `path` atomically (temporary file in the same
  /// directory, fsync, rename or link, fsync of the directory), creating parent
  /// directories. Returns false if mode is IfAbsent and the file exists.
  Result<bool> write(const fs::path& path, std::string_view content, WriteMode mode = WriteMode::Replace) const;
  Access access() const { return access_; }

  /// The content of a file, or nullopt if it does not exist.
  Result<std::optional<std::string>> readText(const fs::path& path) const;
  /// A JSON file, or nullopt if it does not exist; Internal error if it is not JSON.
  Result<std::optional<json::value>> readJson(const fs::path& path) const;

  /// Deletes a file; an absent file is not an error.
  Result<void> removeFile(const fs::path& path) const;

  /// Removes `dir` and its parents while they are empty, up to and including
  /// `deploymentDir`, never above it.
  void prune(fs::path dir, const fs::path& deploymentDir) const;

  /// Removes every empty directory under `deploymentDir`, deepest first, then it if empty: what
  /// a remove killed between deleting its file and pruning its directory left behind.
  void pruneEmptyUnder(const fs::path& deploymentDir) const;

  /// Regular files directly in `dir` whose names end with `suffix`, sorted; none if `dir` is absent.
  Result<std::vector<fs::path>> filesIn(const fs::path& dir, std::string_view suffix) const;
  /// `<dir>/*/<name>` that exist, sorted.
  Result<std::vector<fs::path>> filesInSubdirs(const fs::path& dir, std::string_view name) const;
  /// Every deployment directory under the root, sorted.
  Result<std::vector<fs::path>> deploymentDirs() const;

  /// Takes the named lock of this root (flock on `<root>/.<name>.lock`).
  std::unique_ptr<FileLock> lock(std::string_view name) const;

 private:
  fs::path root_;
  json::object settings_;
  Access access_ = Access::Private;
};

/// Base of the file providers that keep one manifest file per resource. A
/// kind supplies where its manifest lives, where to look for manifests, how
/// to check attributes and what outputs to give; create/read/update/remove/list
/// are done here once for all of them.
template <class Interface>
class ManifestProvider : public Interface {
 public:
  explicit ManifestProvider(const ProviderConfig& config) : store_(config) {}

  /// "file".
  std::string implementation() const override { return "file"; }
  /// Updates in place, lists, and copies its file for bundles.
  Capabilities capabilities() const override { return {true, true, true}; }

  /// Writes the manifest; returns the existing one unchanged if the key is already held.
  Result<Observed> create(const ResolvedResource& r) override;
  /// Finds the manifest by identity key; NotFound if absent.
  Result<Observed> read(const ResolvedResource& r) override;
  /// Rewrites the manifest (moving it if its path depends on a changed attribute); NotFound if absent.
  Result<Observed> update(const ResolvedResource& r) override;
  /// Deletes the manifest and prunes empty directories; an absent one is not an error.
  Result<void> remove(const ResolvedResource& r) override;
  /// Identity keys of the manifests of this kind in the deployment's directory.
  Result<std::vector<std::string>> list(std::string_view deployment) override;
  /// Copies the resource's manifest file into `dir` under its own name.
  Result<void> exportData(const ResolvedResource& r, const fs::path& dir) override;
  /// Nothing to load: a file provider's file is what the apply wrote from the desired state
  /// (the bundle keeps the old one for inspection and comparison).
  Result<void> importData(const ResolvedResource&, const fs::path&) override { return {}; }
  Result<void> discardData(const ResolvedResource&) override { return {}; }

 protected:
  /// Path of the manifest of `r`, relative to the deployment directory.
  virtual Result<fs::path> manifestPath(const Resource& r) const = 0;
  /// Every manifest of this kind in a deployment directory.
  virtual Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const = 0;
  /// Checks the attributes; Invalid error naming the field at fault.
  virtual Result<void> validate(const Resource& r) const = 0;
  /// The outputs to store: on create `previous` is null, on update it holds the stored outputs.
  virtual Result<json::object> outputs(const ResolvedResource& r, const json::object* previous) = 0;

  /// Writes a manifest (kinds that keep more than one file override this).
  virtual Result<bool> writeManifest(const fs::path& path, const Manifest& m, WriteMode mode);
  /// Loads a manifest, nullopt if absent.
  virtual Result<std::optional<Manifest>> loadManifest(const fs::path& path);
  /// Deletes the file(s) of a manifest.
  virtual Result<void> removeManifest(const fs::path& path);

  /// The manifest holding `key` in a deployment directory, with its path.
  Result<std::optional<std::pair<fs::path, Manifest>>> findByKey(const fs::path& deploymentDir, const std::string& key);

  FileStore store_;

 private:
  Result<void> checkResource(const Resource& r) const;
};

extern template class ManifestProvider<IpAddressProvider>;
extern template class ManifestProvider<MachineProvider>;
extern template class ManifestProvider<DatabaseProvider>;
extern template class ManifestProvider<BlobProvider>;
extern template class ManifestProvider<AccessKeyProvider>;
extern template class ManifestProvider<MailProvider>;
extern template class ManifestProvider<NixosProvider>;
extern template class ManifestProvider<CertificateProvider>;

using providers::checkSealed;
using providers::stringAttribute;

}  // namespace fedihost::providers::file
