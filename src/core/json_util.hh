#pragma once
// Small JSON helpers shared by every module.
#include <boost/json.hpp>
#include <string>

namespace fedihost::jsonutil {

namespace json = boost::json;

/// Serialises with object keys sorted, two-space indentation and a final newline:
/// the same value always gives the same bytes (for files on disk and hashing).
std::string canonical(const json::value& v);

/// Compact serialisation with object keys sorted (for comparing and hashing).
std::string canonicalCompact(const json::value& v);

/// Parses text; throws AbortError(Internal) if it is not JSON (for data we wrote ourselves).
json::value parseTrusted(std::string_view text);

/// "a string", "a number", "an object"…: the kind of a value, for error messages.
const char* kindName(const json::value& v);

/// Names of the top-level members whose values differ between a and b (sorted, both directions).
std::vector<std::string> changedMembers(const json::object& a, const json::object& b);

}  // namespace fedihost::jsonutil
