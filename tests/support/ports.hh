#pragma once
// Ports on 127.0.0.1 for tests that need a server to be absent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/fd.hh"

namespace fedihost::testing {

/// A port on 127.0.0.1 that nothing listens on: bound (TCP, or UDP with
/// SOCK_DGRAM), read and released.
inline int closedPort(int type = SOCK_STREAM) {
  Fd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 1;  // nothing listens on port 1 either, unless run as a server
  return ntohs(a.sin_port);
}

}  // namespace fedihost::testing
