// The sd_notify protocol: a datagram on the Unix socket named by $NOTIFY_SOCKET, received
// here by a socket of the test's own (the service manager's side), by path and in the
// abstract namespace.
#include "core/systemd_notify.hh"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "core/fd.hh"
#include "support/temp_dir.hh"

namespace fedihost::systemd {
namespace {

/// The service manager's end: a bound datagram socket; "@name" binds in the abstract namespace.
class Listener {
 public:
  explicit Listener(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0)
      throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  }
  /// The next datagram (waits for it: the sender has already sent when this is called).
  std::string receive() {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return "(nothing received)";
    char buf[4096];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    return n < 0 ? "(recv failed)" : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  Fd fd_;
};

TEST(SystemdNotify, SendsReadyToTheSocketOfNotifySocket) {
  testing::TempDir dir("fedihost-notify");
  const std::string path = (dir / "notify").string();
  Listener manager(path);
  auto sent = notify("READY=1\nSTATUS=serving", path.c_str());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_TRUE(*sent);
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving");
  ASSERT_TRUE(notify("WATCHDOG=1", path.c_str()).ok());
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");
}

TEST(SystemdNotify, SendsToAnAbstractSocket) {
  const std::string name = "@fedihost-notify-test-" + std::to_string(::getpid());
  Listener manager(name);
  auto sent = notify("STOPPING=1", name.c_str());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(SystemdNotify, DoesNothingWithoutAServiceManager) {
  auto unset = notify("READY=1", nullptr);
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(*unset);
  auto empty = notify("READY=1", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);
}

TEST(SystemdNotify, AnUnusableSocketIsAnError) {
  EXPECT_FALSE(notify("READY=1", "relative/path").ok());
  testing::TempDir dir("fedihost-notify");
  auto missing = notify("READY=1", (dir / "nobody-listens").c_str());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nobody-listens"), std::string::npos);
}

TEST(SystemdNotify, TheWatchdogIntervalIsOursOnly) {
  EXPECT_FALSE(watchdogInterval(nullptr, nullptr));
  EXPECT_EQ(watchdogInterval("30000000", nullptr), std::chrono::seconds(30));
  const std::string self = std::to_string(::getpid());
  EXPECT_EQ(watchdogInterval("5000000", self.c_str()), std::chrono::seconds(5));
  EXPECT_FALSE(watchdogInterval("5000000", std::to_string(::getpid() + 1).c_str()));  // another process's
  EXPECT_FALSE(watchdogInterval("0", nullptr));
  EXPECT_FALSE(watchdogInterval("soon", nullptr));
}

}  // namespace
}  // namespace fedihost::systemd
