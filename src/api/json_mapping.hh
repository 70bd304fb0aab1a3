#pragma once
// The JSON shapes of the domain types in the API (see docs/api.md).
#include <boost/json.hpp>
#include <optional>
#include <string>

#include "catalog/upgrade.hh"
#include "core/domain.hh"
#include "store/account_store.hh"
#include "store/backup_store.hh"
#include "store/state_store.hh"

namespace fedihost::api::mapping {

namespace json = boost::json;

/// null for "", else the string: optional text fields in the API's JSON.
json::value orNull(const std::string& s);

json::object toJson(const Organisation& o);
json::object toJson(const User& u);
/// A session (`current`: the one making the request) or an API token (never its secret).
json::object toJson(const Session& s, bool current = false);
/// An invitation and its state at `now`.
json::object toJson(const store::Invitation& i, const std::string& now);
/// A claimed domain with the TXT record that proves it.
json::object toJson(const store::OrganisationDomain& d);
json::object toJson(const store::Member& m);
json::object toJson(const Resource& r);
json::object toJson(const PlanAction& a);
json::object toJson(const Plan& p);
json::object toJson(const RunStep& s);
/// A run; its steps only if it has them.
json::object toJson(const Run& r);
/// A saved plan: the plan's JSON plus its id, creation time and the run that applied it.
json::object toJson(const SavedPlan& p, const Plan& plan);
json::object toJson(const Drift& d);
/// A deployment's drift status.
json::object driftJson(const std::string& deployment, const std::string& refreshedAt, const std::vector<Drift>& drift,
                       const std::vector<std::string>& errors = {});
/// A deployment with each app's URL and its latest run (never a server path).
json::object toJson(const Deployment& d, const std::optional<Run>& lastRun);

json::object toJson(const catalog::UpgradeInfo& u);
/// The journal of a backup, restore or migration: {"journal": [{seq, at, part, message}]}.
json::object journalJson(store::BackupStore& jobs, const std::string& id);

/// A page: {"items": [...], "next": cursor or null}.
template <class T, class F>
json::object page(const store::Page<T>& p, F&& map) {
  json::array items;
  for (auto& i : p.items) items.push_back(map(i));
  json::object o{{"items", std::move(items)}};
  if (p.next.empty())
    o["next"] = nullptr;
  else
    o["next"] = p.next;
  return o;
}

}  // namespace fedihost::api::mapping
