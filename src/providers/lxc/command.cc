// Child processes for the lxc provider (see command.hh).
#include "providers/lxc/command.hh"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/fd.hh"

namespace fedihost::providers::lxc {

using Clock = std::chrono::steady_clock;

std::string describe(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

Result<CommandOutput> runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 const std::vector<std::string>& extraEnv) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/')
    return Error{ErrorKind::Internal, "runCommand needs an absolute program path: " + describe(argv), {}};
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Error{ErrorKind::Internal, std::string("pipe: ") + std::strerror(errno), {}};
  Fd outParent(out[0]), outChild(out[1]);
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) return Error{ErrorKind::Internal, std::string("/dev/null: ") + std::strerror(errno), {}};
  Fd null(devnull);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env{const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), const_cast<char*>("LC_ALL=C")};
  for (auto& e : extraEnv) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return Error{ErrorKind::Unavailable, std::string("fork: ") + std::strerror(errno), {}};
  if (pid == 0) {
    // Only async-signal-safe calls until exec. dup2 clears close-on-exec on 0, 1, 2.
    if (::dup2(null.get(), 0) < 0 || ::dup2(outChild.get(), 1) < 0 || ::dup2(outChild.get(), 2) < 0) _exit(126);
    // Nothing else of ours leaks into the child (lxc-start complains of inherited descriptors).
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), env.data());
    _exit(127);
  }
  outChild.close();
  null.close();

  const auto deadline = Clock::now() + timeout;
  CommandOutput result;
  int status = 0;
  bool exited = false, timedOut = false, eof = false;
  auto drain = [&] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(outParent.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) eof = true;
        return;
      }
      if (result.output.size() < (1u << 20)) result.output.append(buf, static_cast<std::size_t>(n));
      pollfd p{outParent.get(), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return;
    }
  };
  while (!exited) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    if (!eof) {
      pollfd p{outParent.get(), POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 20)));
      if (rc > 0) drain();
    } else {
      ::usleep(2000);
    }
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) exited = true;
    else if (w < 0 && errno != EINTR)
      return Error{ErrorKind::Internal, std::string("waitpid: ") + std::strerror(errno), {}};
  }
  if (timedOut) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Error{ErrorKind::Unavailable,
                 describe(argv) + " did not finish within " + std::to_string(timeout.count()) + " ms" +
                     (result.output.empty() ? "" : ": " + result.output),
                 {}};
  }
  // What is already written; a daemon the child left behind may hold the pipe open.
  {
    pollfd p{outParent.get(), POLLIN, 0};
    if (!eof && ::poll(&p, 1, 0) > 0) drain();
  }
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!result.output.empty() && (result.output.back() == '\n' || result.output.back() == ' '))
    result.output.pop_back();
  return result;
}

Result<std::string> runChecked(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                               const std::vector<std::string>& env) {
  auto r = runCommand(argv, timeout, env);
  if (!r) return r.error();
  if (r->exitCode != 0)
    return Error{ErrorKind::Provider,
                 describe(argv) + " failed (exit " + std::to_string(r->exitCode) + ")" +
                     (r->output.empty() ? "" : ": " + r->output),
                 {}};
  return std::move(r->output);
}

}  // namespace fedihost::providers::lxc
