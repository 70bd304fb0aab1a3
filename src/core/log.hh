#pragma once
// Logging (spdlog) to stderr: human-readable text on a terminal, JSON lines otherwise
// (journald, files), and the id of the request being served on every line logged
// while serving it. Nothing secret is ever logged: values are sealed or named only.
#include <string>
#include <string_view>

namespace fedihost::log {

enum class Format { Text, Json };

/// "auto" (text if stderr is a terminal, else JSON), "text" or "json".
Format formatFor(std::string_view name, bool stderrIsTerminal);

/// Makes the default logger write to stderr in `format` at `level` (trace … error).
void setup(Format format, std::string_view level = "info");

/// The request id of the calling thread ("" when it serves no request).
const std::string& currentRequestId();

/// Sets the calling thread's request id for the scope's lifetime.
class RequestScope {
 public:
  explicit RequestScope(std::string id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  std::string previous_;
};

}  // namespace fedihost::log
