#include "api/problem.hh"

#include <boost/json.hpp>

namespace fedihost::api {

int httpStatus(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Invalid: return 422;
    case ErrorKind::Malformed: return 400;
    case ErrorKind::NotFound: return 404;
    case ErrorKind::MethodNotAllowed: return 405;
    case ErrorKind::Conflict: return 409;
    case ErrorKind::PreconditionFailed: return 412;
    case ErrorKind::PreconditionRequired: return 428;
    case ErrorKind::Unauthorized: return 401;
    case ErrorKind::Forbidden: return 403;
    case ErrorKind::TooLarge: return 413;
    case ErrorKind::HeadersTooLarge: return 431;
    case ErrorKind::TooManyRequests: return 429;
    case ErrorKind::UnsupportedMediaType: return 415;
    case ErrorKind::Provider: return 502;
    case ErrorKind::Unavailable: return 503;
    case ErrorKind::Internal: return 500;
  }
  return 500;
}

Response problem(const Error& e) {
  Response r;
  r.status = httpStatus(e.kind);
  boost::json::object body{{"type", "about:blank"},
                           {"title", errorTitle(e.kind)},
                           {"status", r.status},
                           {"detail", e.message}};
  if (!e.field.empty()) body["field"] = e.field;
  for (auto& [k, v] : e.extra) body[k] = v;
  r.body = boost::json::serialize(body);
  r.headers["content-type"] = "application/problem+json";
  if (e.kind == ErrorKind::Unauthorized) r.headers["www-authenticate"] = "Bearer";
  if (e.retryAfter > 0) r.headers["retry-after"] = std::to_string(e.retryAfter);
  return r;
}

}  // namespace fedihost::api
