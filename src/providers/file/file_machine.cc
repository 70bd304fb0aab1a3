// The file machine provider: machines/<name>/machine.json.
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

class FileMachineProvider final : public ManifestProvider<MachineProvider> {
 public:
  using ManifestProvider::ManifestProvider;

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    if (auto ok = FileStore::checkComponent("name", r.name); !ok) return ok.error();
    return fs::path("machines") / r.name / "machine.json";
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesInSubdirs(deploymentDir / "machines", "machine.json");
  }

  Result<void> validate(const Resource& r) const override {
    if (auto host = stringAttribute(r.attributes, "hostname"); !host) return host.error();
    for (const char* size : {"cpu", "memoryMiB", "diskGiB"}) {
      auto* v = r.attributes.if_contains(size);
      if (!v) continue;
      bool positive = (v->is_int64() && v->get_int64() > 0) || (v->is_uint64() && v->get_uint64() > 0);
      if (!positive) return Error::invalid("attributes." + std::string(size), "must be a positive integer");
    }
    if (auto* a = r.attributes.if_contains("address"); a && !a->is_string())
      return Error::invalid("attributes.address", "must be a string");
    return {};
  }

  Result<json::object> outputs(const ResolvedResource& r, const json::object*) override {
    return json::object{{"hostname", r.resource.attributes.at("hostname")}};
  }
};

}  // namespace

std::unique_ptr<MachineProvider> makeMachineProvider(const ProviderConfig& config) {
  return std::make_unique<FileMachineProvider>(config);
}

}  // namespace fedihost::providers::file
