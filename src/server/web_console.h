// src/server/web_console.h: the page served at GET / : a small console for coordinators and
// engineers to browse datasets and run read-only SQL against the running server.
#pragma once

#include <string_view>

namespace lakehouse {

std::string_view WebConsoleHtml();

}  // namespace lakehouse
