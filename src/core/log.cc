#include "core/log.h"

#include <atomic>
#include <chrono>
#include <memory>

#include <fmt/chrono.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/json.h"

namespace lakehouse {
namespace {

std::atomic<bool> json_logs{false};

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v";
constexpr const char* kAccessPattern = "%Y-%m-%dT%H:%M:%S.%eZ access %v";

// A JSON string: quoted and escaped.
void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

void AppendTime(std::string& out, std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  out += fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(t)), ms.count() % 1000);
}

// {"time","level","logger","message"} for the default logger's messages. The access logger
// writes whole objects itself (LogAccess), so its formatter passes the payload through.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(bool passthrough) : passthrough_(passthrough) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string out;
    if (passthrough_) {
      out.assign(msg.payload.data(), msg.payload.size());
    } else {
      out = "{\"time\":\"";
      AppendTime(out, msg.time);
      out += "\",\"level\":\"";
      const auto level = spdlog::level::to_string_view(msg.level);
      out.append(level.data(), level.size());
      out += "\",\"logger\":";
      AppendQuoted(out, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
      out += ",\"message\":";
      AppendQuoted(out, std::string_view(msg.payload.data(), msg.payload.size()));
      out += "}";
    }
    out += "\n";
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(passthrough_);
  }

 private:
  bool passthrough_;
};

void ApplyFormat(spdlog::logger& logger, bool access) {
  if (json_logs.load()) {
    logger.set_formatter(std::make_unique<JsonFormatter>(access));
  } else {
    logger.set_formatter(std::make_unique<spdlog::pattern_formatter>(
        access ? kAccessPattern : kTextPattern, spdlog::pattern_time_type::utc));
  }
}

}  // namespace

Status InitLogging(const std::string& level, const std::string& format) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("log level '" + level +
                                   "' is not one of trace, debug, info, warn, error, off");
  }
  if (format != "text" && format != "json")
    return Status::InvalidArgument("log format '" + format + "' is not text or json");
  json_logs = format == "json";
  // spdlog's own default logger writes to stdout, where commands print their answers
  // (`lakehouse sql` prints JSON): every log line goes to stderr instead.
  static const bool to_stderr = [] {
    auto logger = spdlog::stderr_color_mt("lakehouse");
    logger->set_level(spdlog::default_logger()->level());
    spdlog::set_default_logger(logger);
    return true;
  }();
  (void)to_stderr;
  spdlog::set_level(lvl);
  ApplyFormat(*spdlog::default_logger(), /*access=*/false);
  ApplyFormat(AccessLog(), /*access=*/true);
  return Status::OK();
}

spdlog::logger& AccessLog() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("access");
    l->set_pattern(kAccessPattern, spdlog::pattern_time_type::utc);
    return l;
  }();
  return *logger;
}

void LogAccess(const AccessRecord& r) {
  if (!json_logs.load()) {
    if (r.first_byte_us >= 0) {
      AccessLog().info("{} {} {} {} {}us first-byte={}us rid={} from={}", r.method, r.target,
                       r.status, r.bytes, r.latency_us, r.first_byte_us, r.request_id, r.remote);
    } else {
      AccessLog().info("{} {} {} {} {}us rid={} from={}", r.method, r.target, r.status, r.bytes,
                       r.latency_us, r.request_id, r.remote);
    }
    return;
  }
  std::string out = "{\"time\":\"";
  AppendTime(out, std::chrono::system_clock::now());
  out += "\",\"level\":\"info\",\"logger\":\"access\",\"message\":";
  AppendQuoted(out, fmt::format("{} {} {}", r.method, r.target, r.status));
  out += ",\"request_id\":";
  AppendQuoted(out, r.request_id);
  out += ",\"method\":";
  AppendQuoted(out, r.method);
  out += ",\"route\":";
  AppendQuoted(out, r.route);
  out += ",\"target\":";
  AppendQuoted(out, r.target);
  out += fmt::format(",\"status\":{},\"bytes\":{},\"latency_ms\":{:.3f}", r.status, r.bytes,
                     static_cast<double>(r.latency_us) / 1000.0);
  if (r.first_byte_us >= 0)
    out += fmt::format(",\"first_byte_ms\":{:.3f}", static_cast<double>(r.first_byte_us) / 1000.0);
  out += ",\"remote\":";
  AppendQuoted(out, r.remote);
  out += "}";
  AccessLog().info("{}", out);
}

}  // namespace lakehouse
