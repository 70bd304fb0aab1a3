#include "catalog/upgrade.hh"

#include "catalog/catalog.hh"

namespace fedihost::catalog {
namespace {

int schemaOf(const AppInstance& inst, const App& app) {
  return inst.schemaVersion == 0 ? app.schemaVersion : inst.schemaVersion;
}
std::string versionOf(const AppInstance& inst, const App& app) {
  return inst.version.empty() ? app.version : inst.version;
}

}  // namespace

void stampCurrentVersions(Deployment& d) {
  d.catalogVersion = release().version;
  d.nixpkgsRevision = release().nixpkgsRevision;
  for (auto& inst : d.apps)
    if (auto* app = find(inst.app)) {
      inst.version = app->version;
      inst.schemaVersion = app->schemaVersion;
    }
}

bool onCurrentSchema(const AppInstance& inst) {
  auto* app = find(inst.app);
  return !app || schemaOf(inst, *app) == app->schemaVersion;
}

UpgradeInfo upgradeFor(const Deployment& d) {
  UpgradeInfo info;
  info.fromCatalog = d.catalogVersion;
  info.fromNixpkgs = d.nixpkgsRevision;
  info.toCatalog = release().version;
  info.toNixpkgs = release().nixpkgsRevision;
  for (auto& inst : d.apps) {
    auto* app = find(inst.app);
    if (!app) continue;
    AppUpgrade u{inst.app, versionOf(inst, *app), app->version, schemaOf(inst, *app), app->schemaVersion, {}};
    if (u.fromVersion != u.toVersion) u.changes.push_back(app->name + " " + u.fromVersion + " → " + u.toVersion);
    for (auto& m : app->migrations)
      if (m.fromSchema >= u.fromSchema && m.fromSchema < u.toSchema) u.changes.push_back(m.description);
    if (!u.changes.empty()) info.apps.push_back(std::move(u));
  }
  info.available = !info.apps.empty() || info.fromCatalog != info.toCatalog || info.fromNixpkgs != info.toNixpkgs;
  return info;
}

Result<Deployment> upgrade(Deployment d) {
  for (std::size_t i = 0; i < d.apps.size(); ++i) {
    auto& inst = d.apps[i];
    auto* app = find(inst.app);
    if (!app) return Error::invalid("apps[" + std::to_string(i) + "].app", "\"" + inst.app + "\" left the catalog");
    auto migrated = migrateSettings(*app, schemaOf(inst, *app), std::move(inst.settings));
    if (!migrated) return migrated.error();
    auto valid = validateSettings(*app, json::value(std::move(migrated->first)),
                                  "apps[" + std::to_string(i) + "].settings");
    if (!valid) return valid.error();
    inst.settings = std::move(*valid);
  }
  stampCurrentVersions(d);
  return d;
}

}  // namespace fedihost::catalog
