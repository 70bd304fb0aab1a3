#include "catalog/settings_schema.hh"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include "core/json_util.hh"

namespace fedihost::catalog::schema {

// A compiled ECMAScript pattern, compiled once per distinct pattern (schemas are
// few and fixed; compiling dominated validation). Throws std::regex_error.
const std::regex& compiledPattern(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::regex>> cache;
  std::lock_guard lock(mu);
  auto& re = cache[pattern];
  if (!re) {
    try {
      re = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
    } catch (...) {
      cache.erase(pattern);
      throw;
    }
  }
  return *re;
}

namespace {

std::string str(json::string_view s) { return std::string(s.data(), s.size()); }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// The label of a property for messages: its title in quotes, or its name.
std::string label(const json::object& prop, std::string_view name) {
  if (auto* t = prop.if_contains("title"); t && t->is_string() && !t->as_string().empty())
    return quoted(str(t->as_string()));
  return quoted(name);
}


/// Number of Unicode code points in UTF-8 text (JSON Schema lengths count characters).
std::int64_t codePoints(json::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::optional<std::int64_t> intMember(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

std::string join(const json::array& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += i + 1 == values.size() ? " or " : ", ";
    out += values[i].is_string() ? quoted(str(values[i].get_string())) : json::serialize(values[i]);
  }
  return out;
}

std::string rangeText(std::optional<std::int64_t> min, std::optional<std::int64_t> max) {
  if (min && max) return "between " + std::to_string(*min) + " and " + std::to_string(*max);
  if (min) return "at least " + std::to_string(*min);
  if (max) return "at most " + std::to_string(*max);
  return "a whole number that fits in 64 bits";
}

/// An integer from a JSON number: int64, uint64, or a double with an integral
/// value. nullopt in `value` with ok=true means integral but outside int64.
struct IntegerReading {
  bool integral = false;
  std::optional<std::int64_t> value;
};

IntegerReading readInteger(const json::value& v) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (v.is_int64()) return {true, v.get_int64()};
  if (v.is_uint64()) {
    if (v.get_uint64() <= static_cast<std::uint64_t>(kMax)) return {true, static_cast<std::int64_t>(v.get_uint64())};
    return {true, std::nullopt};
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || std::trunc(d) != d) return {false, std::nullopt};
    // 2^63 is exactly representable; every double below it and >= -2^63 fits.
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) return {true, std::nullopt};
    return {true, static_cast<std::int64_t>(d)};
  }
  return {false, std::nullopt};
}

/// Checks one property value; returns the value to store (integers normalised to int64).
Result<json::value> checkValue(const json::object& prop, std::string_view name, const json::value& v,
                               const std::string& field) {
  const std::string what = label(prop, name);
  auto* typeValue = prop.if_contains("type");
  std::string type = typeValue && typeValue->is_string() ? str(typeValue->get_string()) : "";

  if (type == "boolean") {
    if (!v.is_bool()) return Error::malformed(field, what + " must be true or false, not " + jsonutil::kindName(v));
    return v;
  }

  if (type == "integer") {
    auto reading = readInteger(v);
    if (!reading.integral) {
      if (v.is_number())
        return Error::malformed(field, what + " must be a whole number, not " + json::serialize(v));
      return Error::malformed(field, what + " must be a whole number, not " + jsonutil::kindName(v));
    }
    auto min = intMember(prop, "minimum");
    auto max = intMember(prop, "maximum");
    bool inRange = reading.value && (!min || *reading.value >= *min) && (!max || *reading.value <= *max);
    if (!inRange)
      return Error::invalid(field, what + " must be " + rangeText(min, max) + ", not " + json::serialize(v));
    return json::value(*reading.value);
  }

  if (type == "string") {
    if (!v.is_string()) return Error::malformed(field, what + " must be a string (text), not " + jsonutil::kindName(v));
    const auto& s = v.get_string();
    if (auto* e = prop.if_contains("enum"); e && e->is_array()) {
      const auto& values = e->get_array();
      if (std::find(values.begin(), values.end(), v) == values.end())
        return Error::invalid(field, what + " must be one of " + join(values));
      return v;
    }
    auto length = codePoints(s);
    if (auto min = intMember(prop, "minLength"); min && length < *min)
      return Error::invalid(field, what + " must be at least " + std::to_string(*min) + " characters long");
    if (auto max = intMember(prop, "maxLength"); max && length > *max)
      return Error::invalid(field, what + " must be at most " + std::to_string(*max) + " characters long, not " +
                                       std::to_string(length));
    if (auto* p = prop.if_contains("pattern"); p && p->is_string()) {
      bool matches = false;
      try {
        matches = std::regex_search(str(s), compiledPattern(str(p->get_string())));
      } catch (const std::regex_error&) {
        return Error{ErrorKind::Internal, "the pattern of " + what + " is not a valid regular expression", field};
      }
      if (!matches) {
        auto* hint = prop.if_contains("x-patternHint");
        if (hint && hint->is_string())
          return Error::invalid(field, what + " is not valid: " + str(hint->get_string()));
        return Error::invalid(field, what + " must match the pattern " + str(p->get_string()));
      }
    }
    return v;
  }

  return Error{ErrorKind::Internal, what + " has an unsupported type " + quoted(type), field};
}

