#include "core/domain.hh"

#include <array>
#include <utility>

namespace fedihost {
namespace {

template <class E, std::size_t N>
std::string_view nameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (auto& [k, v] : table)
    if (k == e) return v;
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> parse(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (auto& [k, v] : table)
    if (v == s) return k;
  return std::nullopt;
}

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoles{{
    {Role::Operator, "operator"}, {Role::OrgAdmin, "org-admin"}, {Role::Member, "member"}, {Role::Viewer, "viewer"}}};
constexpr std::array<std::pair<Scope, std::string_view>, 4> kScopes{
    {{Scope::Read, "read"}, {Scope::Write, "write"}, {Scope::Deploy, "deploy"}, {Scope::Admin, "admin"}}};
constexpr std::array<std::pair<DeploymentStatus, std::string_view>, 6> kDeploymentStatuses{{
    {DeploymentStatus::New, "new"},
    {DeploymentStatus::Applying, "applying"},
    {DeploymentStatus::Ready, "ready"},
    {DeploymentStatus::Failed, "failed"},
    {DeploymentStatus::Deleting, "deleting"},
    {DeploymentStatus::Deleted, "deleted"}}};
constexpr std::array<std::pair<ResourceKind, std::string_view>, 9> kKinds{{
    {ResourceKind::IpAddress, "ip-address"},
    {ResourceKind::Machine, "machine"},
    {ResourceKind::DnsRecordSet, "dns-record-set"},
    {ResourceKind::Database, "database"},
    {ResourceKind::Bucket, "bucket"},
    {ResourceKind::AccessKey, "access-key"},
    {ResourceKind::MailAccount, "mail-account"},
    {ResourceKind::NixosConfig, "nixos-config"},
    {ResourceKind::Certificate, "certificate"}}};
constexpr std::array<std::pair<ActionKind, std::string_view>, 5> kActions{{{ActionKind::Create, "create"},
                                                                           {ActionKind::Update, "update"},
                                                                           {ActionKind::Replace, "replace"},
                                                                           {ActionKind::Delete, "delete"},
                                                                           {ActionKind::Noop, "noop"}}};
constexpr std::array<std::pair<RunKind, std::string_view>, 3> kRunKinds{
    {{RunKind::Apply, "apply"}, {RunKind::Destroy, "destroy"}, {RunKind::Refresh, "refresh"}}};
constexpr std::array<std::pair<RunStatus, std::string_view>, 5> kRunStatuses{{{RunStatus::Queued, "queued"},
                                                                              {RunStatus::Running, "running"},
                                                                              {RunStatus::Succeeded, "succeeded"},
                                                                              {RunStatus::Failed, "failed"},
                                                                              {RunStatus::Cancelled, "cancelled"}}};
constexpr std::array<std::pair<DriftStatus, std::string_view>, 2> kDriftStatuses{
    {{DriftStatus::Changed, "changed"}, {DriftStatus::Missing, "missing"}}};
constexpr std::array<std::pair<StepStatus, std::string_view>, 5> kStepStatuses{{{StepStatus::Pending, "pending"},
                                                                                {StepStatus::Running, "running"},
                                                                                {StepStatus::Succeeded, "succeeded"},
                                                                                {StepStatus::Failed, "failed"},
                                                                                {StepStatus::Skipped, "skipped"}}};
}  // namespace

std::string_view toString(Role r) { return nameOf(kRoles, r); }
std::optional<Role> roleFromString(std::string_view s) { return parse(kRoles, s); }
bool roleIncludes(Role have, Role need) {
  // The enum lists roles strongest first.
  return static_cast<int>(have) <= static_cast<int>(need);
}
std::string_view toString(Scope s) { return nameOf(kScopes, s); }
std::optional<Scope> scopeFromString(std::string_view s) { return parse(kScopes, s); }
bool Session::hasScope(Scope s) const {
  for (auto x : scopes)
    if (x == s) return true;
  return false;
}
std::string_view toString(DeploymentStatus s) { return nameOf(kDeploymentStatuses, s); }
std::optional<DeploymentStatus> deploymentStatusFromString(std::string_view s) { return parse(kDeploymentStatuses, s); }
std::string_view toString(ResourceKind k) { return nameOf(kKinds, k); }
std::optional<ResourceKind> resourceKindFromString(std::string_view s) { return parse(kKinds, s); }
std::string_view toString(ActionKind a) { return nameOf(kActions, a); }
std::optional<ActionKind> actionKindFromString(std::string_view s) { return parse(kActions, s); }
std::string_view toString(RunKind k) { return nameOf(kRunKinds, k); }
std::optional<RunKind> runKindFromString(std::string_view s) { return parse(kRunKinds, s); }
std::string_view toString(RunStatus s) { return nameOf(kRunStatuses, s); }
std::string_view toString(DriftStatus s) { return nameOf(kDriftStatuses, s); }
std::optional<DriftStatus> driftStatusFromString(std::string_view s) { return parse(kDriftStatuses, s); }
std::optional<RunStatus> runStatusFromString(std::string_view s) { return parse(kRunStatuses, s); }
std::string_view toString(StepStatus s) { return nameOf(kStepStatuses, s); }
std::optional<StepStatus> stepStatusFromString(std::string_view s) { return parse(kStepStatuses, s); }

const std::vector<ResourceKind>& allResourceKinds() {
  static const std::vector<ResourceKind> kinds = [] {
    std::vector<ResourceKind> v;
    for (auto& [k, _] : kKinds) v.push_back(k);
    return v;
  }();
  return kinds;
}

std::string resourceKey(std::string_view deployment, ResourceKind kind, std::string_view name) {
  std::string key(deployment);
  key += '/';
  key += toString(kind);
  key += '/';
  key += name;
  return key;
}

bool Plan::empty() const {
  for (auto& a : actions)
    if (a.action != ActionKind::Noop) return false;
  return true;
}

}  // namespace fedihost
