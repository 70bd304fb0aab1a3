// fedihost login / catalog / organisation … / deployment …: clients of the API.
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <iostream>
#include <sstream>

#include "cli/client.hh"
#include "cli/client_support.hh"
#include "cli/commands.hh"
#include "core/result.hh"

namespace fedihost::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::vector<std::vector<std::string>> deploymentRows(const json::array& items) {
  std::vector<std::vector<std::string>> rows;
  for (auto& d : items) {
    std::string apps;
    for (auto& a : d.at("apps").as_array()) apps += (apps.empty() ? "" : ",") + str(a, "app");
    rows.push_back({str(d, "id"), str(d, "name"), str(d, "domain"), apps, str(d, "status")});
  }
  return rows;
}

void showDeployment(const json::value& d) {
  std::cout << "Deployment " << str(d, "name") << " (" << str(d, "id") << ")\n"
            << "  domain:  " << str(d, "domain") << "\n"
            << "  status:  " << str(d, "status") << "\n"
            << "  version: " << str(d, "version") << "\n"
            << "  apps:\n";
  for (auto& a : d.at("apps").as_array()) std::cout << "    " << str(a, "app") << "  " << str(a, "url") << "\n";
}

void printPlan(const json::value& p) {
  auto& actions = p.at("actions").as_array();
  int changes = 0;
  for (auto& a : actions) {
    auto action = str(a, "action");
    if (action == "noop") continue;
    ++changes;
    std::cout << "  " << std::left << std::setw(8) << action << std::setw(50) << str(a.at("resource"), "key")
              << str(a, "reason") << "\n";
  }
  auto& s = p.at("summary");
  std::cout << (changes ? "" : "  nothing to do: everything is up to date\n") << "Plan: " << str(s, "create")
            << " to create, " << str(s, "update") << " to update, " << str(s, "replace") << " to replace, "
            << str(s, "delete") << " to delete, " << str(s, "noop") << " unchanged.\n";
}

/// Follows a run's events with a progress bar; returns true if it succeeded.
bool followRun(client::Client& c, const std::string& runId, bool quiet) {
  std::string status = "queued", error;
  int done = 0, total = 0;
  std::string current;
  auto draw = [&] {
    if (quiet) return;
    constexpr int width = 30;
    // No steps known yet: an empty bar (a full one would say "done").
    int filled = total ? std::min(done, total) * width / total : 0;
    std::cout << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), '-') << "] ";
    if (total)
      std::cout << std::min(done, total) << "/" << total << " ";
    else
      std::cout << "starting ";
    std::cout << fitWidth(current, 60) << std::flush;
  };
  std::set<std::string> ended;  // steps seen ending, counted before the run's own count arrives
  c.stream("/api/v1/runs/" + runId + "/events", [&](const std::string& event, const std::string& data) {
    auto v = json::parse(data);
    if (event == "step") {
      auto st = str(v, "status");
      current = str(v, "action") + " " + str(v, "resourceKey") + " (" + st + ")";
      if ((st == "succeeded" || st == "failed") && ended.insert(str(v, "seq")).second) ++done;
      if (st == "failed") {
        if (!quiet) std::cout << "\n";
        std::cerr << "step " << str(v, "seq") << " " << str(v, "action") << " " << str(v, "resourceKey")
                  << " failed: " << str(v, "error") << "\n";
      }
    } else if (event == "run") {
      status = str(v, "status");
      error = str(v, "error");
      // The server's count is the truth; steps counted here since are not lost by it.
      done = std::max(static_cast<int>(v.at("progress").at("done").to_number<std::int64_t>()),
                      static_cast<int>(ended.size()));
      total = static_cast<int>(v.at("progress").at("total").to_number<std::int64_t>());
    }
    draw();
    return true;
  });
  if (!quiet) std::cout << "\n";
  if (status == "succeeded") {
    std::cout << "Run " << runId << " succeeded (" << total << " steps).\n";
    return true;
  }
  std::cerr << "Run " << runId << " " << status << (error.empty() ? "" : ": " + error) << "\n";
  return false;
}

}  // namespace

void addClientCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto addCommon = [common](CLI::App* cmd) { addCommonOptions(cmd, *common); };
  auto connect = [common] { return cli::connect(*common); };

  // login
  auto login = app.add_subcommand(
      "login", "Log in; the server and the session token are remembered in ~/.config/fedihost/credentials.json");
  auto email = std::make_shared<std::string>();
  auto pwFile = std::make_shared<std::string>();
  auto totp = std::make_shared<std::string>();
  addCommon(login);
  login->add_option("--email", *email, "e-mail address")->required();
  login->add_option("--password-file", *pwFile, "a file whose first line is the password")->required();
  login->add_option("--totp", *totp,
                    "the code of your authenticator app, or a recovery code (asked for on a terminal)");
  login->callback([=] {
    std::ifstream in(*pwFile);
    std::string pw;
    if (!in || !std::getline(in, pw) || pw.empty())
      throw AbortError(Error::invalid("--password-file", "cannot read a password from " + *pwFile));
    client::Client c(resolveServer(*common));
    json::object body{{"email", *email}, {"password", pw}};
    if (!totp->empty()) body["totp"] = *totp;
    auto r = c.post("/api/v1/auth/login", json::serialize(body));
    if (r.status == 401 && problemMember(r, "totp") == "required" && totp->empty()) {
      auto code = askOnTerminal("Code from your authenticator app (or a recovery code): ");
      if (!code)
        abortCommand("this account has a second factor: give its code with --totp CODE (or run login on a terminal)");
      body["totp"] = *code;
      r = c.post("/api/v1/auth/login", json::serialize(body));
    }
    if (r.status == 401 && problemMember(r, "totp") == "invalid")
      abortCommand("the second-factor code is wrong or has expired (--totp)");
    auto v = expectOk(r);
    if (str(v, "token").empty()) abortCommand("the server's answer holds no token");
    saveCredentials({c.base(), str(v, "token")});
    auto path = credentialsFile().string();
    if (common->output == "json") {
      json::object out{{"server", c.base()}, {"credentials", path}};
      for (auto key : {"user", "expiresAt"})
        if (auto* m = v.get_object().if_contains(key)) out[key] = *m;
      return printJson(out);
    }
    std::cout << "Logged in to " << c.base() << " as " << *email << "; credentials saved in " << path << "\n";
  });

  // catalog
  auto cat = app.add_subcommand("catalog", "List the apps that can be deployed");
  addCommon(cat);
  cat->callback([=] {
    auto v = expectOk(connect()->get("/api/v1/catalog"));
    if (common->output == "json") return printJson(v);
    std::vector<std::vector<std::string>> rows;
    for (auto& a : v.at("items").as_array())
      rows.push_back({str(a, "id"), str(a, "name"), str(a, "version"), str(a, "licence"), str(a, "summary")});
    printTable({"ID", "NAME", "VERSION", "LICENCE", "SUMMARY"}, rows);
  });

  // organisation
  auto org = app.add_subcommand("organisation", "Organisations (customers)");
  org->require_subcommand(1);
  auto orgCreate = org->add_subcommand("create", "Create an organisation");
  auto orgName = std::make_shared<std::string>();
  auto orgDisplay = std::make_shared<std::string>();
  addCommon(orgCreate);
  orgCreate->add_option("name", *orgName, "its short name: lower-case letters, digits and dashes, starting with a letter")
      ->required();
  orgCreate->add_option("--display-name", *orgDisplay, "how it is shown (default: the short name)");
  orgCreate->callback([=] {
    json::object body{{"name", *orgName}};
    if (!orgDisplay->empty()) body["displayName"] = *orgDisplay;
    auto v = expectOk(connect()->post("/api/v1/organisations", json::serialize(body)));
    if (common->output == "json") return printJson(v);
    std::cout << "Created organisation " << str(v, "name") << " (" << str(v, "id") << ")\n";
  });
  auto orgList = org->add_subcommand("list", "List organisations");
  addCommon(orgList);
  orgList->callback([=] {
    auto v = expectOk(connect()->get("/api/v1/organisations?limit=200"));
    if (common->output == "json") return printJson(v);
    std::vector<std::vector<std::string>> rows;
    for (auto& o : v.at("items").as_array()) rows.push_back({str(o, "id"), str(o, "name"), str(o, "createdAt")});
    printTable({"ID", "NAME", "CREATED"}, rows);
  });

  // deployment
  auto dep = app.add_subcommand("deployment", "Deployments: an organisation's apps under a domain");
  dep->require_subcommand(1);

  struct CreateOpts {
    std::string organisation, name, domain;
    std::vector<std::string> apps, settings;
  };
  auto co = std::make_shared<CreateOpts>();
  auto create = dep->add_subcommand("create", "Create a deployment (apply it with `deployment apply`)");
  addCommon(create);
  create->add_option("--organisation", co->organisation, "organisation id")->required();
  create->add_option("--name", co->name, "short name, e.g. social")->required();
  create->add_option("--domain", co->domain, "domain, e.g. social.example.org")->required();
  create->add_option("--app", co->apps, "an app of the catalog (repeat for several)")->required();
  create->add_option("--setting", co->settings, "APP.KEY=VALUE (VALUE as JSON, else a string)");
  create->callback([=] {
    json::array apps;
    std::map<std::string, json::object> settings;
    for (auto& s : co->settings) {
      auto dot = s.find('.'), eq = s.find('=');
      if (dot == std::string::npos || eq == std::string::npos || eq < dot)
        throw AbortError(Error::invalid("--setting", "write settings as APP.KEY=VALUE, not " + s));
      boost::system::error_code ec;
      auto value = json::parse(s.substr(eq + 1), ec);
      settings[s.substr(0, dot)][s.substr(dot + 1, eq - dot - 1)] = ec ? json::value(s.substr(eq + 1)) : value;
    }
    for (auto& a : co->apps) {
      json::object o{{"app", a}};
      if (settings.count(a)) o["settings"] = settings[a];
      apps.push_back(std::move(o));
    }
    auto body = json::object{{"name", co->name}, {"domain", co->domain}, {"apps", std::move(apps)}};
    auto v = expectOk(connect()->post("/api/v1/organisations/" + co->organisation + "/deployments",
                                      json::serialize(body)));
    if (common->output == "json") return printJson(v);
    std::cout << "Created deployment " << str(v, "name") << " (" << str(v, "id") << "). Review it with `fedihost "
              << "deployment plan " << str(v, "id") << "`, then apply it.\n";
  });

  auto listOrg = std::make_shared<std::string>();
  auto list = dep->add_subcommand("list", "List deployments");
  addCommon(list);
  list->add_option("--organisation", *listOrg, "only this organisation's");
  list->callback([=] {
    auto v = expectOk(connect()->get("/api/v1/deployments?limit=200" +
                                     (listOrg->empty() ? std::string() : "&organisation=" + *listOrg)));
    if (common->output == "json") return printJson(v);
    printTable({"ID", "NAME", "DOMAIN", "APPS", "STATUS"}, deploymentRows(v.at("items").as_array()));
  });

  auto depId = std::make_shared<std::string>();
  auto noWait = std::make_shared<bool>(false);
  auto show = dep->add_subcommand("show", "Show a deployment");
  addCommon(show);
  show->add_option("id", *depId, "deployment id")->required();
  show->callback([=] {
    auto v = expectOk(connect()->get("/api/v1/deployments/" + *depId));
    if (common->output == "json") return printJson(v);
    showDeployment(v);
  });

  auto plan = dep->add_subcommand("plan", "Show what applying would change");
  addCommon(plan);
  plan->add_option("id", *depId, "deployment id")->required();
  auto savePlan = std::make_shared<bool>(false);
  plan->add_flag("--save", *savePlan, "keep the plan, to apply exactly it with `deployment apply --plan`");
  plan->callback([=] {
    auto v = expectOk(connect()->post("/api/v1/deployments/" + *depId + "/plan", *savePlan ? R"({"save": true})" : "{}"));
    if (common->output == "json") return printJson(v);
    printPlan(v);
    if (*savePlan) std::cout << "Saved as " << str(v, "id") << ": apply it with `fedihost deployment apply " << *depId
                              << " --plan " << str(v, "id") << "`.\n";
  });

  auto logins = dep->add_subcommand(
      "admin-logins", "Show the first administrator of each app and where to sign in (org admins; audited)");
  addCommon(logins);
  logins->add_option("id", *depId, "deployment id")->required();
  logins->callback([=] {
    // A POST: every reveal writes an audit row (who, which deployment; never the password).
    auto v = expectOk(connect()->post("/api/v1/deployments/" + pathSegment(*depId) + "/admin-logins/reveal", "{}"));
    if (common->output == "json") return printJson(v);
    const auto& items = v.at("items").as_array();
    if (items.empty()) {
      std::cout << "None of this deployment's apps has a first administrator made by fedihost.\n";
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto& i : items)
      rows.push_back({str(i, "name"), str(i, "username"),
                      i.at("password").is_string() ? str(i, "password") : "(once applied)", str(i, "loginUrl")});
    // Never narrowed: a cut password is no use.
    printTable({"APP", "USER", "PASSWORD", "SIGN IN AT"}, rows, 0);
  });

  auto refresh = dep->add_subcommand("refresh", "Read every resource back from its provider and show what drifted");
  addCommon(refresh);
  refresh->add_option("id", *depId, "deployment id")->required();
  refresh->callback([=] {
    // A job done by the server's workers: followed to its end, then its result shown.
    auto c = connect();
    auto job = followJob(*c, expectOk(c->post("/api/v1/deployments/" + *depId + "/refresh", "{}")),
                         common->output == "json", "provider calls");
    const auto& v = job.at("result");
    if (common->output == "json") return printJson(v);
    const auto& items = v.at("resources").as_array();
    if (items.empty()) std::cout << "No drift: every resource is as applied.\n";
    for (auto& d : items)
      std::cout << "  " << str(d, "status") << "  " << str(d, "resourceKey") << "  " << str(d, "detail") << "\n";
    for (auto& e : v.at("errors").as_array()) std::cout << "  could not read: " << e.as_string() << "\n";
    if (!items.empty()) std::cout << "Apply the deployment to repair it.\n";
  });

  auto orphans = app.add_subcommand(
      "orphans", "Operators: scan every target's providers for resources nothing records (a job on the server)");
  addCommon(orphans);
  orphans->callback([=] {
    auto c = connect();
    auto job = followJob(*c, expectOk(c->post("/api/v1/orphans/scan", "{}")), common->output == "json", "provider calls");
    const auto& v = job.at("result");
    if (common->output == "json") return printJson(v);
    std::vector<std::vector<std::string>> rows;
    for (auto& o : v.at("items").as_array())
      rows.push_back({str(o, "target"), str(o, "deployment"), str(o, "resourceKey"), str(o, "reason")});
    if (rows.empty()) std::cout << "No orphans found.\n";
    else printTable({"TARGET", "DEPLOYMENT", "RESOURCE", "REASON"}, rows);
    for (auto& f : v.at("failures").as_array())
      std::cerr << "  could not list " << str(f, "kind") << " of " << str(f, "deployment") << " at " << str(f, "target")
                << ": " << str(f, "error") << "\n";
    if (v.at("complete") != true)
      throw AbortError({ErrorKind::Provider, "the scan is incomplete: some providers could not list", {}});
  });

  auto runId = std::make_shared<std::string>();
  auto cancel = dep->add_subcommand("cancel", "Cancel a run (steps in flight end, nothing new starts)");
  addCommon(cancel);
  cancel->add_option("run", *runId, "run id")->required();
  cancel->callback([=] {
    auto v = expectOk(connect()->post("/api/v1/runs/" + *runId + "/cancel", "{}"));
    if (common->output == "json") return printJson(v);
    std::cout << "Cancelling " << str(v, "id") << ".\n";
  });

  auto runAndFollow = [=](const std::string& method, const std::string& path, const std::string& body = "{}") {
    auto c = connect();
    auto v = expectOk(c->request(method, path, method == "POST" ? body : ""));
    if (common->output == "json" && *noWait) return printJson(v);
    if (*noWait) {
      std::cout << "Run " << str(v, "id") << " queued.\n";
      return;
    }
    bool ok = followRun(*c, str(v, "id"), common->output == "json");
    if (common->output == "json") printJson(expectOk(c->get("/api/v1/runs/" + str(v, "id"))));
    if (!ok) throw AbortError({ErrorKind::Provider, "the run did not succeed", {}});
  };
  auto apply = dep->add_subcommand("apply", "Apply a deployment and show its progress");
  addCommon(apply);
  apply->add_option("id", *depId, "deployment id")->required();
  apply->add_flag("--no-wait", *noWait, "return once the run is queued");
  auto planId = std::make_shared<std::string>();
  apply->add_option("--plan", *planId, "apply this saved plan exactly (refused if anything changed since)");
  apply->callback([=] {
    runAndFollow("POST", "/api/v1/deployments/" + *depId + "/apply",
                 planId->empty() ? "{}" : boost::json::serialize(boost::json::object{{"plan", *planId}}));
  });

  auto del = dep->add_subcommand("delete", "Delete a deployment and everything it created");
  addCommon(del);
  del->add_option("id", *depId, "deployment id")->required();
  del->add_flag("--no-wait", *noWait, "return once the run is queued");
  auto yes = std::make_shared<bool>(false);
  del->add_flag("-y,--yes", *yes, "do not ask for confirmation");
  del->callback([=] {
    if (!*yes) {
      auto d = expectOk(connect()->get("/api/v1/deployments/" + *depId));
      auto name = str(d, "name");
      auto answer = askOnTerminal("Delete deployment " + name + " (" + str(d, "domain") + ", " + *depId +
                                  ") and everything it created: its machine, databases, buckets and mail? "
                                  "This cannot be undone. Type its name to confirm: ");
      if (!answer)
        abortCommand("not deleting deployment " + name + " without confirmation: run it on a terminal or pass --yes");
      if (*answer != name) abortCommand("not confirmed: nothing was deleted");
    }
    runAndFollow("DELETE", "/api/v1/deployments/" + *depId);
  });
}

}  // namespace fedihost::cli
