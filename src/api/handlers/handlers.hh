#pragma once
// One function per route and method; registered in routes.cc. Handlers are
// thin: parse input, call the store or the orchestrator, map to JSON. They
// throw AbortError for expected failures; dispatcher.cc maps them to HTTP.
#include <boost/json.hpp>

#include "api/router.hh"

namespace fedihost::aaa {
struct Issued;
}
namespace fedihost::store {
struct Job;
}

namespace fedihost::api::handlers {

/// A JSON response.
Response json(int status, const boost::json::value& body);
/// A text/event-stream response. `poll` (called by the server every ~150 ms, maybe on
/// another handler thread: it must own what it reads) gives the events that changed since
/// its last call, "" when none, and whether the stream ends; after about 15 s without an
/// event a comment line is sent, so that proxies keep the stream open.
Response eventStream(std::function<StreamChunk()> poll);
/// One server-sent event: "event: NAME\ndata: DATA\n\n".
std::string sseEvent(const std::string& name, const std::string& data);

// backups.cc
Response postBackup(RequestContext& ctx);
Response listBackups(RequestContext& ctx);
Response getBackup(RequestContext& ctx);
Response getBackupBundle(RequestContext& ctx);
Response getBackupSchedule(RequestContext& ctx);
Response putBackupSchedule(RequestContext& ctx);
Response deleteBackupSchedule(RequestContext& ctx);
Response postBackupVerify(RequestContext& ctx);
Response postRestore(RequestContext& ctx);
Response postRestoreInPlace(RequestContext& ctx);
Response getRestore(RequestContext& ctx);

// migrations.cc
Response postMigration(RequestContext& ctx);
Response listMigrations(RequestContext& ctx);
Response getMigration(RequestContext& ctx);
Response postOldSideRemoval(RequestContext& ctx);
// audit.cc
Response listAudit(RequestContext& ctx);
/// GET /api/v1/audit/verification: whether the hash chain and its signed head hold.
Response getAuditVerification(RequestContext& ctx);
// meta.cc
Response getHealth(RequestContext& ctx);
/// GET /metrics: the Prometheus text format.
Response getMetrics(RequestContext& ctx);
Response getOpenApi(RequestContext& ctx);
// auth.cc: signing in, one's own account, tokens
/// A successful sign-in: the token, the session's CSRF token, the user (and `extra`), and the cookie.
Response signedIn(RequestContext& ctx, const aaa::Issued& issued, int status = 200, boost::json::object extra = {});
/// A link into the panel carrying a secret in its fragment: <public URL>/<page>#token=<token>.
std::string publicLink(RequestContext& ctx, const std::string& page, const std::string& token);
Response getAuthOptions(RequestContext& ctx);
Response postLogin(RequestContext& ctx);
Response postSignup(RequestContext& ctx);
Response postLogout(RequestContext& ctx);
Response postLogoutAll(RequestContext& ctx);
Response getMe(RequestContext& ctx);
Response listSessions(RequestContext& ctx);
Response deleteSession(RequestContext& ctx);
Response postPassword(RequestContext& ctx);
Response postEmail(RequestContext& ctx);
Response postTotp(RequestContext& ctx);
Response postTotpConfirm(RequestContext& ctx);
Response deleteTotp(RequestContext& ctx);
Response postPasswordReset(RequestContext& ctx);
Response postPasswordResetConfirm(RequestContext& ctx);
Response postToken(RequestContext& ctx);
Response listTokens(RequestContext& ctx);
Response deleteToken(RequestContext& ctx);
// members.cc
Response listMembers(RequestContext& ctx);
Response patchMember(RequestContext& ctx);
Response deleteMember(RequestContext& ctx);
Response postInvitation(RequestContext& ctx);
Response listInvitations(RequestContext& ctx);
Response deleteInvitation(RequestContext& ctx);
Response postInvitationInspect(RequestContext& ctx);
Response postInvitationAccept(RequestContext& ctx);
// domains.cc
Response postDomain(RequestContext& ctx);
Response listDomains(RequestContext& ctx);
Response postDomainVerify(RequestContext& ctx);
Response deleteDomain(RequestContext& ctx);
// users.cc
Response listUsers(RequestContext& ctx);
Response postUserDisable(RequestContext& ctx);
Response postUserEnable(RequestContext& ctx);
// catalog.cc
Response getCatalog(RequestContext& ctx);
Response getCatalogApp(RequestContext& ctx);
// organisations.cc
Response postOrganisation(RequestContext& ctx);
Response listOrganisations(RequestContext& ctx);
Response getOrganisation(RequestContext& ctx);
Response patchOrganisation(RequestContext& ctx);
Response deleteOrganisation(RequestContext& ctx);
// deployments.cc
Response postDeployment(RequestContext& ctx);
Response listDeployments(RequestContext& ctx);
Response getDeployment(RequestContext& ctx);
Response patchDeployment(RequestContext& ctx);
Response deleteDeployment(RequestContext& ctx);
Response getPlan(RequestContext& ctx);
Response postPlan(RequestContext& ctx);
Response getSavedPlan(RequestContext& ctx);
/// POST /api/v1/deployments/{id}/admin-logins/reveal: each app's first administrator, with its
/// password once the app is applied (a POST: revealing a password is audited as a change is).
Response postAdminLoginsReveal(RequestContext& ctx);
Response getDrift(RequestContext& ctx);
Response postRefresh(RequestContext& ctx);
Response postApply(RequestContext& ctx);
Response listDeploymentRuns(RequestContext& ctx);
Response getUpgrade(RequestContext& ctx);
Response postUpgrade(RequestContext& ctx);
// runs.cc
Response getRun(RequestContext& ctx);
Response getRunEvents(RequestContext& ctx);
Response postRunCancel(RequestContext& ctx);
// jobs.cc: refreshes and orphan scans, done by the orchestrator's workers
Response getJob(RequestContext& ctx);
Response getJobEvents(RequestContext& ctx);
/// 202 with the job, its location and its links.
Response jobAccepted(const store::Job& job);

Response listTargets(RequestContext& ctx);
Response listInstances(RequestContext& ctx);
Response postOrphanScan(RequestContext& ctx);

}  // namespace fedihost::api::handlers
