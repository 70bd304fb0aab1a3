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

Error withFieldErrors(Error first, const std::vector<std::pair<std::string, std::string>>& all) {
  boost::json::array errors;
  for (auto& [field, detail] : all) errors.push_back(boost::json::object{{"field", field}, {"detail", detail}});
  first.extra.emplace_back(kFieldErrorsMember, boost::json::serialize(errors));
  return first;
}

std::vector<std::pair<std::string, std::string>> fieldErrorsOf(const Error& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [k, v] : e.extra)
    if (k == kFieldErrorsMember) {
      const auto parsed = boost::json::parse(v);
      for (auto& x : parsed.as_array())
        out.emplace_back(std::string(x.at("field").as_string()), std::string(x.at("detail").as_string()));
    }
  if (out.empty() && !e.field.empty()) out.emplace_back(e.field, e.message);
  return out;
}

Response problem(const Error& e) {
  Response r;
  r.status = httpStatus(e.kind);
  boost::json::object body{{"type", "about:blank"},
                           {"title", errorTitle(e.kind)},
                           {"status", r.status},
                           {"detail", e.message}};
  if (!e.field.empty()) body["field"] = e.field;
  // Every field at fault, so that a form can mark each one at once (the first is also "field"/"detail").
  boost::json::array errors;
  for (auto& [k, v] : e.extra)
    if (k == kFieldErrorsMember) errors = boost::json::parse(v).as_array();
  if (errors.empty() && !e.field.empty()) errors.push_back(boost::json::object{{"field", e.field}, {"detail", e.message}});
  if (!errors.empty()) body["errors"] = std::move(errors);
  for (auto& [k, v] : e.extra)
    if (k != kFieldErrorsMember) body[k] = v;
  r.body = boost::json::serialize(body);
  r.headers["content-type"] = "application/problem+json";
  if (e.kind == ErrorKind::Unauthorized) r.headers["www-authenticate"] = "Bearer";
  if (e.retryAfter > 0) r.headers["retry-after"] = std::to_string(e.retryAfter);
  return r;
}

}  // namespace fedihost::api
