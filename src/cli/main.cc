#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hh"
#include "core/log.hh"
#include "core/result.hh"

#include <unistd.h>

int main(int argc, char** argv) {
  // Logs go to stderr: text on a terminal, JSON lines otherwise (serve applies log.format).
  fedihost::log::setup(fedihost::log::formatFor("auto", ::isatty(STDERR_FILENO) == 1));
  CLI::App app{"fedihost — a control plane for hosting Fediverse and collaboration services"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(FEDIHOST_VERSION));
  fedihost::cli::addServerCommands(app);
  fedihost::cli::addClientCommands(app);
  fedihost::cli::addAccountCommands(app);
  fedihost::cli::addTargetCommands(app);
  fedihost::cli::addBillingCommands(app);
  fedihost::cli::addAuditCommands(app);
  fedihost::cli::addBackupCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const fedihost::AbortError& e) {
    std::cerr << "error: " << e.error().message << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
