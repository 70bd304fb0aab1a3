#pragma once
// Child processes for the lxc provider: argument vectors (no shell), a time
// limit, and the output (stdout and stderr together) kept for error messages.
#include <chrono>
#include <string>
#include <vector>

#include "core/result.hh"

namespace fedihost::providers::lxc {

struct CommandOutput {
  int exitCode = -1;   ///< -1 if killed by a signal
  std::string output;  ///< stdout and stderr together, trailing newlines removed
};

/// argv as one line, for messages.
std::string describe(const std::vector<std::string>& argv);

/// Runs argv[0] (an absolute path) with standard input from /dev/null. The
/// child gets no other descriptor of ours. Returns when the child has exited
/// (output a daemon it started keeps open is not waited for); killed and
/// Unavailable after `timeout`.
/// `env` adds NAME=value entries to the child's environment (PATH and LC_ALL=C are always set).
Result<CommandOutput> runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 const std::vector<std::string>& env = {});

/// runCommand, and an error unless it exits 0: Provider, with the command and its output.
Result<std::string> runChecked(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                               const std::vector<std::string>& env = {});

}  // namespace fedihost::providers::lxc
