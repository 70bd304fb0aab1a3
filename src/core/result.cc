#include "core/result.hh"

namespace fedihost {

const char* errorTitle(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Invalid: return "Invalid input";
    case ErrorKind::Malformed: return "Malformed request";
    case ErrorKind::NotFound: return "Not found";
    case ErrorKind::MethodNotAllowed: return "Method not allowed";
    case ErrorKind::Conflict: return "Conflict";
    case ErrorKind::PreconditionFailed: return "Precondition failed";
    case ErrorKind::PreconditionRequired: return "Precondition required";
    case ErrorKind::Unauthorized: return "Unauthorized";
    case ErrorKind::Forbidden: return "Forbidden";
    case ErrorKind::TooLarge: return "Request too large";
    case ErrorKind::HeadersTooLarge: return "Request header fields too large";
    case ErrorKind::TooManyRequests: return "Too many requests";
    case ErrorKind::UnsupportedMediaType: return "Unsupported media type";
    case ErrorKind::Provider: return "Provider error";
    case ErrorKind::Unavailable: return "Service unavailable";
    case ErrorKind::Internal: return "Internal error";
  }
  return "Error";
}

}  // namespace fedihost
