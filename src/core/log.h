// src/core/log.h: process logging (spdlog), to stderr.
//
// Two loggers: the default one for operators (start-up, errors, recoveries: messages a
// system administrator can act on) and "access" for one line per HTTP request.
//
// Thread-safety: spdlog loggers are thread-safe.
#pragma once

#include <string>

#include <spdlog/spdlog.h>

#include "core/status.h"

namespace lakehouse {

//! Sets the default level ("trace".."off"); an unknown level is an error.
Status InitLogging(const std::string& level);
//! The access logger (created on first use).
spdlog::logger& AccessLog();

}  // namespace lakehouse
