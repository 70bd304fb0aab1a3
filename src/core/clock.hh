#pragma once
#include <string>

namespace fedihost::clock {

/// The current time as RFC 3339 UTC with seconds, e.g. "2026-11-25T13:00:00Z".
std::string nowRfc3339();

}  // namespace fedihost::clock
