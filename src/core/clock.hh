#pragma once
#include <string>

namespace fedihost::clock {

/// The current time as RFC 3339 UTC with milliseconds, e.g. "2026-11-25T13:00:00.042Z"
/// (fixed width, so that text order is time order).
std::string nowRfc3339();

}  // namespace fedihost::clock
