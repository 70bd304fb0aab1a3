// fedihost backup create|list|show|download|verify, fedihost restore, fedihost migrate and
// fedihost migration list|show|remove-old-side (clients of the API),
// and fedihost bundle verify / bundle key export|import (local, on a data directory).
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "accounting/usage.hh"
#include "bundle/bundle.hh"
#include "cli/client_support.hh"
#include "cli/commands.hh"
#include "orchestrator/orchestrator.hh"

namespace fedihost::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Polls a backup or restore until it ends, with a progress bar; returns its last state.
json::value follow(client::Client& c, const std::string& path, bool quiet) {
  json::value v;
  for (;;) {
    v = expectOk(c.get(path));
    auto status = str(v, "status");
    if (!quiet) {
      int done = static_cast<int>(v.at("done").to_number<std::int64_t>());
      int total = static_cast<int>(v.at("total").to_number<std::int64_t>());
      constexpr int width = 30;
      int filled = total ? std::min(done, total) * width / total : 0;
      std::string last;
      if (auto* j = v.as_object().if_contains("journal"); j && !j->as_array().empty())
        last = str(j->as_array().back(), "part") + " " + str(j->as_array().back(), "message");
      std::cout << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
                << std::string(static_cast<std::size_t>(width - filled), '-') << "] " << done << "/" << total << " "
                << std::left << std::setw(60) << last.substr(0, 60) << std::flush;
    }
    if (status == "succeeded" || status == "failed") break;
    std::this_thread::sleep_for(200ms);
  }
  if (!quiet) std::cout << "\n";
  return v;
}

/// The bundle key: an exported key file if given, else the data directory's.
bundle::BundleKey keyFor(const std::string& keyFile, const std::string& data) {
  if (!keyFile.empty()) {
    std::ifstream in(keyFile);
    if (!in) abortCommand("cannot read " + keyFile);
    std::stringstream ss;
    ss << in.rdbuf();
    return bundle::BundleKey::fromExport(ss.str()).orThrow();
  }
  orchestrator::DataDir dir{data};
  if (!fs::exists(dir.bundleKey()))
    abortCommand("no bundle key at " + dir.bundleKey().string() + " (give --key-file with an exported key, or --data)");
  return bundle::BundleKey::openOrCreate(dir.bundleKey());
}

/// Verifies a bundle file: 0 when every part checks, 2 naming the part at fault.
int verifyFile(const std::string& file, const bundle::BundleKey& key, bool quiet) {
  auto r = bundle::readBundle(file, key);
  if (!r) {
    std::cout << "bundle NOT intact: " << r.error().message << "\n";
    return 2;
  }
  if (!quiet) {
    std::uint64_t bytes = 0;
    for (auto& p : r->manifest.parts) bytes += p.size;
    std::cout << "bundle intact: " << r->manifest.parts.size() << " parts, " << bytes << " bytes, "
              << r->secrets.size() << " secrets (deployment " << str(r->manifest.deployment, "name") << ", "
              << str(r->manifest.deployment, "domain") << ", made " << r->manifest.createdAt << ")\n";
  }
  return 0;
}

/// Verifies a stored backup on the server (a job: the server reads the bundle where it is kept):
/// 0 when intact, 2 naming the part at fault.
int verifyBackup(const Common& common, const std::string& backupId, bool quiet) {
  auto c = connect(common);
  const bool asJson = common.output == "json";
  auto job = followJob(*c, expectOk(c->post("/api/v1/backups/" + pathSegment(backupId) + "/verify", "{}")),
                       quiet || asJson, "bundles read");
  const auto& r = job.at("result");
  if (asJson) printJson(r);
  if (!r.at("intact").as_bool()) {
    if (!asJson)
      std::cout << "backup " << backupId << " NOT intact: "
                << (r.at("part").is_string() ? str(r, "part") + ": " : std::string()) << str(r, "problem") << "\n";
    return 2;
  }
  if (!quiet && !asJson)
    std::cout << "backup " << backupId << " intact: " << str(r, "parts") << " parts, " << str(r, "size") << " bytes, "
              << str(r, "secrets") << " secrets (checked on the server at " << str(r, "checkedAt") << ")\n";
  return 0;
}

