#include "core/systemd_notify.hh"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "core/fd.hh"

namespace fedihost::systemd {

Result<bool> notify(std::string_view state, const char* notifySocket) {
  if (!notifySocket || !*notifySocket) return false;
  std::string_view name(notifySocket);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // A path, or "@…" for the abstract namespace (a leading NUL in sun_path).
  if ((name[0] != '/' && name[0] != '@') || name.size() < 2 || name.size() >= sizeof(addr.sun_path))
    return Error{ErrorKind::Internal, "NOTIFY_SOCKET=" + std::string(name) + " is not a Unix socket's path", {}};
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());

  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Error{ErrorKind::Internal, std::string("socket: ") + std::strerror(errno), {}};
  ssize_t sent;
  do sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), length);
  while (sent < 0 && errno == EINTR);
  if (sent < 0 || static_cast<std::size_t>(sent) != state.size())
    return Error{ErrorKind::Internal,
                 "sending to NOTIFY_SOCKET=" + std::string(name) + ": " + (sent < 0 ? std::strerror(errno) : "short write"),
                 {}};
  return true;
}

std::optional<std::chrono::microseconds> watchdogInterval(const char* usec, const char* pid) {
  if (!usec || !*usec) return std::nullopt;
  if (pid && *pid) {
    char* end = nullptr;
    long long p = std::strtoll(pid, &end, 10);
    if (*end != '\0' || p != static_cast<long long>(::getpid())) return std::nullopt;  // meant for another process
  }
  char* end = nullptr;
  errno = 0;
  unsigned long long us = std::strtoull(usec, &end, 10);
  if (errno != 0 || *end != '\0' || us == 0) return std::nullopt;
  return std::chrono::microseconds(us);
}

}  // namespace fedihost::systemd
