#pragma once
// Versions of a deployment against the catalog: what an upgrade would change,
// and the upgrade itself (settings migrated, versions recorded). A deployment
// keeps the versions it was configured with until its owner asks to upgrade.
#include <string>
#include <vector>

#include "core/domain.hh"
#include "core/result.hh"

namespace fedihost::catalog {

struct AppUpgrade {
  std::string app;
  std::string fromVersion, toVersion;
  int fromSchema = 0, toSchema = 0;
  std::vector<std::string> changes;  ///< plain-language descriptions of what changes
};

struct UpgradeInfo {
  bool available = false;
  std::string fromCatalog, fromNixpkgs;
  std::string toCatalog, toNixpkgs;
  std::vector<AppUpgrade> apps;  ///< only the apps that change
};

/// Records the current catalog release and app versions on a new deployment
/// (its settings must already be valid for the current schemas).
void stampCurrentVersions(Deployment& d);

/// What upgrading `d` to the current catalog would change.
UpgradeInfo upgradeFor(const Deployment& d);

/// `d` upgraded: settings migrated to the current schemas and validated
/// (defaults of new settings filled in), versions recorded. Invalid if a
/// migration is missing or migrated settings do not validate (field named).
Result<Deployment> upgrade(Deployment d);

/// Whether an app instance's settings are of the catalog's current schema.
bool onCurrentSchema(const AppInstance& inst);

}  // namespace fedihost::catalog
