#pragma once
// The one place that maps errors to HTTP: status codes and
// application/problem+json bodies (RFC 9457) naming the field at fault.
#include "api/http.hh"
#include <string>
#include <utility>
#include <vector>

#include "core/result.hh"

namespace fedihost::api {

/// The HTTP status of an error kind.
int httpStatus(ErrorKind kind);

/// The member of Error::extra that carries every field at fault (JSON text of
/// [{"field", "detail"}]); problem() answers it as the array "errors".
inline constexpr const char* kFieldErrorsMember = "errors";

/// `first` (the error answered as "field"/"detail") carrying every field at fault, `all`.
Error withFieldErrors(Error first, const std::vector<std::pair<std::string, std::string>>& all);
/// The fields at fault of an error: those withFieldErrors gave it, else its own field (if any).
std::vector<std::pair<std::string, std::string>> fieldErrorsOf(const Error& e);

/// A problem+json response for an error. Its "errors" lists every field at fault
/// ({"field", "detail"}), or the one field of the error.
Response problem(const Error& e);

}  // namespace fedihost::api
