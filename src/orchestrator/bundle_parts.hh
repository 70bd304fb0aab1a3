#pragma once
// What backups, restores and migrations share about a deployment's data (backups.cc):
// the bundle part names of a resource, and how a bucket's objects are reached.
#include <filesystem>
#include <string>
#include <vector>

#include "orchestrator/executor.hh"
#include "providers/provider.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

/// The part-name prefix of a resource's data: "parts/<kind>/<resource name>".
std::string partPrefix(ResourceKind kind, const std::string& name);

/// For a bucket: the access key among `resources` that reaches it, as the bucket's "dataAccess"
/// attribute (object calls go as the app, which owns its objects), its id from `outputsOf`.
/// Nothing if none reaches it; nothing for another kind.
Result<void> addDataAccess(store::StateStore& state, const secrets::SecretBox& box, const std::string& deployment,
                           const std::vector<RecordedResource>& resources, const OutputsLookup& outputsOf,
                           providers::ResolvedResource& rr);
/// As above, among the deployment's recorded resources.
Result<void> addDataAccess(store::StateStore& state, const secrets::SecretBox& box, const std::string& deployment,
                           providers::ResolvedResource& rr);

/// Recorded resources as a bundle's manifest lists them (and a migration keeps its old side):
/// [{key, kind, name, attributes, dependsOn, outputs}].
json::array resourcesJson(const std::vector<RecordedResource>& resources);

/// Removes a file or a directory tree; what cannot be removed is left.
void removeAll(const std::filesystem::path& p);

}  // namespace fedihost::orchestrator