const json::object* properties(const json::object& schema) {
  auto* p = schema.if_contains("properties");
  return p && p->is_object() ? &p->get_object() : nullptr;
}

Result<void> checkProperty(const json::object& prop, std::string_view name, const std::string& field) {
  const std::string what = "setting " + quoted(name);
  for (const char* key : {"title", "description"}) {
    auto* v = prop.if_contains(key);
    if (!v || !v->is_string() || v->get_string().empty())
      return Error::invalid(field, what + " has no " + key);
  }
  if (!prop.contains("default")) return Error::invalid(field, what + " has no default");
  auto* type = prop.if_contains("type");
  if (!type || !type->is_string()) return Error::invalid(field, what + " has no type");
  std::string t = str(type->get_string());
  if (t != "string" && t != "integer" && t != "boolean")
    return Error::invalid(field, what + " has unsupported type " + quoted(t) + " (string, integer or boolean)");

  static const std::set<std::string, std::less<>> kKnown{"type",    "title",     "description", "default",
                                                         "enum",    "minimum",   "maximum",     "minLength",
                                                         "maxLength", "pattern", "x-patternHint"};
  for (auto& kv : prop)
    if (!kKnown.contains(std::string_view(kv.key())))
      return Error::invalid(field, what + " uses unsupported keyword " + quoted(kv.key()));

  if (auto* e = prop.if_contains("enum")) {
    if (t != "string" || !e->is_array() || e->get_array().empty())
      return Error::invalid(field, what + ": enum must be a non-empty list of strings on a string setting");
    std::set<std::string> seen;
    for (auto& v : e->get_array())
      if (!v.is_string() || !seen.insert(str(v.get_string())).second)
        return Error::invalid(field, what + ": enum values must be distinct strings");
  }
  for (const char* key : {"minimum", "maximum", "minLength", "maxLength"})
    if (prop.contains(key) && !intMember(prop, key))
      return Error::invalid(field, what + ": " + key + " must be an integer");
  if ((prop.contains("minimum") || prop.contains("maximum")) && t != "integer")
    return Error::invalid(field, what + ": minimum and maximum apply to integer settings only");
  if ((prop.contains("minLength") || prop.contains("maxLength") || prop.contains("pattern")) && t != "string")
    return Error::invalid(field, what + ": minLength, maxLength and pattern apply to string settings only");
  auto min = intMember(prop, "minimum"), max = intMember(prop, "maximum");
  if (min && max && *min > *max) return Error::invalid(field, what + ": minimum is above maximum");
  auto minLength = intMember(prop, "minLength"), maxLength = intMember(prop, "maxLength");
  if ((minLength && *minLength < 0) || (maxLength && *maxLength < 0) || (minLength && maxLength && *minLength > *maxLength))
    return Error::invalid(field, what + ": minLength and maxLength must be 0 <= minLength <= maxLength");
  if (auto* p = prop.if_contains("pattern")) {
    if (!p->is_string()) return Error::invalid(field, what + ": pattern must be a string");
    // Bounding the length bounds the cost of matching with std::regex.
    if (!maxLength) return Error::invalid(field, what + ": a pattern needs a maxLength");
    try {
      std::regex re(str(p->get_string()), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return Error::invalid(field, what + ": pattern is not a valid regular expression");
    }
  }
  auto checked = checkValue(prop, name, prop.at("default"), field);
  if (!checked) return Error::invalid(field, what + ": its default is not acceptable: " + checked.error().message);
  return {};
}

}  // namespace

json::object textProperty(std::string title, std::string description, std::string defaultValue, std::int64_t minLength,
                          std::int64_t maxLength) {
  return {{"type", "string"},          {"title", title},          {"description", description},
          {"default", defaultValue}, {"minLength", minLength}, {"maxLength", maxLength}};
}

