#pragma once
#include <regex>
#include <string>
// The small subset of JSON Schema the catalog uses for app settings, with
// builders for catalog entries and a validator that names the setting's label.
//
// A settings schema is {"type":"object","properties":{...},"additionalProperties":false}.
// Each property has "title" (the label a person sees), "description" (help
// text), "default", and one of these shapes:
//   {"type":"string",  "minLength"?, "maxLength"?, "pattern"?, "x-patternHint"?}
//   {"type":"string",  "enum":[...]}
//   {"type":"integer", "minimum"?, "maximum"?}
//   {"type":"boolean"}
// "pattern" is an ECMAScript regular expression searched in the value (as in
// JSON Schema: anchor it with ^…$); "x-patternHint" says in plain words what
// the pattern accepts, for error messages.
#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hh"

namespace fedihost::catalog::schema {

namespace json = boost::json;

/// The pattern of one DNS label, or empty (the deployment's domain itself).
/// A compiled ECMAScript pattern, compiled once per distinct pattern and kept
/// (schemas are few and fixed). Throws std::regex_error for an invalid pattern.
const std::regex& compiledPattern(const std::string& pattern);

inline constexpr const char* kSubdomainPattern = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$";

/// A free-text string property of minLength..maxLength characters.
json::object textProperty(std::string title, std::string description, std::string defaultValue, std::int64_t minLength,
                          std::int64_t maxLength);

/// A string property of at most maxLength characters matching `pattern`;
/// `patternHint` says in plain words what it accepts, for error messages.
json::object patternProperty(std::string title, std::string description, std::string defaultValue,
                             std::int64_t maxLength, std::string pattern, std::string patternHint);

/// A string property whose value is one of `values`.
json::object enumProperty(std::string title, std::string description, std::string defaultValue,
                          std::vector<std::string> values);

/// An integer property within [minimum, maximum].
json::object integerProperty(std::string title, std::string description, std::int64_t defaultValue,
                             std::int64_t minimum, std::int64_t maximum);

/// A yes/no property.
json::object booleanProperty(std::string title, std::string description, bool defaultValue);

/// The "subdomain" property every app has: the web address prefix under the
/// deployment's domain, defaulting to the app's default subdomain.
json::object subdomainProperty(const std::string& appName, const std::string& defaultSubdomain);

/// A settings schema: an object with these properties (in this order) and no others.
json::object objectSchema(std::initializer_list<std::pair<std::string, json::object>> properties);

/// Checks a settings schema itself: the object shape, and for every property a
/// non-empty title and description, a default, a supported type, well-formed
/// constraints (the pattern compiles) and a default that satisfies them.
/// Invalid error whose field is `field + ".properties." + name`.
Result<void> checkSchema(const json::object& schema, const std::string& field);

/// Validates `settings` against `schema` and returns them with defaults filled
/// in, properties in schema order. Null or absent settings mean all defaults; a
/// property given as null takes its default. Not an object, or a property of
/// the wrong JSON type: Malformed. Unknown property, or a value outside the
/// enum, range, length or pattern: Invalid. The error's field is `fieldPrefix`
/// (whole object) or `fieldPrefix + "." + property`; its message names the
/// property's title.
Result<json::object> validate(const json::object& schema, const json::value& settings, const std::string& fieldPrefix);

}  // namespace fedihost::catalog::schema
