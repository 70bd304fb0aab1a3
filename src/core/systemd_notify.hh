#pragma once
// The service manager's notification protocol (sd_notify(3)): "READY=1", "WATCHDOG=1",
// "STOPPING=1", "STATUS=…" sent as one datagram to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
//
// Our own few lines rather than libsystemd's sd_notify(): the protocol is a stable,
// documented interface of systemd (one datagram, newline-separated assignments), and
// libsystemd0 would add a shared library (and its compression and crypto libraries)
// to every process of the binary, CLI included, for one sendto().
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hh"

namespace fedihost::systemd {

/// Sends `state` to the service manager. true: sent; false: not run by a service manager
/// that listens ($NOTIFY_SOCKET unset or empty); an error if the socket is unusable.
Result<bool> notify(std::string_view state, const char* notifySocket = std::getenv("NOTIFY_SOCKET"));

/// How often the service manager expects "WATCHDOG=1": $WATCHDOG_USEC, when it is set
/// for this process ($WATCHDOG_PID unset or our PID); nothing when the watchdog is off.
std::optional<std::chrono::microseconds> watchdogInterval(const char* usec = std::getenv("WATCHDOG_USEC"),
                                                          const char* pid = std::getenv("WATCHDOG_PID"));

}  // namespace fedihost::systemd
