#include "providers/call_metrics.hh"

namespace fedihost::providers {

metrics::HistogramFamily& providerCallSeconds() {
  static auto& h = metrics::registry().histogram("fedihost_provider_call_seconds",
                                                 "Provider calls, by resource kind, implementation and operation",
                                                 {"kind", "implementation", "operation"});
  return h;
}

metrics::CounterFamily& providerErrors() {
  static auto& c = metrics::registry().counter(
      "fedihost_provider_errors_total", "Provider calls that failed, by resource kind, implementation, operation and error",
      {"kind", "implementation", "operation", "error"});
  return c;
}

std::string_view errorLabel(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::NotFound: return "not-found";
    case ErrorKind::MethodNotAllowed: return "method-not-allowed";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::PreconditionFailed: return "precondition-failed";
    case ErrorKind::PreconditionRequired: return "precondition-required";
    case ErrorKind::Unauthorized: return "unauthorized";
    case ErrorKind::Forbidden: return "forbidden";
    case ErrorKind::TooLarge: return "too-large";
    case ErrorKind::HeadersTooLarge: return "headers-too-large";
    case ErrorKind::TooManyRequests: return "too-many-requests";
    case ErrorKind::UnsupportedMediaType: return "unsupported-media-type";
    case ErrorKind::Provider: return "provider";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Internal: return "internal";
  }
  return "internal";
}

}  // namespace fedihost::providers
