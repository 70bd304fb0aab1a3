#pragma once
// Parsing and validation of request bodies and query parameters. Every error
// names the field at fault (a JSON path such as "apps[1].settings.subdomain").
#include <boost/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hh"
#include "core/domain.hh"
#include "core/result.hh"

namespace fedihost::api::input {

namespace json = boost::json;

/// Collects the errors of a request's fields so that the answer names all of them at
/// once (problem document "errors"), not only the first one found.
class FieldErrors {
 public:
  /// The value of `r`, or nothing after recording its error.
  template <class T>
  std::optional<T> take(Result<T> r) {
    if (r) return std::move(*r);
    add(r.error());
    return std::nullopt;
  }
  /// True if `r` succeeded; records its error otherwise.
  bool check(const Result<void>& r);
  /// Records an error (an error without a field, or of a field already at fault, is kept once).
  void add(const Error& e);
  bool empty() const { return errors_.empty(); }
  /// True if an error names `field` or a member of it ("apps" covers "apps[0].app").
  bool has(std::string_view field) const;
  /// The first error, carrying every error as its fieldErrors.
  Error combined() const;
  /// Throws AbortError(combined()) if any error was recorded.
  void throwIfAny() const;

 private:
  std::vector<Error> errors_;
};

/// The request body as a JSON object: UnsupportedMediaType if not declared as
/// JSON, Malformed if it does not parse or is not an object, Invalid if an object
/// anywhere in it has a member twice (the field is its path, e.g. "apps[0].app").
Result<json::object> jsonBody(const Request& req);
/// The request body as by jsonBody, with no member outside `known` (Invalid,
/// `unknown member "x"`, naming it).
Result<json::object> jsonObject(const Request& req, std::initializer_list<std::string_view> known);
/// As jsonObject, but an empty body is an empty object (for requests whose members are all optional).
Result<json::object> optionalJsonObject(const Request& req, std::initializer_list<std::string_view> known);
/// Refuses a member of `o` outside `known` (Invalid, `unknown member "x"`); `at` is the
/// path of `o` in the body ("" for the body itself), prefixed to the field.
Result<void> knownMembers(const json::object& o, std::initializer_list<std::string_view> known,
                          const std::string& at = "");

/// A required string member; Malformed if absent or not a string.
Result<std::string> requiredString(const json::object& o, const std::string& name);
/// An optional string member; Malformed if present and not a string.
Result<std::optional<std::string>> optionalString(const json::object& o, const std::string& name);

/// Checks a domain name (lowercase, 2+ labels of [a-z0-9-], TLD not numeric, <= 253 chars).
Result<void> checkDomain(const std::string& domain, const std::string& field);
/// Checks a deployment name: 1–32 of [a-z0-9-], not starting or ending with '-'.
Result<void> checkDeploymentName(const std::string& name, const std::string& field);
/// Checks an organisation's short name: 1–32 of lower-case letters, digits and dashes, starting with a letter.
Result<void> checkOrganisationSlug(const std::string& name, const std::string& field);
/// True for a UTC time in RFC 3339 form ("2027-01-31T00:00:00Z", fractions of a second allowed).
bool isRfc3339(const std::string& text);
/// Checks an organisation name: 1–100 printable characters, not blank.
Result<void> checkOrganisationName(const std::string& name, const std::string& field);

/// Parses and validates "apps": a non-empty array of {"app", "settings"?}, each
/// app known to the catalog and listed once, settings validated (defaults filled);
/// no two apps on the same host name under `domain`.
Result<std::vector<AppInstance>> apps(const json::value* v, const std::string& domain);
/// As apps, recording every error found (each app, each setting of it) in `errors`;
/// nothing when any was found.
std::optional<std::vector<AppInstance>> apps(const json::value* v, const std::string& domain, FieldErrors& errors);

/// The version in an If-Match header ("3" or 3): PreconditionRequired when absent, Malformed when not a number.
Result<std::int64_t> ifMatchVersion(const Request& req);

/// Paging parameters: ?limit (1–200, default 50) and ?cursor.
struct Paging {
  int limit = 50;
  std::string cursor;
};
/// Whether a cursor is one the list could have given as its `next`.
using CursorCheck = bool (*)(const std::string& cursor);
/// The paging of a request. A cursor `isCursor` refuses is Malformed: a client walking a long
/// list must never silently get its first page again.
Result<Paging> paging(const Request& req, CursorCheck isCursor);
/// The same, for the lists paged by (created_at, id) keyset cursors (store/paging.hh).
Result<Paging> paging(const Request& req);

}  // namespace fedihost::api::input
