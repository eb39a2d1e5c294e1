// src/server/console_assets.h: the console's files (console/ and its charting library),
// compiled into the binary by cmake/EmbedConsole.cmake, so `lakehouse serve` needs nothing
// beside it and works offline.
#pragma once

#include <span>
#include <string_view>

namespace lakehouse {

struct ConsoleAsset {
  std::string_view name;          // "app.js": served at /ui/assets/<name>
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::span<const unsigned char> bytes;
  std::span<const unsigned char> gzip;  // the same bytes, gzip'd
  std::string_view etag;                // "\"<16 hex of SHA-1>\""
};

std::span<const ConsoleAsset> ConsoleAssets();

}  // namespace lakehouse
