// fedihost target check: is a target reachable, are its credentials right, and
// what can each of its providers do.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/commands.hh"
#include "orchestrator/orchestrator.hh"
#include "providers/provider.hh"

namespace fedihost::cli {
namespace {

namespace fs = std::filesystem;

struct CheckOptions {
  std::string target;  ///< a file, or a name under --data's targets/
  std::string data = "var";
  bool faultInjection = false;  ///< as serve's option: a target with "faults" is refused without it
};

int runCheck(const CheckOptions& o) {
  orchestrator::DataDir dir{o.data};
  fs::path file = o.target;
  if (!fs::exists(file)) file = dir.targetConfigDir() / (o.target + ".json");
  if (o.target == "local" && !fs::exists(file)) {
    std::cout << "target local: the built-in file target under " << dir.targetRoot("local").string() << "\n";
    return 0;
  }
  std::ifstream in(file);
  if (!in) throw AbortError(Error::notFound("no target file " + o.target + " (nor " + file.string() + ")"));
  std::stringstream ss;
  ss << in.rdbuf();
  json::value config;
  try {
    config = json::parse(ss.str());
  } catch (const std::exception& e) {
    throw AbortError(Error::malformed(file.string(), std::string("not JSON: ") + e.what()));
  }
  if (!config.is_object()) throw AbortError(Error::malformed(file.string(), "must be a JSON object"));
  auto name = config.as_object().contains("name") ? std::string(config.at("name").as_string()) : std::string();
  // Sealed credentials ({"sealed": …}) open with the data directory's master key, if there is one.
  std::optional<secrets::SecretBox> box;
  std::error_code ec;
  if (fs::exists(dir.secretKey(), ec)) box = secrets::SecretBox::openOrCreate(dir.secretKey());
  auto target = providers::Target::fromConfig(config.get_object(), dir.targetRoot(name), dir.stateUrl(),
                                              box ? &*box : nullptr, o.faultInjection);
  if (!target) throw AbortError(target.error());

  std::cout << "target " << target->name() << " (" << file.string() << ")\n";
  int failures = 0;
  for (auto kind : allResourceKinds()) {
    if (!target->has(kind)) {
      std::cout << "  " << std::left << std::setw(15) << toString(kind)
                << "not offered: a deployment whose apps need it is refused\n";
      continue;
    }
    auto& p = target->provider(kind);
    auto caps = p.capabilities();
    auto started = std::chrono::steady_clock::now();
    // Listing what a deployment that cannot exist holds needs the server, and the credentials.
    std::string verdict = "ok";
    if (caps.canList) {
      auto r = p.list("dep_fedihostcheck");
      if (!r) {
        ++failures;
        verdict = "FAILED: " + r.error().message;
      }
    } else {
      verdict = "ok (cannot list: reachability not checked)";
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::cout << "  " << std::left << std::setw(15) << toString(kind) << std::setw(16) << p.implementation()
              << "parallelism " << target->parallelism(kind) << (caps.canUpdateInPlace ? ", updates in place" : ", replaces on change")
              << (caps.canList ? ", lists (drift, orphans)" : "") << "  " << verdict << " (" << ms.count() << " ms)\n";
  }
  if (failures) std::cout << failures << (failures == 1 ? " provider" : " providers") << " failed the check\n";
  return failures ? 1 : 0;
}

}  // namespace

void addTargetCommands(CLI::App& app) {
  auto* t = app.add_subcommand("target", "Targets: where deployments live");
  t->require_subcommand(1);
  auto o = std::make_shared<CheckOptions>();
  auto* c = t->add_subcommand("check", "Check a target's reachability and credentials, and show what its providers can do");
  c->add_option("target", o->target, "a target file, or the name of one under DATA/targets/")->required();
  c->add_option("--data", o->data, "data directory")->capture_default_str();
  c->add_flag("--fault-injection", o->faultInjection, "accept a target that injects faults (as serve --fault-injection)");
  c->callback([o] {
    int rc = runCheck(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace fedihost::cli
