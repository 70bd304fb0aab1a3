#pragma once
// The fedihost subcommands. Server commands (init, serve) run in-process;
// client commands talk to the API over HTTP like any other client.
#include <CLI/CLI.hpp>

namespace fedihost::cli {

/// Adds `init` and `serve`.
void addServerCommands(CLI::App& app);
/// Adds `login`, `catalog`, `organisation …` and `deployment …`.
void addClientCommands(CLI::App& app);
/// Adds `logout`, `token …`, `member …`, `user …` and `organisation rename|delete`
/// (after addClientCommands, which adds `organisation`).
void addAccountCommands(CLI::App& app);
/// Adds `target check`.
void addTargetCommands(CLI::App& app);
/// Adds `usage`, `statement`, `price-plan create|list|assign` and `adjustment add`.
void addBillingCommands(CLI::App& app);
/// Adds `audit verify` (local) and `audit list` (client).
void addAuditCommands(CLI::App& app);
/// Adds `backup create|list|download|verify`, `restore` (clients) and `bundle verify|key …` (local).
void addBackupCommands(CLI::App& app);

}  // namespace fedihost::cli
