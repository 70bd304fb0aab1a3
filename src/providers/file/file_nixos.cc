// The file NixOS provider: machines/<machine>/configuration.json holds exactly
// the configuration (canonical JSON, what the static NixOS modules read), and
// machines/<machine>/configuration.meta.json the manifest without it (its key,
// so the resource can be found, and its other attributes).
#include "core/json_util.hh"
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

constexpr const char* kMeta = "configuration.meta.json";
constexpr const char* kConfiguration = "configuration.json";

class FileNixosProvider final : public ManifestProvider<NixosProvider> {
 public:
  using ManifestProvider::ManifestProvider;

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    auto machine = stringAttribute(r.attributes, "machine");
    if (!machine) return machine.error();
    if (auto ok = FileStore::checkComponent("attributes.machine", *machine); !ok) return ok.error();
    return fs::path("machines") / *machine / kMeta;
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesInSubdirs(deploymentDir / "machines", kMeta);
  }

  Result<void> validate(const Resource& r) const override {
    if (auto p = manifestPath(r); !p) return p.error();
    auto* c = r.attributes.if_contains("configuration");
    if (!c || !c->is_object()) return Error::invalid("attributes.configuration", "must be an object");
    return {};
  }

  Result<json::object> outputs(const ResolvedResource&, const json::object*) override { return json::object{}; }

  /// The configuration first, then the manifest: a manifest is never without its configuration.
  Result<bool> writeManifest(const fs::path& path, const Manifest& m, WriteMode mode) override {
    if (mode == WriteMode::IfAbsent) {
      auto existing = store_.readText(path);
      if (!existing) return existing.error();
      if (*existing) return false;
    }
    Manifest meta = m;
    json::value configuration = json::object{};
    if (auto it = meta.attributes.find("configuration"); it != meta.attributes.end()) {
      configuration = it->value();
      meta.attributes.erase(it);
    }
    auto conf = store_.write(path.parent_path() / kConfiguration, jsonutil::canonical(configuration));
    if (!conf) return conf.error();
    return store_.write(path, jsonutil::canonical(meta.toJson()), mode);
  }

  Result<std::optional<Manifest>> loadManifest(const fs::path& path) override {
    auto meta = ManifestProvider::loadManifest(path);
    if (!meta || !*meta) return meta;
    auto conf = store_.readJson(path.parent_path() / kConfiguration);
    if (!conf) return conf.error();
    // Absent only after an interrupted remove; the orchestrator then sees the drift.
    if (*conf) (*meta)->attributes["configuration"] = std::move(**conf);
    return meta;
  }

  /// The configuration first, then the manifest, so a retried remove still finds what is left.
  Result<void> removeManifest(const fs::path& path) override {
    if (auto r = store_.removeFile(path.parent_path() / kConfiguration); !r) return r;
    return store_.removeFile(path);
  }
};

}  // namespace

std::unique_ptr<NixosProvider> makeNixosProvider(const ProviderConfig& config) {
  return std::make_unique<FileNixosProvider>(config);
}

}  // namespace fedihost::providers::file
