// Every route of the API, in one place (and in openapi.json, which a test checks),
// each with who may use it: the dispatcher checks that before the handler runs.
#include "api/handlers/billing.hh"
#include "api/handlers/handlers.hh"
#include "api/handlers/ip_pools.hh"
#include "api/router.hh"

namespace fedihost::api {
namespace {

Access anyone() { return {Need::Anyone, Scope::Read}; }
Access signedIn(Scope s) { return {Need::SignedIn, s}; }
Access operators(Scope s) { return {Need::Operator, s}; }
Access org(Need n, Scope s) { return {n, s, OrgFrom::Organisation}; }
Access deployment(Need n, Scope s) { return {n, s, OrgFrom::Deployment}; }
Access run(Need n, Scope s) { return {n, s, OrgFrom::Run}; }
Access job(Need n, Scope s) { return {n, s, OrgFrom::Job}; }
Access backup(Need n, Scope s) { return {n, s, OrgFrom::Backup}; }
Access restore(Need n, Scope s) { return {n, s, OrgFrom::Restore}; }
Access migration(Need n, Scope s) { return {n, s, OrgFrom::Migration}; }

/// A route that hashes passwords: it runs on the credential threads.
Route hashing(Route r) {
  r.lane = Lane::Credentials;
  return r;
}

}  // namespace

Router makeRouter() {
  using namespace handlers;
  using enum Need;
  using enum Scope;
  Router r;
  r.add({"GET", "/api/v1/health", getHealth, anyone(), "liveness and version"});
  r.add({"GET", "/api/v1/openapi.json", getOpenApi, anyone(), "this API's OpenAPI document"});
  r.add({"GET", "/metrics", getMetrics, operators(Read), "the server's metrics in the Prometheus text format"});

  // Signing in, and one's own account
  r.add({"GET", "/api/v1/auth/options", getAuthOptions, anyone(), "whether sign-up and password reset are offered"});
  r.add(hashing({"POST", "/api/v1/auth/login", postLogin, anyone(), "sign in: a session token and cookie"}));
  r.add(hashing({"POST", "/api/v1/auth/signup", postSignup, anyone(), "create an account and its organisation"}));
  r.add({"POST", "/api/v1/auth/logout", postLogout, signedIn(Read), "sign out this session"});
  r.add({"POST", "/api/v1/auth/logout-all", postLogoutAll, signedIn(Read), "sign out every session of the user"});
  r.add({"GET", "/api/v1/auth/me", getMe, signedIn(Read), "who is signed in, with organisations and roles"});
  r.add({"GET", "/api/v1/auth/sessions", listSessions, signedIn(Read), "the user's sessions"});
  r.add({"DELETE", "/api/v1/auth/sessions/{id}", deleteSession, signedIn(Read), "sign out one session"});
  r.add(hashing({"POST", "/api/v1/auth/password", postPassword, signedIn(Admin), "change one's password"}));
  r.add(hashing({"POST", "/api/v1/auth/email", postEmail, signedIn(Admin), "change one's e-mail address"}));
  r.add({"POST", "/api/v1/auth/totp", postTotp, signedIn(Admin), "start setting up a second factor"});
  r.add({"POST", "/api/v1/auth/totp/confirm", postTotpConfirm, signedIn(Admin), "confirm the second factor"});
  r.add(hashing({"DELETE", "/api/v1/auth/totp", deleteTotp, signedIn(Admin), "turn the second factor off"}));
  r.add({"POST", "/api/v1/auth/password-reset", postPasswordReset, anyone(), "mail a password reset link"});
  r.add(hashing({"POST", "/api/v1/auth/password-reset/confirm", postPasswordResetConfirm, anyone(),
                 "set a new password with a reset link"}));
  r.add({"POST", "/api/v1/tokens", postToken, signedIn(Admin), "create an API token"});
  r.add({"GET", "/api/v1/tokens", listTokens, signedIn(Read), "the user's API tokens"});
  r.add({"DELETE", "/api/v1/tokens/{id}", deleteToken, signedIn(Admin), "revoke an API token"});
  r.add({"POST", "/api/v1/invitations/inspect", postInvitationInspect, anyone(), "what an invitation is for"});
  r.add(hashing({"POST", "/api/v1/invitations/accept", postInvitationAccept, anyone(), "accept an invitation"}));

  r.add({"GET", "/api/v1/catalog", getCatalog, signedIn(Read), "the apps that can be deployed"});
  r.add({"GET", "/api/v1/catalog/{app}", getCatalogApp, signedIn(Read), "one app"});

  // Organisations, their members and domains
  r.add({"POST", "/api/v1/organisations", postOrganisation, operators(Admin), "create an organisation"});
  r.add({"GET", "/api/v1/organisations", listOrganisations, signedIn(Read), "the user's organisations"});
  r.add({"GET", "/api/v1/organisations/{id}", getOrganisation, org(Viewer, Read), "one organisation"});
  r.add({"PATCH", "/api/v1/organisations/{id}", patchOrganisation, org(OrgAdmin, Admin), "rename, require 2FA"});
  r.add({"DELETE", "/api/v1/organisations/{id}", deleteOrganisation, org(OrgAdmin, Admin),
         "delete an organisation without deployments"});
  r.add({"GET", "/api/v1/organisations/{id}/members", listMembers, org(Viewer, Read), "members and roles"});
  r.add({"PATCH", "/api/v1/organisations/{id}/members/{user}", patchMember, org(OrgAdmin, Admin), "change a role"});
  r.add({"DELETE", "/api/v1/organisations/{id}/members/{user}", deleteMember, org(OrgAdmin, Admin),
         "remove a member"});
  r.add({"POST", "/api/v1/organisations/{id}/invitations", postInvitation, org(OrgAdmin, Admin), "invite someone"});
  r.add({"GET", "/api/v1/organisations/{id}/invitations", listInvitations, org(OrgAdmin, Read), "invitations"});
  r.add({"DELETE", "/api/v1/organisations/{id}/invitations/{invitation}", deleteInvitation, org(OrgAdmin, Admin),
         "revoke an invitation"});
  r.add({"POST", "/api/v1/organisations/{id}/domains", postDomain, org(OrgAdmin, Admin), "claim a domain"});
  r.add({"GET", "/api/v1/organisations/{id}/domains", listDomains, org(Viewer, Read), "claimed domains"});
  r.add({"POST", "/api/v1/organisations/{id}/domains/{domain}/verify", postDomainVerify, org(OrgAdmin, Admin),
         "check a domain's TXT challenge"});
  r.add({"DELETE", "/api/v1/organisations/{id}/domains/{domain}", deleteDomain, org(OrgAdmin, Admin),
         "give up a domain"});

  // Usage, statements and price plans (docs/billing.md): usage for every role of the organisation;
  // statements and its plan for its org-admins; defining, assigning and correcting for operators
  // (those two routes name an organisation but are operators' alone: the handler finds it).
  r.add({"GET", "/api/v1/organisations/{id}/usage", getUsage, org(Viewer, Read),
         "metered usage by period and deployment (UTC)"});
  r.add({"GET", "/api/v1/organisations/{id}/statements/{month}", getStatement, org(OrgAdmin, Read),
         "a month's statement: JSON, CSV (?format=csv) or a printable page (Accept: text/html)"});
  r.add({"GET", "/api/v1/organisations/{id}/forecast", getForecast, org(OrgAdmin, Read),
         "the open month's statement at its end if what runs now keeps running"});
  r.add({"GET", "/api/v1/statements", listStatements, operators(Read),
         "a page of every organisation's statement total of a month (and forecast)"});
  r.add({"GET", "/api/v1/statements/totals", getStatementTotals, operators(Read),
         "a month's totals per currency over every organisation's statement (and forecast)"});
  r.add({"GET", "/api/v1/organisations/{id}/price-plan", getOrganisationPricePlan, org(OrgAdmin, Read),
         "the organisation's price plan"});
  r.add({"PUT", "/api/v1/organisations/{id}/price-plan", putOrganisationPricePlan, operators(Admin),
         "give the organisation a price plan"});
  r.add({"POST", "/api/v1/organisations/{id}/adjustments", postAdjustment, operators(Admin),
         "add a correction line to an open month"});
  r.add({"GET", "/api/v1/organisations/{id}/adjustments", listAdjustments, org(OrgAdmin, Read),
         "a month's adjustment lines"});
  r.add({"POST", "/api/v1/price-plans", postPricePlan, operators(Admin), "define a price plan"});
  r.add({"GET", "/api/v1/price-plans", listPricePlans, operators(Read), "every price plan"});
  r.add({"GET", "/api/v1/price-plans/{id}", getPricePlan, operators(Read), "one price plan"});
  r.add({"PATCH", "/api/v1/price-plans/{id}", patchPricePlan, operators(Admin),
         "change a price plan (open months only: closed statements never change)"});

  // Deployments
  r.add({"POST", "/api/v1/organisations/{id}/deployments", postDeployment, org(Member, Write), "create a deployment"});
  r.add({"GET", "/api/v1/deployments", listDeployments, signedIn(Read), "deployments of the user's organisations"});
  r.add({"GET", "/api/v1/deployments/{id}", getDeployment, deployment(Viewer, Read), "one deployment"});
  r.add({"PATCH", "/api/v1/deployments/{id}", patchDeployment, deployment(Member, Write), "change a deployment"});
  r.add({"DELETE", "/api/v1/deployments/{id}", deleteDeployment, deployment(Member, Write), "delete a deployment"});
  r.add({"GET", "/api/v1/deployments/{id}/plan", getPlan, deployment(Viewer, Read),
         "what applying would change, with reasons"});
  r.add({"POST", "/api/v1/deployments/{id}/plan", postPlan, deployment(Member, Deploy),
         "what applying would change; {\"save\": true} keeps it"});
  r.add({"GET", "/api/v1/deployments/{id}/plans/{plan}", getSavedPlan, deployment(Viewer, Read), "a saved plan"});
  r.add({"GET", "/api/v1/deployments/{id}/drift", getDrift, deployment(Viewer, Read), "what the last refresh found"});
  r.add({"POST", "/api/v1/deployments/{id}/refresh", postRefresh, deployment(Member, Deploy),
         "read every resource back: 202 with a job"});
  r.add({"POST", "/api/v1/deployments/{id}/apply", postApply, deployment(Member, Deploy), "apply the deployment"});
  // The apps' first administrators with their passwords: the organisation's administrators only,
  // a POST so that the audit log records each reveal (it records every request that is not a GET).
  r.add({"POST", "/api/v1/deployments/{id}/admin-logins/reveal", postAdminLoginsReveal, deployment(OrgAdmin, Admin),
         "each app's first administrator login, with its password once applied"});
  r.add({"GET", "/api/v1/deployments/{id}/upgrade", getUpgrade, deployment(Viewer, Read),
         "what upgrading to the current catalog changes"});
  r.add({"POST", "/api/v1/deployments/{id}/upgrade", postUpgrade, deployment(Member, Deploy),
         "upgrade to the current catalog"});
  r.add({"GET", "/api/v1/deployments/{id}/runs", listDeploymentRuns, deployment(Viewer, Read), "runs of a deployment"});
  r.add({"GET", "/api/v1/runs/{id}", getRun, run(Viewer, Read), "one run with its steps"});
  r.add({"GET", "/api/v1/runs/{id}/events", getRunEvents, run(Viewer, Read), "a run's progress as server-sent events"});
  r.add({"POST", "/api/v1/runs/{id}/cancel", postRunCancel, run(Member, Deploy), "stop a run"});
  // Jobs: refreshes and orphan scans, done by the orchestrator's workers (an orphan scan's job is
  // the provider's own: operators only, checked by the access check for an organisation of "").
  r.add({"GET", "/api/v1/jobs/{id}", getJob, job(Viewer, Read), "a job: its state, progress and result"});
  r.add({"GET", "/api/v1/jobs/{id}/events", getJobEvents, job(Viewer, Read), "a job's progress as server-sent events"});

  // Backups and restores (docs/backup-and-migration.md): a viewer sees them, a member makes them.
  // A bundle holds the data in clear (only the secrets are sealed): downloading it takes a member.
  r.add({"POST", "/api/v1/deployments/{id}/backups", postBackup, deployment(Member, Deploy),
         "back the deployment up now (a job: 202)"});
  r.add({"GET", "/api/v1/deployments/{id}/backups", listBackups, deployment(Viewer, Read),
         "backups of a deployment, newest first"});
  // A schedule decides what is kept and removed: set by the organisation's administrators.
  r.add({"GET", "/api/v1/deployments/{id}/backup-schedule", getBackupSchedule, deployment(Viewer, Read),
         "the deployment's backup schedule and retention, and when it is next due"});
  r.add({"PUT", "/api/v1/deployments/{id}/backup-schedule", putBackupSchedule, deployment(OrgAdmin, Write),
         "set the backup schedule and retention"});
  r.add({"DELETE", "/api/v1/deployments/{id}/backup-schedule", deleteBackupSchedule, deployment(OrgAdmin, Write),
         "disable the backup schedule (its backups are kept)"});
  r.add({"GET", "/api/v1/backups/{id}", getBackup, backup(Viewer, Read), "one backup with its journal"});
  r.add({"GET", "/api/v1/backups/{id}/bundle", getBackupBundle, backup(Member, Read), "the backup's bundle file"});
  // Members, as for the download: verifying makes the server read the whole bundle (a viewer only looks).
  r.add({"POST", "/api/v1/backups/{id}/verify", postBackupVerify, backup(Member, Read),
         "verify a backup's bundle: every checksum, the secrets open (a job: 202)"});
  r.add({"POST", "/api/v1/organisations/{id}/restores", postRestore, org(Member, Deploy),
         "restore a backup as a new deployment (a job: 202)"});
  r.add({"POST", "/api/v1/deployments/{id}/restores", postRestoreInPlace, deployment(Member, Deploy),
         "restore one of the deployment's backups in place, after a safety backup (a job: 202)"});
  r.add({"GET", "/api/v1/restores/{id}", getRestore, restore(Viewer, Read), "one restore with its journal"});
  // Migrations to another target (docs/backup-and-migration.md): targets are the provider's, so
  // operators move deployments; the organisation's members see that and how it went.
  r.add({"POST", "/api/v1/deployments/{id}/migrations", postMigration, deployment(Operator, Deploy),
         "move the deployment to another target with a short cut-over (a job: 202)"});
  r.add({"GET", "/api/v1/deployments/{id}/migrations", listMigrations, deployment(Viewer, Read),
         "migrations of a deployment, newest first"});
  r.add({"GET", "/api/v1/migrations/{id}", getMigration, migration(Viewer, Read),
         "one migration with its phase, downtime and journal"});
  r.add({"POST", "/api/v1/migrations/{id}/old-side-removal", postOldSideRemoval, migration(Operator, Deploy),
         "remove what a migration left at its old target (a job: 202)"});

  // The audit log: operators see every row, an organisation's administrators its rows (checked in the handler)
  r.add({"GET", "/api/v1/audit", listAudit, signedIn(Read),
         "the audit log, newest first; filters, paging, ?format=jsonl"});
  r.add({"GET", "/api/v1/audit/verification", getAuditVerification, signedIn(Read),
         "whether the log's hash chain and its signed head hold (operators: the first bad row)"});

  // The provider's side: operators only
  r.add({"GET", "/api/v1/users", listUsers, operators(Read), "every account"});
  r.add({"POST", "/api/v1/users/{id}/disable", postUserDisable, operators(Admin), "disable an account at once"});
  r.add({"POST", "/api/v1/users/{id}/enable", postUserEnable, operators(Admin), "enable an account again"});
  r.add({"GET", "/api/v1/targets", listTargets, operators(Read), "where deployments can live, and their providers"});
  r.add({"GET", "/api/v1/instances", listInstances, operators(Read),
         "the fedihost servers sharing the state database: heartbeat, lease, what each holds"});
  r.add({"POST", "/api/v1/orphans/scan", postOrphanScan, operators(Read),
         "look for resources at providers that nothing records: 202 with a job"});
  r.add({"GET", "/api/v1/targets/{target}/ip-pools", listIpPools, operators(Read), "a target's IP pools"});
  r.add({"POST", "/api/v1/targets/{target}/ip-pools", postIpPool, operators(Admin), "create an IP pool"});
  r.add({"GET", "/api/v1/ip-pools/{id}", getIpPool, operators(Read), "one IP pool"});
  r.add({"DELETE", "/api/v1/ip-pools/{id}", deleteIpPool, operators(Admin), "delete an empty IP pool"});
  r.add({"GET", "/api/v1/ip-pools/{id}/allocations", listIpPoolAllocations, operators(Read),
         "addresses allocated from an IP pool"});
  return r;
}

}  // namespace fedihost::api
