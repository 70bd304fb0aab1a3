// fedihost logout / token … / member … / user … / organisation rename|delete:
// accounts and who may do what (docs/accounts.md), as clients of the API.
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <iostream>

#include "cli/client.hh"
#include "cli/client_support.hh"
#include "cli/commands.hh"
#include "core/result.hh"

namespace fedihost::cli {
namespace {

namespace json = boost::json;

const std::vector<std::string> kRoles = {"viewer", "member", "org-admin"};
const std::vector<std::string> kScopes = {"read", "write", "deploy", "admin"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string joined(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  auto* m = v.get_object().if_contains(key);
  if (!m || !m->is_array()) return str(v, key);
  std::string out;
  for (auto& s : m->get_array())
    out += (out.empty() ? "" : ",") + (s.is_string() ? std::string(s.get_string()) : json::serialize(s));
  return out;
}

std::string orDefault(std::string s, std::string fallback) { return s.empty() ? fallback : s; }

/// The answer of a change, or (when the server answers 204) what the command did, for --output json.
json::value resultOr(json::value answer, json::object fallback) {
  return answer.is_null() ? json::value(std::move(fallback)) : answer;
}

/// An organisation's id from its id (org_…) or its short name.
std::string organisationId(client::Client& c, const std::string& org) {
  if (org.starts_with("org_")) return org;
  for (auto& o : listAll(c, "/api/v1/organisations?limit=200"))
    if (str(o, "name") == org) return str(o, "id");
  throw AbortError(Error::notFound("no organisation " + org + " among yours"));
}

/// The user of a member entry: `userId`, else `user.id`, else `id`.
std::string memberUser(const json::value& m) {
  if (auto id = str(m, "userId"); !id.empty()) return id;
  if (m.is_object())
    if (auto* u = m.get_object().if_contains("user"); u && u->is_object()) return str(*u, "id");
  return str(m, "id");
}

std::string memberEmail(const json::value& m) {
  if (auto e = str(m, "email"); !e.empty()) return e;
  if (m.is_object())
    if (auto* u = m.get_object().if_contains("user"); u && u->is_object()) return str(*u, "email");
  return {};
}

/// A member's user id from a user id or an e-mail address.
std::string memberId(client::Client& c, const std::string& orgId, const std::string& user) {
  if (user.find('@') == std::string::npos) return user;
  for (auto& m : listAll(c, "/api/v1/organisations/" + pathSegment(orgId) + "/members"))
    if (lower(memberEmail(m)) == lower(user)) return memberUser(m);
  throw AbortError(Error::notFound("no member " + user + " in " + orgId));
}

/// A user's id from a user id or an e-mail address (operators).
std::string userId(client::Client& c, const std::string& user) {
  if (user.find('@') == std::string::npos) return user;
  for (auto& u : listAll(c, "/api/v1/users?limit=200"))
    if (lower(str(u, "email")) == lower(user)) return str(u, "id");
  throw AbortError(Error::notFound("no user " + user));
}

bool isDisabled(const json::value& u) {
  if (!u.is_object()) return false;
  auto& o = u.get_object();
  if (auto* d = o.if_contains("disabled"); d && d->is_bool()) return d->get_bool();
  auto* at = o.if_contains("disabledAt");
  return at && !at->is_null();
}

void addLogout(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto all = std::make_shared<bool>(false);
  auto* logout = app.add_subcommand("logout", "End this login session and forget the saved credentials");
  addCommonOptions(logout, *common);
  logout->add_flag("--all", *all,
                   "end every login session of yours, everywhere (API tokens stay: revoke them one by one)");
  logout->callback([=] {
    auto c = connect(*common);
    auto saved = loadCredentials();
    auto token = resolveToken(*common);
    if (token.empty()) abortCommand("not logged in to " + c->base());
    auto r = c->post(*all ? "/api/v1/auth/logout-all" : "/api/v1/auth/logout");
    bool hadEnded = r.status == 401;  // expired or revoked already: nothing left to end
    if (!hadEnded) expectOk(r);
    bool forgot = saved && saved->token == token && forgetCredentials();
    if (common->output == "json")
      return printJson(json::object{{"server", c->base()}, {"all", *all}, {"forgotCredentials", forgot}});
    if (hadEnded)
      std::cout << "The session had ended already.\n";
    else
      std::cout << (*all ? "Logged out of every session at " : "Logged out of ") << c->base() << ".\n";
    if (forgot) std::cout << "Forgot the credentials saved in " << credentialsFile().string() << ".\n";
  });
}

void addTokenCommands(CLI::App& app) {
  auto* tok = app.add_subcommand("token", "API tokens: for scripts and CI, with scopes and an expiry");
  tok->require_subcommand(1);

  struct CreateOpts {
    std::string name, expires, organisation;
    std::vector<std::string> scopes;
  };
  auto common = std::make_shared<Common>();
  auto o = std::make_shared<CreateOpts>();
  auto* create = tok->add_subcommand("create", "Create an API token (shown once)");
  addCommonOptions(create, *common);
  create->add_option("--name", o->name, "what it is for, e.g. ci")->required();
  create->add_option("--scope", o->scopes, "read, write, deploy or admin (repeat for several)")
      ->required()
      ->check(CLI::IsMember(kScopes));
  create->add_option("--expires", o->expires,
                     "when it stops working (RFC 3339, e.g. 2030-01-31T00:00:00Z); default never");
  create->add_option("--organisation", o->organisation, "bind it to this organisation (id or name): it sees no other");
  create->callback([=] {
    auto c = connect(*common);
    json::array scopes;
    for (auto& s : o->scopes) scopes.emplace_back(s);
    json::object body{{"name", o->name}, {"scopes", std::move(scopes)}};
    if (!o->expires.empty()) body["expiresAt"] = o->expires;
    if (!o->organisation.empty()) body["organisation"] = organisationId(*c, o->organisation);
    auto v = expectOk(c->post("/api/v1/tokens", json::serialize(body)));
    if (common->output == "json") return printJson(v);
    std::cout << "Created token " << str(v, "id") << " (" << o->name << ", scopes " << joined(body, "scopes")
              << ", expires " << orDefault(str(v, "expiresAt"), orDefault(o->expires, "never"))
              << (o->organisation.empty() ? "" : ", only for " + o->organisation) << "):\n\n  " << str(v, "token")
              << "\n\nwarning: this token will not be shown again: store it now.\n";
  });

  auto listCommon = std::make_shared<Common>();
  auto* list = tok->add_subcommand("list", "List your API tokens");
  addCommonOptions(list, *listCommon);
  list->callback([=] {
    auto c = connect(*listCommon);
    auto items = listAll(*c, "/api/v1/tokens");
    if (listCommon->output == "json") return printJson(json::object{{"items", items}});
    std::vector<std::vector<std::string>> rows;
    for (auto& t : items)
      rows.push_back({str(t, "id"), str(t, "name"), joined(t, "scopes"), orDefault(str(t, "organisation"), "any"),
                      orDefault(str(t, "expiresAt"), "never"), orDefault(str(t, "lastUsedAt"), "never")});
    printTable({"ID", "NAME", "SCOPES", "ORGANISATION", "EXPIRES", "LAST USED"}, rows);
  });

  auto revokeCommon = std::make_shared<Common>();
  auto id = std::make_shared<std::string>();
  auto* revoke = tok->add_subcommand("revoke", "Revoke an API token: it stops working at once");
  addCommonOptions(revoke, *revokeCommon);
  revoke->add_option("id", *id, "token id")->required();
  revoke->callback([=] {
    auto v = expectOk(connect(*revokeCommon)->request("DELETE", "/api/v1/tokens/" + pathSegment(*id)));
    if (revokeCommon->output == "json") return printJson(resultOr(v, {{"id", *id}, {"revoked", true}}));
    std::cout << "Revoked token " << *id << ".\n";
  });
}

void addMemberCommands(CLI::App& app) {
  auto* mem = app.add_subcommand("member", "Members of an organisation and their roles");
  mem->require_subcommand(1);

  struct Opts {
    Common common;
    std::string organisation, email, role, user;
  };
  auto inv = std::make_shared<Opts>();
  auto* invite = mem->add_subcommand("invite", "Invite someone by e-mail (a single-use link)");
  addCommonOptions(invite, inv->common);
  invite->add_option("--organisation", inv->organisation, "organisation id or name")->required();
  invite->add_option("--email", inv->email, "her e-mail address")->required();
  invite->add_option("--role", inv->role, "viewer, member or org-admin")->required()->check(CLI::IsMember(kRoles));
  invite->callback([=] {
    auto c = connect(inv->common);
    auto org = organisationId(*c, inv->organisation);
    auto v = expectOk(c->post("/api/v1/organisations/" + pathSegment(org) + "/invitations",
                              json::serialize(json::object{{"email", inv->email}, {"role", inv->role}})));
    if (inv->common.output == "json") return printJson(v);
    bool mailed =
        v.is_object() && v.get_object().contains("mailed") && v.at("mailed").is_bool() && v.at("mailed").get_bool();
    std::cout << "Invited " << inv->email << " to " << inv->organisation << " as " << inv->role << ".\n"
              << "Invitation link (single use, valid until " << str(v, "expiresAt") << "):\n  " << str(v, "url") << "\n"
              << (mailed ? "It was mailed to " + inv->email + ".\n"
                         : "It was not mailed (the server has no mail relay): send the link yourself.\n");
  });

  auto ls = std::make_shared<Opts>();
  auto* list = mem->add_subcommand("list", "List an organisation's members");
  addCommonOptions(list, ls->common);
  list->add_option("--organisation", ls->organisation, "organisation id or name")->required();
  list->callback([=] {
    auto c = connect(ls->common);
    auto items = listAll(*c, "/api/v1/organisations/" + pathSegment(organisationId(*c, ls->organisation)) + "/members");
    if (ls->common.output == "json") return printJson(json::object{{"items", items}});
    std::vector<std::vector<std::string>> rows;
    for (auto& m : items) rows.push_back({memberUser(m), memberEmail(m), str(m, "role")});
    printTable({"USER", "EMAIL", "ROLE"}, rows);
  });

  auto rm = std::make_shared<Opts>();
  auto* remove = mem->add_subcommand("remove", "Remove a member from an organisation");
  addCommonOptions(remove, rm->common);
  remove->add_option("--organisation", rm->organisation, "organisation id or name")->required();
  remove->add_option("user", rm->user, "user id or e-mail address")->required();
  remove->callback([=] {
    auto c = connect(rm->common);
    auto org = organisationId(*c, rm->organisation);
    auto user = memberId(*c, org, rm->user);
    auto v =
        expectOk(c->request("DELETE", "/api/v1/organisations/" + pathSegment(org) + "/members/" + pathSegment(user)));
    if (rm->common.output == "json")
      return printJson(resultOr(v, {{"organisation", org}, {"user", user}, {"removed", true}}));
    std::cout << "Removed " << rm->user << " from " << rm->organisation << ".\n";
  });

  auto ro = std::make_shared<Opts>();
  auto* role = mem->add_subcommand("role", "Change a member's role");
  addCommonOptions(role, ro->common);
  role->add_option("--organisation", ro->organisation, "organisation id or name")->required();
  role->add_option("user", ro->user, "user id or e-mail address")->required();
  role->add_option("role", ro->role, "viewer, member or org-admin")->required()->check(CLI::IsMember(kRoles));
  role->callback([=] {
    auto c = connect(ro->common);
    auto org = organisationId(*c, ro->organisation);
    auto user = memberId(*c, org, ro->user);
    auto v = expectOk(c->request("PATCH", "/api/v1/organisations/" + pathSegment(org) + "/members/" + pathSegment(user),
                                 json::serialize(json::object{{"role", ro->role}})));
    if (ro->common.output == "json")
      return printJson(resultOr(v, {{"organisation", org}, {"user", user}, {"role", ro->role}}));
    std::cout << ro->user << " is now " << ro->role << " in " << ro->organisation << ".\n";
  });
}

void addUserCommands(CLI::App& app) {
  auto* usr = app.add_subcommand("user", "Accounts (operators only)");
  usr->require_subcommand(1);

  auto ls = std::make_shared<Common>();
  auto* list = usr->add_subcommand("list", "List every account");
  addCommonOptions(list, *ls);
  list->callback([=] {
    auto items = listAll(*connect(*ls), "/api/v1/users?limit=200");
    if (ls->output == "json") return printJson(json::object{{"items", items}});
    std::vector<std::vector<std::string>> rows;
    for (auto& u : items)
      rows.push_back(
          {str(u, "id"), str(u, "email"), str(u, "role"), isDisabled(u) ? "disabled" : "active", str(u, "createdAt")});
    printTable({"ID", "EMAIL", "ROLE", "STATUS", "CREATED"}, rows);
  });

  for (std::string action : {"disable", "enable"}) {
    struct Opts {
      Common common;
      std::string user;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd =
        usr->add_subcommand(action, action == "disable" ? "Disable an account: its sessions and tokens stop at once"
                                                        : "Enable a disabled account again");
    addCommonOptions(cmd, o->common);
    cmd->add_option("user", o->user, "user id or e-mail address")->required();
    cmd->callback([=] {
      auto c = connect(o->common);
      auto id = userId(*c, o->user);
      auto v = expectOk(c->post("/api/v1/users/" + pathSegment(id) + "/" + action));
      if (o->common.output == "json") return printJson(resultOr(v, {{"id", id}, {"disabled", action == "disable"}}));
      if (action == "disable")
        std::cout << "Disabled " << o->user << ": its sessions and API tokens stopped working.\n";
      else
        std::cout << "Enabled " << o->user << ".\n";
    });
  }
}

void addOrganisationCommands(CLI::App& app) {
  auto* org = app.get_subcommand("organisation");

  struct Opts {
    Common common;
    std::string organisation, displayName;
    bool yes = false;
  };
  auto rn = std::make_shared<Opts>();
  auto* rename = org->add_subcommand("rename", "Change an organisation's display name");
  addCommonOptions(rename, rn->common);
  rename->add_option("organisation", rn->organisation, "organisation id or name")->required();
  rename->add_option("display-name", rn->displayName, "its new display name")->required();
  rename->callback([=] {
    auto c = connect(rn->common);
    auto id = organisationId(*c, rn->organisation);
    auto v = expectOk(c->request("PATCH", "/api/v1/organisations/" + pathSegment(id),
                                 json::serialize(json::object{{"displayName", rn->displayName}})));
    if (rn->common.output == "json") return printJson(resultOr(v, {{"id", id}, {"displayName", rn->displayName}}));
    std::cout << "Organisation " << orDefault(str(v, "name"), rn->organisation) << " is now called \""
              << rn->displayName << "\".\n";
  });

  auto del = std::make_shared<Opts>();
  auto* remove = org->add_subcommand("delete", "Delete an organisation (refused while it has live deployments)");
  addCommonOptions(remove, del->common);
  remove->add_option("organisation", del->organisation, "organisation id or name")->required();
  remove->add_flag("-y,--yes", del->yes, "do not ask for confirmation");
  remove->callback([=] {
    auto c = connect(del->common);
    auto id = organisationId(*c, del->organisation);
    auto o = expectOk(c->get("/api/v1/organisations/" + pathSegment(id)));
    auto name = str(o, "name");
    if (!del->yes) {
      auto answer = askOnTerminal("Delete organisation " + name + " (" + str(o, "displayName") + ", " + id +
                                  ")? This cannot be undone. Type its name to confirm: ");
      if (!answer)
        abortCommand("not deleting organisation " + name + " without confirmation: run it on a terminal or pass --yes");
      if (*answer != name) abortCommand("not confirmed: nothing was deleted");
    }
    auto v = expectOk(c->request("DELETE", "/api/v1/organisations/" + pathSegment(id)));
    if (del->common.output == "json") return printJson(resultOr(v, {{"id", id}, {"deleted", true}}));
    std::cout << "Deleted organisation " << name << " (" << id << ").\n";
  });
}

}  // namespace

void addAccountCommands(CLI::App& app) {
  addLogout(app);
  addTokenCommands(app);
  addMemberCommands(app);
  addUserCommands(app);
  addOrganisationCommands(app);
}

}  // namespace fedihost::cli
