#pragma once
// Reading a resource's attributes and settings, the same way in every provider:
// errors name the field ("attributes.<name>", "settings.<name>").
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"
#include "providers/provider.hh"

namespace fedihost::providers {

/// A required string attribute; Invalid ("attributes.<name>") if missing or not a string.
Result<std::string> stringAttribute(const json::object& attrs, std::string_view name);
/// Checks that an attribute, if present, is a sealed secret {"secret": name, "sealed": "sb2:…"}.
Result<void> checkSealed(const json::object& attrs, std::string_view name, bool required);
/// The clear text of a sealed secret attribute, opened with the resource's box.
Result<std::string> openSecret(const ResolvedResource& r, std::string_view name);

/// Settings of a provider instance; a missing or mistyped required setting
/// throws AbortError(Invalid "settings.<name>") (factories refuse bad settings so).
class Settings {
 public:
  explicit Settings(const json::object& s) : s_(s) {}
  std::string string(std::string_view name) const;
  std::string string(std::string_view name, std::string_view fallback) const;
  std::int64_t integer(std::string_view name, std::int64_t fallback) const;
  bool boolean(std::string_view name, bool fallback) const;
  std::vector<std::string> strings(std::string_view name) const;  ///< empty if absent
  /// "timeoutMs" (default 10 s): the limit on every call to the service.
  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(integer("timeoutMs", 10000)); }

 private:
  const json::object& s_;
};

}  // namespace fedihost::providers
