// The catalog's release and the migration of stored settings between schema versions.
#include "catalog/catalog.hh"

namespace fedihost::catalog {

const CatalogRelease& release() {
  // The nixpkgs branch the modules in nix/ are written against. A commit pin is
  // recorded here once a real NixOS provider builds machines (none can run here).
  static const CatalogRelease r{"2026.11.1", "nixos-24.11"};
  return r;
}

Result<std::pair<json::object, std::vector<std::string>>> migrateSettings(const App& app, int fromSchema,
                                                                           json::object settings) {
  if (fromSchema > app.schemaVersion)
    return Error::invalid("schemaVersion", app.name + " settings are of schema " + std::to_string(fromSchema) +
                                               ", newer than this catalog's " + std::to_string(app.schemaVersion));
  std::vector<std::string> changes;
  for (int v = fromSchema; v < app.schemaVersion; ++v) {
    const SettingsMigration* m = nullptr;
    for (auto& candidate : app.migrations)
      if (candidate.fromSchema == v) m = &candidate;
    if (!m || !m->apply)
      return Error::invalid("schemaVersion", app.name + " has no migration of its settings from schema " +
                                                 std::to_string(v) + " to " + std::to_string(v + 1));
    settings = m->apply(std::move(settings));
    changes.push_back(m->description);
  }
  return std::make_pair(std::move(settings), std::move(changes));
}

}  // namespace fedihost::catalog
