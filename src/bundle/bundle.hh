#pragma once
// The bundle: a deployment written to one file (docs/backup-and-migration.md).
//
// A bundle is a tar archive (POSIX pax) compressed with zstd, written by
// libarchive. Its entries, in this order:
//   manifest.json    format version, the deployment's desired state, its recorded
//                    resources, and every other part's name, resource, size and
//                    BLAKE2b-256 checksum;
//   secrets.sealed   the deployment's secrets in clear, and the manifest's checksum,
//                    as one JSON document sealed with the bundle key (libsodium
//                    secretbox): opening it proves the key and the manifest;
//   parts/<kind>/<resource name>/<file>   the data of each resource (a database's
//                    dump, a bucket's objects and their index, a file provider's file).
// Reading checks each part as it streams by: a part whose bytes or size differ, a
// part the manifest does not list, a listed part that never comes (a truncated or
// shortened bundle), a secrets part that does not open with the key, are each
// refused with an error naming the part (Error::field is the part's name).
#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hh"
#include "secrets/secret_box.hh"

namespace fedihost::bundle {

namespace json = boost::json;
namespace fs = std::filesystem;

inline constexpr int kFormatVersion = 1;
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kSecretsName = "secrets.sealed";

/// One entry of the bundle besides the manifest.
struct Part {
  std::string name;      ///< its path in the bundle, e.g. "parts/database/mastodon/dump.pgc"
  std::string kind;      ///< "secrets", or the resource kind ("database", "bucket", ...)
  std::string resource;  ///< the resource's name in its deployment ("" for the secrets)
  std::uint64_t size = 0;
  std::string blake2b;  ///< BLAKE2b-256 of the bytes, lower-case hex
};

/// What a bundle says about itself.
struct Manifest {
  int formatVersion = kFormatVersion;
  std::string createdAt;
  std::string keyId;         ///< which bundle key sealed the secrets (a hash of it, not the key)
  json::object deployment;   ///< desired state: id, organisation, name, domain, target, apps, catalog and nixpkgs versions
  json::array resources;     ///< recorded state: {key, kind, name, attributes, outputs} of every resource
  std::vector<Part> parts;   ///< every entry after the manifest, in the order written

  json::object toJson() const;
  /// Invalid (field "manifest.json") when a member is missing or wrong, or the format is unknown.
  static Result<Manifest> fromJson(const json::value& v);
  /// The parts of one resource.
  std::vector<const Part*> partsOf(std::string_view kind, std::string_view resource) const;
};

/// The installation's bundle key: 32 random bytes in a file of mode 0600 (like secret.key),
/// exportable as text for a restore on another installation.
class BundleKey {
 public:
  /// Loads the key, creating it if absent (SecretBox::openOrCreate's rules: 0600, whole or absent).
  static BundleKey openOrCreate(const fs::path& path);
  /// The key from its exported text ("fhbk1:" + base64); Invalid (field "key") otherwise.
  static Result<BundleKey> fromExport(std::string_view text);
  /// Writes the key to `path` (mode 0600); Conflict if a file is there already.
  Result<void> save(const fs::path& path) const;

  std::string exportText() const;
  /// A short public name of the key (hex of a keyed hash), written in manifests.
  std::string id() const;
  const secrets::SecretBox& box() const { return box_; }

 private:
  explicit BundleKey(const std::array<unsigned char, secrets::SecretBox::kKeySize>& key) : key_(key), box_(key) {}
  std::array<unsigned char, secrets::SecretBox::kKeySize> key_;
  secrets::SecretBox box_;
};

/// A part to write: its description (name, kind, resource) and the file holding its bytes.
struct PartSource {
  Part part;  ///< size and checksum are computed by the writer
  fs::path file;
};

/// What was written.
struct WrittenBundle {
  fs::path path;
  std::uint64_t size = 0;
  std::string blake2b;  ///< of the whole file
  Manifest manifest;
};

/// Writes a bundle to `out`: into "<out>.partial" first, synced, then renamed, so that a
/// bundle at `out` is always whole (a killed writer leaves only the .partial file, which
/// no reader takes for a bundle). `manifest.parts` is filled here.
Result<WrittenBundle> writeBundle(const fs::path& out, Manifest manifest,
                                  const std::map<std::string, std::string>& secrets, const BundleKey& key,
                                  const std::vector<PartSource>& parts, int zstdLevel = 3);

/// A bundle read back and checked.
struct OpenedBundle {
  Manifest manifest;
  std::map<std::string, std::string> secrets;  ///< in clear
};

/// Reads and checks a whole bundle: every part's size and checksum, no part missing or
/// unknown, the secrets open with `key` and seal this manifest. With `extractTo`, each
/// part is also written there under its name (only once it is checked: a part that
/// fails is removed). Errors are Invalid with `field` = the part at fault; NotFound if
/// the file does not exist.
Result<OpenedBundle> readBundle(const fs::path& file, const BundleKey& key,
                                const std::optional<fs::path>& extractTo = std::nullopt);

/// Only the manifest (the first entry), unchecked beyond its own form: for listings.
Result<Manifest> readManifest(const fs::path& file);

/// BLAKE2b-256 of a file, lower-case hex.
Result<std::string> fileChecksum(const fs::path& file);

}  // namespace fedihost::bundle