json::object patternProperty(std::string title, std::string description, std::string defaultValue,
                             std::int64_t maxLength, std::string pattern, std::string patternHint) {
  return {{"type", "string"},          {"title", title},          {"description", description},
          {"default", defaultValue}, {"maxLength", maxLength}, {"pattern", pattern},
          {"x-patternHint", patternHint}};
}

json::object enumProperty(std::string title, std::string description, std::string defaultValue,
                          std::vector<std::string> values) {
  json::array e;
  for (auto& v : values) e.emplace_back(v);
  return {{"type", "string"},
          {"title", title},
          {"description", description},
          {"default", defaultValue},
          {"enum", std::move(e)}};
}

json::object integerProperty(std::string title, std::string description, std::int64_t defaultValue,
                             std::int64_t minimum, std::int64_t maximum) {
  return {{"type", "integer"}, {"title", title},     {"description", description},
          {"default", defaultValue}, {"minimum", minimum}, {"maximum", maximum}};
}

json::object booleanProperty(std::string title, std::string description, bool defaultValue) {
  return {{"type", "boolean"}, {"title", title}, {"description", description}, {"default", defaultValue}};
}

json::object subdomainProperty(const std::string& appName, const std::string& defaultSubdomain) {
  return patternProperty(
      "Web address prefix",
      "The first part of " + appName + "'s web address, in front of your domain: with \"" + defaultSubdomain +
          "\" and the domain example.org, people reach it at " + defaultSubdomain +
          ".example.org. Leave it empty to use the domain itself.",
      defaultSubdomain, 63, kSubdomainPattern,
      "use only lowercase letters, digits and hyphens, not starting or ending with a hyphen");
}

json::object objectSchema(std::initializer_list<std::pair<std::string, json::object>> props) {
  json::object p;
  for (auto& [name, prop] : props) p[name] = prop;
  return {{"type", "object"}, {"properties", std::move(p)}, {"additionalProperties", false}};
}

Result<void> checkSchema(const json::object& schema, const std::string& field) {
  auto* type = schema.if_contains("type");
  if (!type || *type != json::value("object")) return Error::invalid(field, "the settings schema must have type object");
  auto* extra = schema.if_contains("additionalProperties");
  if (!extra || *extra != json::value(false))
    return Error::invalid(field, "the settings schema must set additionalProperties to false");
  auto* props = properties(schema);
  if (!props) return Error::invalid(field, "the settings schema has no properties object");
  for (auto& kv : *props) {
    std::string propField = field + ".properties." + str(kv.key());
    if (!kv.value().is_object()) return Error::invalid(propField, "setting " + quoted(kv.key()) + " is not an object");
    if (auto r = checkProperty(kv.value().get_object(), kv.key(), propField); !r) return r;
  }
  return {};
}

Result<json::object> validate(const json::object& schema, const json::value& settings, const std::string& fieldPrefix) {
  static const json::object kEmpty;
  if (!settings.is_null() && !settings.is_object())
    return Error::malformed(fieldPrefix, std::string("settings must be an object, not ") + jsonutil::kindName(settings));
  const json::object& given = settings.is_object() ? settings.get_object() : kEmpty;
  const json::object* props = properties(schema);
  if (!props) props = &kEmpty;

  // Unknown names first, in sorted order, so the same input gives the same error.
  std::vector<std::string> unknown;
  for (auto& kv : given)
    if (!props->contains(kv.key())) unknown.push_back(str(kv.key()));
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string known;
    for (auto& kv : *props) {
      if (!known.empty()) known += ", ";
      known += label(kv.value().is_object() ? kv.value().get_object() : kEmpty, kv.key()) + " (" + str(kv.key()) + ")";
    }
    return Error::invalid(fieldPrefix + "." + unknown.front(),
                          "unknown setting " + quoted(unknown.front()) + "; the settings are: " + known);
  }

  json::object out;
  for (auto& kv : *props) {
    const std::string name = str(kv.key());
    const json::object& prop = kv.value().is_object() ? kv.value().get_object() : kEmpty;
    const std::string field = fieldPrefix + "." + name;
    const json::value* v = given.if_contains(name);
    if (!v || v->is_null()) v = prop.if_contains("default");
    if (!v) return Error{ErrorKind::Internal, "setting " + quoted(name) + " has no default", field};
    auto checked = checkValue(prop, name, *v, field);
    if (!checked) return checked.error();
    out[name] = std::move(checked).value();
  }
  return out;
}

}  // namespace fedihost::catalog::schema
