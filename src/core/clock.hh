#pragma once
#include <chrono>
#include <string>

namespace fedihost::clock {

/// The current time: the system clock, unless a test has set it (setNowForTesting).
/// Everything below, and everything that asks for "now" (sessions, usage, statements), uses it.
std::chrono::system_clock::time_point now();

/// Tests only: makes now() return `t` from now on, process-wide; the epoch (the default
/// argument) gives the system clock back.
void setNowForTesting(std::chrono::system_clock::time_point t = {});

/// The current time as RFC 3339 UTC with milliseconds, e.g. "2026-11-25T13:00:00.042Z"
/// (fixed width, so that text order is time order).
std::string nowRfc3339();

/// A time point in the same form.
std::string rfc3339(std::chrono::system_clock::time_point t);

/// Now plus `d`, in the same form (expiry times).
std::string fromNowRfc3339(std::chrono::seconds d);

}  // namespace fedihost::clock
