#pragma once
// Bundles as another release or a damaged disk would leave them, for restore tests: a backup
// row whose bundle is a real one's manifest and parts with other secrets, or changed after.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "bundle/bundle.hh"
#include "store/backup_store.hh"

namespace fedihost::testing {

/// A complete backup of `deployment` whose bundle, written at `path`, holds `opened`'s manifest and
/// parts (extracted under `extracted` by readBundle) with `secrets` instead of its own; `change`,
/// if given, then alters the file (a truncation, a flipped byte).
inline std::string forgedBackup(store::BackupStore& jobs, const std::string& deployment, const std::string& organisation,
                                const bundle::OpenedBundle& opened, const std::filesystem::path& extracted,
                                const bundle::BundleKey& key, const std::map<std::string, std::string>& secrets,
                                const std::filesystem::path& path,
                                const std::function<void(const std::filesystem::path&)>& change = {}) {
  std::vector<bundle::PartSource> parts;
  for (auto& p : opened.manifest.parts)
    if (p.name != bundle::kSecretsName) parts.push_back({p, extracted / p.name});
  auto w = bundle::writeBundle(path, opened.manifest, secrets, key, parts);
  EXPECT_TRUE(w) << w.error().message;
  if (change) change(path);
  auto b = jobs.createBackup(deployment, organisation, "");
  jobs.finishBackup(b.id, path.string(), static_cast<std::int64_t>(std::filesystem::file_size(path)), "");
  return b.id;
}

}  // namespace fedihost::testing
