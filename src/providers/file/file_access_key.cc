// The file access-key provider: access-keys/<name>.json, with a generated
// Garage-style key id ("GK" + 24 hex digits) and the secret key kept sealed.
#include <sodium.h>

#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

std::string newAccessKeyId() {
  static const bool ok = sodium_init() >= 0;
  (void)ok;
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return "GK" + std::string(hex);
}

class FileAccessKeyProvider final : public ManifestProvider<AccessKeyProvider> {
 public:
  using ManifestProvider::ManifestProvider;

 protected:
  /// Named by the "name" attribute (the key's name at the provider), else by the resource name.
  Result<fs::path> manifestPath(const Resource& r) const override {
    std::string name = r.name;
    if (auto* n = r.attributes.if_contains("name"); n && n->is_string()) name = std::string(n->get_string());
    if (auto ok = FileStore::checkComponent("attributes.name", name); !ok) return ok.error();
    return fs::path("access-keys") / (name + ".json");
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesIn(deploymentDir / "access-keys", ".json");
  }

  Result<void> validate(const Resource& r) const override {
    if (auto* n = r.attributes.if_contains("name"); n && !n->is_string())
      return Error::invalid("attributes.name", "must be a string");
    if (auto* b = r.attributes.if_contains("buckets")) {
      const auto* arr = b->if_array();
      bool ok = arr != nullptr;
      if (arr)
        for (auto& e : *arr) ok = ok && e.is_string();
      if (!ok) return Error::invalid("attributes.buckets", "must be an array of bucket names");
    }
    return checkSealed(r.attributes, "secretKey", true);
  }

  /// The key id is generated once, on create, and kept across updates. Keys in files have no
  /// object storage: "endpoint" and "region" are empty (the machine's operator names them,
  /// fedihost.s3.endpoint and fedihost.s3.region).
  Result<json::object> outputs(const ResolvedResource&, const json::object* previous) override {
    const json::value* held = previous ? previous->if_contains("accessKeyId") : nullptr;
    json::value id = held && held->is_string() ? *held : json::value(newAccessKeyId());
    return json::object{{"accessKeyId", std::move(id)}, {"endpoint", ""}, {"region", ""}};
  }
};

}  // namespace

std::unique_ptr<AccessKeyProvider> makeAccessKeyProvider(const ProviderConfig& config) {
  return std::make_unique<FileAccessKeyProvider>(config);
}

}  // namespace fedihost::providers::file
