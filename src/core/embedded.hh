#pragma once
// Files compiled into the binary: schema migrations and the OpenAPI document.
#include <map>
#include <optional>
#include <string_view>

namespace fedihost::embedded {

/// Every embedded file, keyed by its path relative to src/ (e.g. "store/migrations/state/001_init.sql").
const std::map<std::string_view, std::string_view>& all();

/// The contents of one embedded file, or nothing if no such file was embedded.
std::optional<std::string_view> find(std::string_view name);

}  // namespace fedihost::embedded
