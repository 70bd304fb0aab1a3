#pragma once
// The domain types of fedihost, named as in DESIGN.md ("The words").
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fedihost {

namespace json = boost::json;

/// A customer (tenant); owns deployments.
struct Organisation {
  std::string id;  ///< "org_…"
  std::string name;
  std::string displayName;
  std::string createdAt;
  bool requireTotp = false;  ///< members must have a second factor to act in it
};

/// A user's role in an organisation (a grant), weakest last. Operators are not
/// granted roles: they are the provider's staff and see every organisation.
enum class Role { Operator, OrgAdmin, Member, Viewer };
std::string_view toString(Role r);
std::optional<Role> roleFromString(std::string_view s);
/// True when `have` includes every right of `need` (org-admin ⊇ member ⊇ viewer; operator ⊇ all).
bool roleIncludes(Role have, Role need);

/// A person who logs in. Operators are the provider's staff; every other user
/// acts through grants (a role in an organisation).
struct User {
  std::string id;  ///< "usr_…"
  std::string email;
  bool isOperator = false;
  bool disabled = false;
  bool totpEnabled = false;
  std::string createdAt;
};

/// A user's role in one organisation.
struct Grant {
  std::string organisation;
  Role role = Role::Viewer;
};

/// What an API token or a login session may do; a login session has every scope.
enum class Scope { Read, Write, Deploy, Admin };
std::string_view toString(Scope s);
std::optional<Scope> scopeFromString(std::string_view s);

/// A login session (panel, CLI) or an API token, as stored (its secret only as a hash).
struct Session {
  std::string id;  ///< "ses_…" or "tok_…"
  std::string userId;
  bool isToken = false;
  std::string name;
  std::vector<Scope> scopes;
  std::string organisation;  ///< a token bound to one organisation ("" = all of the user's)
  std::string createdAt;
  std::string lastUsedAt;
  std::string expiresAt;     ///< absolute expiry ("" = never)
  std::int64_t idleSeconds = 0;  ///< idle expiry (0 = none)
  std::string remote;
  std::string userAgent;
  bool hasScope(Scope s) const;
};

/// One app of a deployment with its validated settings (defaults filled in).
struct AppInstance {
  std::string app;  ///< catalog id, e.g. "mastodon"
  json::object settings;
  std::string version;    ///< the app's version when configured or last upgraded ("" = the catalog's)
  int schemaVersion = 0;  ///< schema version of `settings` (0 = the catalog's current one)
};

enum class DeploymentStatus { New, Applying, Ready, Failed, Deleting, Deleted };
std::string_view toString(DeploymentStatus s);
std::optional<DeploymentStatus> deploymentStatusFromString(std::string_view s);

/// An organisation's desired set of apps under a domain, on a target.
struct Deployment {
  std::string id;  ///< "dep_…"
  std::string organisation;
  std::string name;
  std::string domain;
  std::vector<AppInstance> apps;
  DeploymentStatus status = DeploymentStatus::New;
  std::int64_t version = 1;
  std::string target = "local";
  std::string catalogVersion;   ///< the catalog release it was configured or last upgraded with
  std::string nixpkgsRevision;  ///< the nixpkgs revision of that release
  std::string createdAt;
  std::string updatedAt;
};

enum class ResourceKind {
  IpAddress,
  Machine,
  DnsRecordSet,
  Database,
  Bucket,
  AccessKey,
  MailAccount,
  NixosConfig,
  Certificate
};
std::string_view toString(ResourceKind k);
std::optional<ResourceKind> resourceKindFromString(std::string_view s);
/// Every kind, in a fixed order.
const std::vector<ResourceKind>& allResourceKinds();

/// A concrete managed object derived from a deployment.
///
/// Attribute values may hold two kinds of references, resolved by the executor
/// just before a provider call:
///   {"ref": "<identity key>", "output": "<name>"}  an output of another resource
///   {"secret": "<name>"}                           a generated secret of the deployment
struct Resource {
  std::string key;         ///< stable identity key: "<deployment id>/<kind>/<name>"
  ResourceKind kind = ResourceKind::Machine;
  std::string deployment;  ///< deployment id
  std::string name;
  json::object attributes;
  std::vector<std::string> dependsOn;  ///< identity keys
};

/// The identity key of a resource of a deployment.
std::string resourceKey(std::string_view deployment, ResourceKind kind, std::string_view name);

/// A resource as recorded in the state database after a successful step.
struct RecordedResource {
  Resource resource;         ///< attributes as desired when last applied (unresolved)
  json::object outputs;      ///< what the provider returned (e.g. an allocated address)
  std::string updatedAt;
};

enum class ActionKind { Create, Update, Replace, Delete, Noop };
std::string_view toString(ActionKind a);
std::optional<ActionKind> actionKindFromString(std::string_view s);

struct PlanAction {
  ActionKind action = ActionKind::Noop;
  Resource resource;
  std::string reason;
};

/// The ordered actions that turn recorded state into desired state. Actions are
/// in execution order: creates/updates in dependency order, then deletes in
/// reverse dependency order.
struct Plan {
  std::string deployment;
  std::vector<PlanAction> actions;
  bool empty() const;  ///< true when every action is a no-op
};

/// Refresh: not a run of steps but a refresh's claim on the deployment (the same
/// one-active-run constraint), never listed and gone when the refresh ends.
enum class RunKind { Apply, Destroy, Refresh };
std::string_view toString(RunKind k);
std::optional<RunKind> runKindFromString(std::string_view s);
enum class RunStatus { Queued, Running, Succeeded, Failed, Cancelled };
std::string_view toString(RunStatus s);
std::optional<RunStatus> runStatusFromString(std::string_view s);
enum class StepStatus { Pending, Running, Succeeded, Failed, Skipped };
std::string_view toString(StepStatus s);
std::optional<StepStatus> stepStatusFromString(std::string_view s);

struct RunStep {
  int seq = 0;
  ActionKind action = ActionKind::Noop;
  std::string resourceKey;
  ResourceKind kind = ResourceKind::Machine;
  StepStatus status = StepStatus::Pending;
  std::string error;
  std::string startedAt;
  std::string finishedAt;
  json::object resource;  ///< the planned resource (for replay after a crash)
  int attempts = 0;       ///< provider calls made (more than 1: retried after retryable errors)
  std::string instance;   ///< the fedihost instance that did it (last started it)
};

/// One apply of a plan, journaled step by step.
struct Run {
  std::string id;  ///< "run_…"
  std::string deployment;
  RunKind kind = RunKind::Apply;
  RunStatus status = RunStatus::Queued;
  std::string error;
  std::string createdAt;
  std::string startedAt;
  std::string finishedAt;
  int done = 0;   ///< steps finished (succeeded, failed or skipped)
  int total = 0;  ///< steps in the run
  std::vector<RunStep> steps;  ///< filled only when asked for
  bool cancelRequested = false;
  std::string planId;  ///< the saved plan it applies, if any
  std::string instance;  ///< the fedihost instance executing it, or that executed it last ("" : none yet)
};

enum class DriftStatus { Changed, Missing };
std::string_view toString(DriftStatus s);
std::optional<DriftStatus> driftStatusFromString(std::string_view s);

/// What a refresh found different at the provider for a recorded resource.
struct Drift {
  std::string key;
  std::string deployment;
  DriftStatus status = DriftStatus::Changed;
  std::string detail;  ///< for a person: which attributes differ
  std::string checkedAt;
};

/// A plan kept to be applied later, and what it was computed from.
struct SavedPlan {
  std::string id;  ///< "plan_…"
  std::string deployment;
  json::object basis;  ///< {"version": n, "resources": {key: hash}, "drift": {key: status}}
  std::vector<PlanAction> actions;
  std::string createdAt;
  std::string runId;  ///< the run that applied it, once applied
};

}  // namespace fedihost
