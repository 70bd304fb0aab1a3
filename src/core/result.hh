#pragma once
// Errors as values for expected outcomes (not found, conflict, invalid input, a
// provider's refusal) and one exception type to abort a request or a step.
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fedihost {

/// What kind of failure; the API maps each kind to one HTTP status in one place.
enum class ErrorKind {
  Invalid,               ///< a value is well-formed but not acceptable (422)
  Malformed,             ///< the input cannot be parsed or has the wrong type (400)
  NotFound,              ///< (404)
  MethodNotAllowed,      ///< the path exists, the method does not (405)
  Conflict,              ///< duplicate name, run in progress (409)
  PreconditionFailed,    ///< stale version in If-Match (412)
  PreconditionRequired,  ///< If-Match missing (428)
  Unauthorized,          ///< no or bad credentials (401)
  Forbidden,             ///< authenticated but not allowed (403)
  TooLarge,              ///< body over the limit (413)
  HeadersTooLarge,       ///< request headers over the limit (431)
  TooManyRequests,       ///< throttled; retry after Error::retryAfter seconds (429)
  UnsupportedMediaType,  ///< body is not JSON (415)
  Provider,              ///< a provider refused (its message is kept) (502)
  Unavailable,           ///< retryable: timeout, busy, 5xx (503)
  Internal,              ///< a bug or an unexpected system failure (500)
};

/// Short human title of an error kind ("Not found", "Invalid input", ...).
const char* errorTitle(ErrorKind kind);

/// An expected failure: its kind, a message for a person, and the field at fault (a JSON path), if any.
struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  std::string field;
  int retryAfter = 0;  ///< seconds, for TooManyRequests and Unavailable (0: not said)
  /// Further members of the problem document, e.g. {"totp", "required"}.
  std::vector<std::pair<std::string, std::string>> extra = {};

  static Error invalid(std::string field, std::string message) {
    return {ErrorKind::Invalid, std::move(message), std::move(field)};
  }
  static Error malformed(std::string field, std::string message) {
    return {ErrorKind::Malformed, std::move(message), std::move(field)};
  }
  static Error notFound(std::string message) { return {ErrorKind::NotFound, std::move(message), {}}; }
  static Error conflict(std::string message, std::string field = {}) {
    return {ErrorKind::Conflict, std::move(message), std::move(field)};
  }
};

/// Thrown to abort the current request or step; carries an Error.
class AbortError : public std::runtime_error {
 public:
  explicit AbortError(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

/// Either a value or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}   // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The value, or throws AbortError with the error.
  T orThrow() && {
    if (!ok()) throw AbortError(error());
    return std::get<0>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  void orThrow() const {
    if (!ok_) throw AbortError(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace fedihost
