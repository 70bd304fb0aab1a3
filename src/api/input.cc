#include "api/input.hh"

#include "api/problem.hh"

#include <regex>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <set>

#include "catalog/catalog.hh"
#include "core/json_util.hh"
#include "nixos/render.hh"
#include "store/paging.hh"

namespace fedihost::api::input {
namespace {

bool isLabelChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

/// A boost::json::basic_parser handler that stops at the first member named twice in
/// one object (json::parse would keep the last one silently) and keeps its path.
class DuplicateMemberFinder {
 public:
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);

  /// The repeated member's name and its path (e.g. "apps[1].settings.subdomain"), if any.
  const std::optional<std::pair<std::string, std::string>>& duplicate() const { return duplicate_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return enter(false); }
  bool on_object_end(std::size_t, json::error_code&) { return leave(); }
  bool on_array_begin(json::error_code&) { return enter(true); }
  bool on_array_end(std::size_t, json::error_code&) { return leave(); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    auto& object = frames_.back();
    object.key = std::move(key_);
    key_.clear();
    if (object.keys.insert(object.key).second) return true;
    duplicate_.emplace(object.key, path());
    ec = json::error::syntax;  // stops the parser; duplicate_ tells why
    return false;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return value(); }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return value(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return value(); }
  bool on_double(double, json::string_view, json::error_code&) { return value(); }
  bool on_bool(bool, json::error_code&) { return value(); }
  bool on_null(json::error_code&) { return value(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    bool array = false;
    std::size_t index = 0;     ///< arrays: the element being read
    std::string key;           ///< objects: the member being read
    std::set<std::string> keys;  ///< objects: the members seen
  };

  bool enter(bool array) {
    frames_.push_back({array, 0, {}, {}});
    return true;
  }
  bool leave() {
    frames_.pop_back();
    return value();
  }
  /// A value ended: the enclosing array moves to its next element.
  bool value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  std::string path() const {
    std::string out;
    for (auto& f : frames_)
      out += f.array ? "[" + std::to_string(f.index) + "]" : (out.empty() ? "" : ".") + f.key;
    return out;
  }

  std::vector<Frame> frames_;
  std::string key_;
  std::optional<std::pair<std::string, std::string>> duplicate_;
};

/// Invalid naming the first member repeated within an object of `text` (valid JSON).
Result<void> noDuplicateMembers(std::string_view text, const json::parse_options& options) {
  json::basic_parser<DuplicateMemberFinder> parser(options);
  json::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  const auto& duplicate = parser.handler().duplicate();
  if (!duplicate) return {};
  return Error::invalid(duplicate->second, "the member \"" + duplicate->first + "\" is given twice");
}

}  // namespace

bool FieldErrors::check(const Result<void>& r) {
  if (r) return true;
  add(r.error());
  return false;
}

void FieldErrors::add(const Error& e) {
  for (auto& known : errors_)
    if (known.field == e.field) return;  // the first word on a field is enough
  errors_.push_back(e);
}

bool FieldErrors::has(std::string_view field) const {
  for (auto& e : errors_) {
    std::string_view f = e.field;
    if (f == field || (f.size() > field.size() && f.substr(0, field.size()) == field &&
                       (f[field.size()] == '.' || f[field.size()] == '[')))
      return true;
  }
  return false;
}

Error FieldErrors::combined() const {
  if (errors_.empty()) return Error{ErrorKind::Internal, "no error was recorded", {}};
  if (errors_.size() == 1) return errors_.front();
  std::vector<std::pair<std::string, std::string>> all;
  for (auto& e : errors_) all.emplace_back(e.field, e.message);
  return withFieldErrors(errors_.front(), all);
}

void FieldErrors::throwIfAny() const {
  if (!errors_.empty()) throw AbortError(combined());
}

Result<json::object> jsonBody(const Request& req) {
  auto type = req.header("content-type");
  if (!type.empty() && type.find("application/json") == std::string::npos &&
      type.find("+json") == std::string::npos)
    return Error{ErrorKind::UnsupportedMediaType, "send the body as application/json (got " + type + ")", {}};
  if (req.body.empty()) return Error::malformed("", "the request needs a JSON body");
  boost::system::error_code ec;
  const json::parse_options options;
  auto v = json::parse(req.body, ec, {}, options);
  if (ec) return Error::malformed("", "the body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Error::malformed("", std::string("the body must be a JSON object, not ") + jsonutil::kindName(v));
  if (auto unique = noDuplicateMembers(req.body, options); !unique) return unique.error();
  return std::move(v.get_object());
}

Result<void> knownMembers(const json::object& o, std::initializer_list<std::string_view> known, const std::string& at) {
  for (auto& kv : o)
    if (std::find(known.begin(), known.end(), kv.key()) == known.end())
      return Error::invalid(at.empty() ? std::string(kv.key()) : at + "." + std::string(kv.key()),
                            "unknown member \"" + std::string(kv.key()) + "\"");
  return {};
}

Result<json::object> jsonObject(const Request& req, std::initializer_list<std::string_view> known) {
  auto body = jsonBody(req);
  if (!body) return body;
  if (auto checked = knownMembers(*body, known); !checked) return checked.error();
  return body;
}

Result<json::object> optionalJsonObject(const Request& req, std::initializer_list<std::string_view> known) {
  if (req.body.empty()) return json::object();
  return jsonObject(req, known);
}

Result<std::string> requiredString(const json::object& o, const std::string& name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return Error::malformed(name, name + " is required");
  if (!v->is_string()) return Error::malformed(name, name + " must be a string, not " + jsonutil::kindName(*v));
  return std::string(v->get_string());
}

Result<std::optional<std::string>> optionalString(const json::object& o, const std::string& name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return Error::malformed(name, name + " must be a string, not " + jsonutil::kindName(*v));
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<void> checkDomain(const std::string& domain, const std::string& field) {
  auto bad = [&](const std::string& why) {
    return Error::invalid(field, "\"" + domain + "\" is not a valid domain name: " + why);
  };
  if (domain.empty()) return bad("it is empty");
  if (domain.size() > 253) return bad("it is longer than 253 characters");
  std::vector<std::string> labels;
  std::size_t i = 0;
  while (true) {
    auto j = domain.find('.', i);
    labels.push_back(domain.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  if (labels.size() < 2) return bad("it needs at least two parts, like example.org");
  for (auto& l : labels) {
    if (l.empty()) return bad("it has an empty part (two dots, or a dot at an end)");
    if (l.size() > 63) return bad("a part is longer than 63 characters");
    for (char c : l)
      if (!isLabelChar(c))
        return bad(c >= 'A' && c <= 'Z' ? "use lower-case letters"
                                        : "only letters a-z, digits, hyphens and dots are allowed");
    if (l.front() == '-' || l.back() == '-') return bad("a part cannot start or end with a hyphen");
  }
  bool numericTld = true;
  for (char c : labels.back())
    if (!(c >= '0' && c <= '9')) numericTld = false;
  if (numericTld) return bad("the last part cannot be a number");
  return {};
}

Result<void> checkDeploymentName(const std::string& name, const std::string& field) {
  bool ok = !name.empty() && name.size() <= 32 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && isLabelChar(c);
  if (!ok)
    return Error::invalid(field, "\"" + name +
                                     "\" is not a valid name: use 1 to 32 lower-case letters, digits and hyphens, "
                                     "not starting or ending with a hyphen");
  return {};
}

Result<void> checkOrganisationSlug(const std::string& name, const std::string& field) {
  auto bad = [&](const std::string& why) {
    return Error::invalid(field, "\"" + name + "\" cannot be a short name: " + why +
                                     " (lower-case letters, digits and dashes, 1 to 32, starting with a letter)");
  };
  if (name.empty() || name.size() > 32) return bad(name.empty() ? "it is empty" : "it is longer than 32 characters");
  if (name[0] < 'a' || name[0] > 'z') return bad("it must start with a letter");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return bad("it has other characters");
  return {};
}

bool isRfc3339(const std::string& text) {
  static const std::regex pattern(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z)");
  return std::regex_match(text, pattern);
}

Result<void> checkOrganisationName(const std::string& name, const std::string& field) {
  if (name.find_first_not_of(" \t") == std::string::npos) return Error::invalid(field, "the name cannot be empty");
  std::size_t characters = 0;
  for (unsigned char c : name) characters += (c & 0xC0) != 0x80;  // count UTF-8 code points
  if (characters > 100) return Error::invalid(field, "the name must have at most 100 characters");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return Error::invalid(field, "the name cannot contain control characters");
  return {};
}

Result<std::vector<AppInstance>> apps(const json::value* v, const std::string& domain) {
  FieldErrors errors;
  auto out = apps(v, domain, errors);
  if (!errors.empty()) return errors.combined();
  return std::move(*out);
}

std::optional<std::vector<AppInstance>> apps(const json::value* v, const std::string& domain, FieldErrors& errors) {
  if (!v || v->is_null()) {
    errors.add(Error::malformed("apps", "apps is required: choose at least one app"));
    return std::nullopt;
  }
  if (!v->is_array()) {
    errors.add(Error::malformed("apps", std::string("apps must be an array, not ") + jsonutil::kindName(*v)));
    return std::nullopt;
  }
  const auto& arr = v->get_array();
  if (arr.empty()) {
    errors.add(Error::invalid("apps", "choose at least one app"));
    return std::nullopt;
  }
  const FieldErrors before = errors;
  std::vector<AppInstance> out;
  std::set<std::string> seen;
  std::map<std::string, std::string> hosts;  // host -> app name
  for (std::size_t i = 0; i < arr.size(); ++i) {
    std::string at = "apps[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) {
      errors.add(Error::malformed(at, at + " must be an object like {\"app\": \"mastodon\"}"));
      continue;
    }
    const auto& o = arr[i].get_object();
    auto* idv = o.if_contains("app");
    if (!idv || !idv->is_string()) {
      errors.add(Error::malformed(at + ".app", at + ".app must be the name of an app"));
      continue;
    }
    std::string id(idv->get_string());
    const auto* app = catalog::find(id);
    if (!app) {
      std::string known;
      for (auto& a : catalog::all()) known += (known.empty() ? "" : ", ") + a.id;
      errors.add(Error::invalid(at + ".app", "unknown app \"" + id + "\" (available: " + known + ")"));
      continue;
    }
    if (!seen.insert(id).second) {
      errors.add(Error::invalid(at + ".app", app->name + " is listed twice"));
      continue;
    }
    if (!errors.check(knownMembers(o, {"app", "settings"}, at))) continue;
    const json::value none;
    const json::value& given = o.contains("settings") ? o.at("settings") : none;
    auto settings = catalog::validateSettings(*app, given, at + ".settings");
    if (!settings) {
      // Every setting at fault, not only the first: each one validated alone (the others take their defaults).
      bool each = false;
      if (given.is_object())
        for (auto& kv : given.get_object()) {
          json::value one(json::object{{kv.key(), kv.value()}});
          if (auto alone = catalog::validateSettings(*app, one, at + ".settings"); !alone) {
            errors.add(alone.error());
            each = true;
          }
        }
      if (!each) errors.add(settings.error());
      continue;
    }
    AppInstance inst{id, std::move(*settings), {}, 0};
    Deployment probe;
    probe.domain = domain;
    auto host = nixos::appHost(probe, inst);
    if (auto it = hosts.find(host); it != hosts.end()) {
      errors.add(Error::invalid(at + ".settings.subdomain",
                                app->name + " would use the address " + host + ", which " + it->second + " uses already"));
      continue;
    }
    hosts[host] = app->name;
    out.push_back(std::move(inst));
  }
  if (errors.has("apps") && !before.has("apps")) return std::nullopt;
  return out;
}

Result<std::int64_t> ifMatchVersion(const Request& req) {
  auto v = req.header("if-match");
  if (v.empty())
    return Error{ErrorKind::PreconditionRequired,
                 "send If-Match with the deployment's version (its ETag) so that no change is lost", {}};
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n < 1)
    return Error::malformed("If-Match", "If-Match must be the deployment's version as its ETag gives it, like \"3\"");
  return n;
}

Result<Paging> paging(const Request& req, CursorCheck isCursor) {
  Paging p;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    if (ec != std::errc() || ptr != it->second.data() + it->second.size() || n < 1 || n > 200)
      return Error::invalid("limit", "limit must be a whole number from 1 to 200");
    p.limit = n;
  }
  if (auto it = req.query.find("cursor"); it != req.query.end() && !it->second.empty()) {
    if (!isCursor(it->second))
      return Error::malformed("cursor", "not a cursor of this list: pass the \"next\" of the previous page");
    p.cursor = it->second;
  }
  return p;
}

Result<Paging> paging(const Request& req) { return paging(req, store::isCursor); }

}  // namespace fedihost::api::input
