#pragma once
// The one place that maps errors to HTTP: status codes and
// application/problem+json bodies (RFC 9457) naming the field at fault.
#include "api/http.hh"
#include "core/result.hh"

namespace fedihost::api {

/// The HTTP status of an error kind.
int httpStatus(ErrorKind kind);

/// A problem+json response for an error.
Response problem(const Error& e);

}  // namespace fedihost::api
