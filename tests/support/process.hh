#pragma once
// A child process started with fork/exec and killed by PID on destruction
// (also when the test fails), and a helper that runs a command to completion.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace fedihost::testing {

class Process {
 public:
  /// Starts `argv[0]` with arguments; stdout and stderr go to `logFile`.
  Process(const std::vector<std::string>& argv, const std::string& logFile) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Dies with the test process, even when that one aborts before its destructors run.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (!std::freopen(logFile.c_str(), "w", stdout)) _exit(127);
      ::dup2(::fileno(stdout), 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// SIGTERM, then SIGKILL after 5 s; returns the exit status.
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = 0;
        return status_;
      }
      ::usleep(10000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = 0;
    return status_;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  int status_ = 0;
};

struct CommandResult {
  int exitCode = -1;
  std::string output;  ///< stdout and stderr together
};

/// `s` as one word for the shell: in single quotes, with each ' written '\''.
inline std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs a shell command to completion and captures its output.
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace fedihost::testing
