// src/core/log.h: process logging (spdlog), to stderr.
//
// Two loggers: the default one for operators (start-up, errors, recoveries: messages a
// system administrator can act on) and "access" for one line per HTTP request.
// Two formats (`--log-format`, server.log_format, LAKEHOUSE_LOG_FORMAT):
//   text  2026-12-02T07:43:15.123Z info message          (the default: for people)
//   json  {"time":"2026-12-02T07:43:15.123Z","level":"info","logger":"lakehouse","message":"..."}
//         one object per line (for journald, Loki, Elasticsearch: no parsing rules); access
//         lines add request_id, method, route, target, status, bytes, latency_ms,
//         first_byte_ms (streamed answers) and remote.
//
// Thread-safety: spdlog loggers are thread-safe; InitLogging runs once, before threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/status.h"

namespace lakehouse {

//! Sets the default level ("trace".."off") and the format ("text" or "json") of both
//! loggers; an unknown level or format is an error naming it.
Status InitLogging(const std::string& level, const std::string& format = "text");
//! The access logger (created on first use).
spdlog::logger& AccessLog();

//! One answered HTTP request, as the access log writes it.
struct AccessRecord {
  std::string_view method, target, route, request_id, remote;
  int status = 0;
  uint64_t bytes = 0;
  int64_t latency_us = 0;
  int64_t first_byte_us = -1;  // -1: not streamed
};
//! Writes `r` to the access log in the current format.
void LogAccess(const AccessRecord& r);

}  // namespace lakehouse
