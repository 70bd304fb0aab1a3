// The file database provider: databases/<name>.json, the password kept sealed.
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

class FileDatabaseProvider final : public ManifestProvider<DatabaseProvider> {
 public:
  using ManifestProvider::ManifestProvider;

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    auto name = stringAttribute(r.attributes, "name");
    if (!name) return name.error();
    if (auto ok = FileStore::checkComponent("attributes.name", *name); !ok) return ok.error();
    return fs::path("databases") / (*name + ".json");
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesIn(deploymentDir / "databases", ".json");
  }

  Result<void> validate(const Resource& r) const override {
    auto engine = stringAttribute(r.attributes, "engine");
    if (!engine) return engine.error();
    if (*engine != "postgresql" && *engine != "mysql")
      return Error::invalid("attributes.engine", "unknown database engine \"" + *engine + "\" (known: mysql, postgresql)");
    for (const char* name : {"name", "owner"}) {
      auto v = stringAttribute(r.attributes, name);
      if (!v) return v.error();
      if (auto ok = FileStore::checkComponent("attributes." + std::string(name), *v); !ok) return ok.error();
    }
    return checkSealed(r.attributes, "password", true);
  }

  /// A database in files stands for one on the machine's own server of its engine.
  Result<json::object> outputs(const ResolvedResource& r, const json::object*) override {
    const auto& a = r.resource.attributes;
    const bool mysql = a.contains("engine") && a.at("engine") == "mysql";
    return json::object{{"host", "localhost"},
                        {"port", mysql ? 3306 : 5432},
                        {"name", a.contains("name") ? a.at("name") : json::value()},
                        {"role", a.contains("owner") ? a.at("owner") : json::value()}};
  }
};

}  // namespace

std::unique_ptr<DatabaseProvider> makeDatabaseProvider(const ProviderConfig& config) {
  return std::make_unique<FileDatabaseProvider>(config);
}

}  // namespace fedihost::providers::file
