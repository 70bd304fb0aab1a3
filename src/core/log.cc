#include "core/log.hh"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <memory>
#include <utility>

namespace fedihost::log {
namespace {

thread_local std::string tlsRequestId;

std::string timestamp(spdlog::log_clock::time_point tp) {
  auto t = spdlog::log_clock::to_time_t(tp);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

class Formatter final : public spdlog::formatter {
 public:
  explicit Formatter(Format f) : format_(f) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string& rid = tlsRequestId;
    std::string line;
    if (format_ == Format::Json) {
      boost::json::object o;
      o["time"] = timestamp(msg.time);
      o["level"] = std::string_view(level.data(), level.size());
      o["message"] = text;
      if (!rid.empty()) o["request_id"] = rid;
      line = boost::json::serialize(o);
    } else {
      line = timestamp(msg.time) + " " + std::string(level.data(), level.size());
      if (!rid.empty()) line += " [" + rid + "]";
      line += " ";
      line += text;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<Formatter>(format_); }

 private:
  Format format_;
};

}  // namespace

Format formatFor(std::string_view name, bool stderrIsTerminal) {
  if (name == "json") return Format::Json;
  if (name == "text") return Format::Text;
  return stderrIsTerminal ? Format::Text : Format::Json;
}

void setup(Format format, std::string_view level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<Formatter>(format));
  auto logger = std::make_shared<spdlog::logger>("fedihost", sink);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

const std::string& currentRequestId() { return tlsRequestId; }

RequestScope::RequestScope(std::string id) : previous_(std::exchange(tlsRequestId, std::move(id))) {}

RequestScope::~RequestScope() { tlsRequestId = std::move(previous_); }

}  // namespace fedihost::log