/// `verify FILE` checks a bundle file here; under `backup`, `verify BACKUP-ID` (an argument that is
/// not a file and names a backup) asks the server to check the stored bundle.
void addVerify(CLI::App* parent, const char* help, bool backups) {
  struct Options {
    std::string file, keyFile, data = "var";
    bool quiet = false;
    Common common;
  };
  auto o = std::make_shared<Options>();
  auto* v = parent->add_subcommand("verify", help);
  v->add_option("file", o->file, backups ? "a bundle file, or a backup id (bak_…)" : "the bundle file")->required();
  v->add_option("--key-file", o->keyFile, "a key written by `fedihost bundle key export`");
  v->add_option("--data", o->data, "data directory whose bundle key to use")->capture_default_str();
  v->add_flag("-q,--quiet", o->quiet, "print nothing when intact");
  if (backups) addCommonOptions(v, o->common);
  v->callback([o, backups] {
    const bool remote = backups && o->file.starts_with("bak_") && !fs::exists(o->file);
    int rc = remote ? verifyBackup(o->common, o->file, o->quiet)
                    : verifyFile(o->file, keyFor(o->keyFile, o->data), o->quiet);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

std::vector<std::string> backupRow(const json::value& b) {
  const auto* sched = b.as_object().if_contains("scheduled");
  const auto* safety = b.as_object().if_contains("safetyFor");
  const std::string kind = safety && safety->is_string() ? "safety (" + std::string(safety->as_string()) + ")"
                           : sched && sched->is_bool() && sched->as_bool() ? "scheduled"
                                                                            : "on demand";
  return {str(b, "id"), str(b, "status"), kind, str(b, "size"), str(b, "createdAt"), str(b, "location"), str(b, "error")};
}

/// How far away an RFC 3339 time is, in words: "in 2 hours 5 minutes", "now", "3 minutes ago".
std::string fromNow(const std::string& at) {
  auto t = accounting::parseTime(at);
  if (!t) return at;
  auto diff = *t - accounting::nowSeconds();
  const bool past = diff < 0;
  auto n = past ? -diff : diff;
  if (n < 60) return past ? "just now" : "within a minute";
  auto unit = [](std::int64_t v, const char* one) { return std::to_string(v) + " " + one + (v == 1 ? "" : "s"); };
  std::string words;
  if (n >= 86400) words = unit(n / 86400, "day") + (n % 86400 >= 3600 ? " " + unit(n % 86400 / 3600, "hour") : "");
  else if (n >= 3600) words = unit(n / 3600, "hour") + (n % 3600 >= 60 ? " " + unit(n % 3600 / 60, "minute") : "");
  else words = unit(n / 60, "minute");
  return past ? words + " ago" : "in " + words;
}

void printSchedule(const json::value& v) {
  const auto& o = v.as_object();
  const auto& keep = o.at("keep");
  if (o.at("cadence").is_null()) {
    std::cout << "No backup schedule.\n";
    return;
  }
  std::cout << "Schedule:  " << str(v, "cadence") << (o.at("enabled").as_bool() ? "" : " (disabled)") << "\n"
            << "Keep:      " << str(keep, "hourly") << " hourly, " << str(keep, "daily") << " daily, "
            << str(keep, "weekly") << " weekly, " << str(keep, "monthly") << " monthly\n";
  if (!o.at("nextDueAt").is_null())
    std::cout << "Next:      " << fromNow(str(v, "nextDueAt")) << " (" << str(v, "nextDueAt") << ")\n";
  if (!o.at("lastRunAt").is_null()) {
    std::cout << "Last:      " << str(v, "lastResult") << " " << fromNow(str(v, "lastRunAt"));
    if (!o.at("lastBackup").is_null()) std::cout << ", backup " << str(v, "lastBackup");
    if (!o.at("lastMessage").is_null()) std::cout << ": " << str(v, "lastMessage");
    std::cout << "\n";
  }
}

}  // namespace

void addBackupCommands(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto addCommon = [common](CLI::App* cmd) { addCommonOptions(cmd, *common); };
  auto noWait = std::make_shared<bool>(false);

  auto backup = app.add_subcommand("backup", "Backups of deployments (bundles)");
  backup->require_subcommand(1);

  auto depId = std::make_shared<std::string>();
  auto* create = backup->add_subcommand("create", "Back a deployment up now and show its progress");
  addCommon(create);
  create->add_option("deployment", *depId, "deployment id")->required();
  create->add_flag("--no-wait", *noWait, "return once the backup is queued");
  create->callback([=] {
    auto c = connect(*common);
    auto v = expectOk(c->post("/api/v1/deployments/" + pathSegment(*depId) + "/backups", "{}"));
    if (*noWait) {
      if (common->output == "json") return printJson(v);
      std::cout << "Backup " << str(v, "id") << " queued.\n";
      return;
    }
    auto end = follow(*c, "/api/v1/backups/" + str(v, "id"), common->output == "json");
    if (common->output == "json") printJson(end);
    if (str(end, "status") != "succeeded") {
      std::cerr << "Backup " << str(end, "id") << " failed: " << str(end, "error") << "\n";
      throw AbortError({ErrorKind::Provider, "the backup did not succeed", {}});
    }
    if (common->output != "json")
      std::cout << "Backup " << str(end, "id") << " complete: " << str(end, "size") << " bytes, BLAKE2b "
                << str(end, "checksum") << ", in " << str(end, "location") << "\n";
  });

  auto* list = backup->add_subcommand("list", "List a deployment's backups, newest first");
  addCommon(list);
  list->add_option("deployment", *depId, "deployment id")->required();
  list->callback([=] {
    auto c = connect(*common);
    auto v = expectOk(c->get("/api/v1/deployments/" + pathSegment(*depId) + "/backups"));
    if (common->output == "json") return printJson(v);
    std::vector<std::vector<std::string>> rows;
    for (auto& b : itemsOf(v)) rows.push_back(backupRow(b));
    printTable({"ID", "STATUS", "KIND", "BYTES", "CREATED", "LOCATION", "ERROR"}, rows);
  });

  // fedihost backup schedule show|set|disable DEPLOYMENT
  auto* schedule = backup->add_subcommand("schedule", "A deployment's backup schedule and retention");
  schedule->require_subcommand(1);
  auto schedulePath = [depId] { return "/api/v1/deployments/" + pathSegment(*depId) + "/backup-schedule"; };
  auto* show = schedule->add_subcommand("show", "Show the schedule, the retention and when the next backup is due");
  addCommon(show);
  show->add_option("deployment", *depId, "deployment id")->required();
  show->callback([=] {
    auto v = expectOk(connect(*common)->get(schedulePath()));
    if (common->output == "json") return printJson(v);
    printSchedule(v);
  });
  struct ScheduleOptions {
    int everyHours = 0;
    std::string dailyAt;
    int hourly = 0, daily = 0, weekly = 0, monthly = 0;
  };
  auto so = std::make_shared<ScheduleOptions>();
  auto* set = schedule->add_subcommand("set", "Back the deployment up every N hours or daily at HH:MM UTC, keeping N of each kind");
  addCommon(set);
  set->add_option("deployment", *depId, "deployment id")->required();
  auto* every = set->add_option("--every-hours", so->everyHours, "every N hours (1-168; every 6 is 00:00, 06:00, 12:00, 18:00 UTC)");
  set->add_option("--daily-at", so->dailyAt, "daily at HH:MM UTC")->excludes(every);
  set->add_option("--keep-hourly", so->hourly, "hourly backups to keep");
  set->add_option("--keep-daily", so->daily, "daily backups to keep");
  set->add_option("--keep-weekly", so->weekly, "weekly backups to keep (ISO weeks)");
  set->add_option("--keep-monthly", so->monthly, "monthly backups to keep");
  set->callback([=] {
    json::object body{{"keep", json::object{{"hourly", so->hourly},
                                            {"daily", so->daily},
                                            {"weekly", so->weekly},
                                            {"monthly", so->monthly}}}};
    if (so->everyHours != 0) body["everyHours"] = so->everyHours;
    if (!so->dailyAt.empty()) body["dailyAt"] = so->dailyAt;
    auto v = expectOk(connect(*common)->request("PUT", schedulePath(), json::serialize(body)));
    if (common->output == "json") return printJson(v);
    printSchedule(v);
  });
  auto* disable = schedule->add_subcommand("disable", "Stop scheduled backups (the backups made are kept)");
  addCommon(disable);
  disable->add_option("deployment", *depId, "deployment id")->required();
  disable->callback([=] {
    auto v = expectOk(connect(*common)->request("DELETE", schedulePath()));
    if (common->output == "json") return printJson(v);
    std::cout << "Scheduled backups of " << *depId << " are disabled; the backups made are kept.\n";
  });

  auto backupId = std::make_shared<std::string>();
  auto outFile = std::make_shared<std::string>();
  auto* download = backup->add_subcommand("download", "Download a backup's bundle file");
  addCommon(download);
  download->add_option("backup", *backupId, "backup id")->required();
  download->add_option("-f,--file", *outFile, "where to write it (default: <backup id>.fhb)");
  download->callback([=] {
    const fs::path file = outFile->empty() ? *backupId + ".fhb" : *outFile;
    if (fs::exists(fs::symlink_status(file)))
      abortCommand(file.string() + " exists: remove it or give another name with -f");
    auto c = connect(*common);
    // Streamed to "<file>.partial", renamed once whole: a broken download leaves no bundle behind.
    auto r = c->download("/api/v1/backups/" + pathSegment(*backupId) + "/bundle", file);
    if (r.status / 100 != 2) expectOk(r);  // throws with the problem's detail
    // The server names the bundle's BLAKE2b: what arrived must be what the backup recorded.
    const auto expected = r.headers.count("x-bundle-blake2b") ? r.headers.at("x-bundle-blake2b") : std::string();
    auto got = bundle::fileChecksum(file).orThrow();
    if (!expected.empty() && got != expected) {
      fs::remove(file);
      abortCommand("the downloaded bundle's BLAKE2b " + got + " is not the backup's " + expected +
                   " (damaged in transit or at the target); nothing was kept");
    }
    std::cout << "wrote " << file.string() << " (" << fs::file_size(file) << " bytes"
              << (expected.empty() ? "" : ", BLAKE2b matches the backup") << ")\n";
  });

  addVerify(backup,
            "Check a bundle file here, or a stored backup on the server: every part's checksum, and that its "
            "secrets decrypt (exit 2 naming the part)",
            true);

  // fedihost restore BACKUP --organisation ORG [--domain D] [--name N] [--target T]
  // fedihost restore BACKUP --in-place
  struct RestoreOptions {
    std::string backup, organisation, domain, name, target;
    bool inPlace = false;
  };
  auto ro = std::make_shared<RestoreOptions>();
  auto* restore = app.add_subcommand(
      "restore", "Restore a backup as a new deployment, or --in-place into its own deployment, and show its progress");
  addCommon(restore);
  restore->add_option("backup", ro->backup, "backup id")->required();
  auto* inPlace = restore->add_flag(
      "--in-place", ro->inPlace,
      "into the backup's own deployment: its data and secrets replaced by the backup's, after a safety backup");
  restore->add_option("--organisation", ro->organisation, "the organisation (the backup's; not with --in-place)")
      ->excludes(inPlace);
  restore->add_option("--domain", ro->domain, "the new deployment's domain (default: the backup's)")->excludes(inPlace);
  restore->add_option("--name", ro->name, "the new deployment's name (default: the backup's)")->excludes(inPlace);
  restore->add_option("--target", ro->target, "where to restore (default: the backup's target)")->excludes(inPlace);
  restore->add_flag("--no-wait", *noWait, "return once the restore is queued");
  restore->callback([=] {
    json::object body{{"backup", ro->backup}};
    auto c = connect(*common);
    json::value v;
    if (ro->inPlace) {
      auto b = expectOk(c->get("/api/v1/backups/" + pathSegment(ro->backup)));
      v = expectOk(c->post("/api/v1/deployments/" + pathSegment(str(b, "deployment")) + "/restores",
                           json::serialize(body)));
    } else {
      if (ro->organisation.empty()) abortCommand("give --organisation (a new deployment), or --in-place");
      if (!ro->domain.empty()) body["domain"] = ro->domain;
      if (!ro->name.empty()) body["name"] = ro->name;
      if (!ro->target.empty()) body["target"] = ro->target;
      v = expectOk(c->post("/api/v1/organisations/" + pathSegment(ro->organisation) + "/restores", json::serialize(body)));
    }
    if (*noWait) {
      if (common->output == "json") return printJson(v);
      std::cout << "Restore " << str(v, "id") << " queued into deployment " << str(v, "deployment") << ".\n";
      return;
    }
    auto end = follow(*c, "/api/v1/restores/" + str(v, "id"), common->output == "json");
    if (common->output == "json") printJson(end);
    if (str(end, "status") != "succeeded") {
      std::cerr << "Restore " << str(end, "id") << " failed at " << str(end, "failedPart") << ": " << str(end, "error")
                << "\n";
      throw AbortError({ErrorKind::Provider, "the restore did not succeed", {}});
    }
    if (common->output == "json") return;
    if (ro->inPlace)
      std::cout << "Restored in place into deployment " << str(end, "deployment") << "; what it replaced is safety backup "
                << str(end, "safetyBackup") << ".\n";
    else
      std::cout << "Restored as deployment " << str(end, "deployment") << ".\n";
  });

  // fedihost migrate DEPLOYMENT --to TARGET; fedihost migration list|show|remove-old-side
  struct MigrateOptions {
    std::string deployment, to, id;
  };
  auto mo = std::make_shared<MigrateOptions>();
  auto describeMigration = [](const json::value& m) {
    std::ostringstream out;
    out << "Migration " << str(m, "id") << " of " << str(m, "deployment") << " from " << str(m, "from") << " to "
        << str(m, "to") << ": " << str(m, "status");
    if (str(m, "status") == "running") out << " (" << str(m, "phase") << ")";
    if (!str(m, "downtimeMs").empty()) out << ", downtime " << str(m, "downtimeMs") << " ms";
    if (!str(m, "oldSide").empty()) out << ", old side " << str(m, "oldSide");
    out << ".\n";
    if (!str(m, "error").empty()) out << "  " << str(m, "error") << "\n";
    if (auto* copies = m.as_object().if_contains("copies"); copies && copies->is_array())
      for (auto& c : copies->as_array()) {
        out << "  " << str(c, "part") << ": " << str(c, "method");
        if (!str(c, "lagBytes").empty()) out << ", " << str(c, "lagBytes") << " bytes behind when writes stopped";
        if (!str(c, "reason").empty()) out << " (" << str(c, "reason") << ")";
        out << "\n";
      }
    return out.str();
  };
  auto* migrate = app.add_subcommand(
      "migrate", "Move a deployment to another target (operators): provision, copy, cut over, and show the downtime");
  addCommon(migrate);
  migrate->add_option("deployment", mo->deployment, "deployment id")->required();
  migrate->add_option("--to", mo->to, "the target to move it to")->required();
  migrate->add_flag("--no-wait", *noWait, "return once the migration is queued");
  migrate->callback([=] {
    auto c = connect(*common);
    auto v = expectOk(c->post("/api/v1/deployments/" + pathSegment(mo->deployment) + "/migrations",
                              json::serialize(json::object{{"target", mo->to}})));
    if (*noWait) {
      if (common->output == "json") return printJson(v);
      std::cout << "Migration " << str(v, "id") << " queued.\n";
      return;
    }
    auto end = follow(*c, "/api/v1/migrations/" + str(v, "id"), common->output == "json");
    if (common->output == "json") printJson(end);
    else std::cout << describeMigration(end);
    if (str(end, "status") != "succeeded") throw AbortError({ErrorKind::Provider, "the migration did not succeed", {}});
    if (common->output != "json")
      std::cout << "The old side at " << str(end, "from") << " is kept, its writes stopped; remove it with: fedihost "
                << "migration remove-old-side " << str(end, "id") << "\n";
  });
  auto* migration = app.add_subcommand("migration", "Migrations of deployments to another target");
  migration->require_subcommand(1);
  auto* mlist = migration->add_subcommand("list", "A deployment's migrations, newest first");
  addCommon(mlist);
  mlist->add_option("deployment", mo->deployment, "deployment id")->required();
  mlist->callback([=] {
    auto v = expectOk(connect(*common)->get("/api/v1/deployments/" + pathSegment(mo->deployment) + "/migrations"));
    if (common->output == "json") return printJson(v);
    std::vector<std::vector<std::string>> rows;
    for (auto& m : v.at("items").as_array())
      rows.push_back({str(m, "id"), str(m, "from") + " → " + str(m, "to"), str(m, "status"),
                      str(m, "downtimeMs").empty() ? "-" : str(m, "downtimeMs") + " ms",
                      str(m, "oldSide").empty() ? "-" : str(m, "oldSide"), str(m, "createdAt")});
    printTable({"ID", "MOVE", "STATUS", "DOWNTIME", "OLD SIDE", "CREATED"}, rows);
  });
  auto* mshow = migration->add_subcommand("show", "One migration with its journal");
  addCommon(mshow);
  mshow->add_option("id", mo->id, "migration id")->required();
  mshow->callback([=] {
    auto v = expectOk(connect(*common)->get("/api/v1/migrations/" + pathSegment(mo->id)));
    if (common->output == "json") return printJson(v);
    std::cout << describeMigration(v);
    for (auto& l : v.at("journal").as_array())
      std::cout << "  " << str(l, "at") << "  " << (str(l, "part").empty() ? "" : str(l, "part") + ": ")
                << str(l, "message") << "\n";
  });
  auto* remove = migration->add_subcommand("remove-old-side", "Remove what a migration left at its old target (operators)");
  addCommon(remove);
  remove->add_option("id", mo->id, "migration id")->required();
  remove->callback([=] {
    auto c = connect(*common);
    expectOk(c->post("/api/v1/migrations/" + pathSegment(mo->id) + "/old-side-removal", "{}"));
    json::value v;
    for (;;) {
      v = expectOk(c->get("/api/v1/migrations/" + pathSegment(mo->id)));
      if (str(v, "oldSide") != "removing") break;
      std::this_thread::sleep_for(200ms);
    }
    if (common->output == "json") return printJson(v);
    std::cout << describeMigration(v);
    if (str(v, "oldSide") != "removed") throw AbortError({ErrorKind::Provider, "the old side is not removed", {}});
  });

  // Local commands on bundles and the key.
  auto bundleCmd = app.add_subcommand("bundle", "Bundle files and the installation's bundle key");
  bundleCmd->require_subcommand(1);
  addVerify(bundleCmd, "Check a bundle file: every part's checksum, and that its secrets decrypt (exit 2 naming the part)",
            false);
  auto key = bundleCmd->add_subcommand("key", "The bundle key (kept in the data directory, mode 0600)");
  key->require_subcommand(1);
  auto keyData = std::make_shared<std::string>("var");
  auto* exp = key->add_subcommand("export", "Print the bundle key as text, for a restore on another installation");
  exp->add_option("--data", *keyData, "data directory")->capture_default_str();
  exp->callback([keyData] {
    orchestrator::DataDir dir{*keyData};
    std::cout << bundle::BundleKey::openOrCreate(dir.bundleKey()).exportText() << "\n";
  });
  auto keyFile = std::make_shared<std::string>();
  auto* imp = key->add_subcommand("import", "Install an exported bundle key into a data directory that has none");
  imp->add_option("--data", *keyData, "data directory")->capture_default_str();
  imp->add_option("file", *keyFile, "a file written by `bundle key export`")->required();
  imp->callback([keyData, keyFile] {
    auto k = keyFor(*keyFile, "");
    orchestrator::DataDir dir{*keyData};
    fs::create_directories(dir.root);
    k.save(dir.bundleKey()).orThrow();
    std::cout << "bundle key " << k.id() << " installed at " << dir.bundleKey().string() << "\n";
  });
}

}  // namespace fedihost::cli
