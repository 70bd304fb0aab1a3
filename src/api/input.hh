#pragma once
// Parsing and validation of request bodies and query parameters. Every error
// names the field at fault (a JSON path such as "apps[1].settings.subdomain").
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/http.hh"
#include "core/domain.hh"
#include "core/result.hh"

namespace fedihost::api::input {

namespace json = boost::json;

/// The request body as a JSON object: UnsupportedMediaType if not declared as
/// JSON, Malformed if it does not parse or is not an object.
Result<json::object> jsonBody(const Request& req);

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

/// The version in an If-Match header ("3" or 3): PreconditionRequired when absent, Malformed when not a number.
Result<std::int64_t> ifMatchVersion(const Request& req);

/// Paging parameters: ?limit (1–200, default 50) and ?cursor.
struct Paging {
  int limit = 50;
  std::string cursor;
};
Result<Paging> paging(const Request& req);

}  // namespace fedihost::api::input
