// src/core/text.h: small ASCII text helpers shared by subsystems (names, emails, roles are
// compared case-insensitively in ASCII; Unicode case folding is not needed for them).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace lakehouse {

//! `s` with ASCII letters lower-cased.
std::string AsciiLower(std::string_view s);
//! ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
//! ASCII case-insensitive: does `text` contain `needle` anywhere (an empty needle: yes)?
bool ContainsIgnoreCase(std::string_view text, std::string_view needle);
//! The media type of a Content-Type value, without parameters, trimmed and lower-cased:
//! "Text/CSV; charset=utf-8" -> "text/csv".
std::string MediaType(std::string_view content_type);

//! True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past
//! U+10FFFF).
bool IsValidUtf8(std::string_view s);
//! Standard base64 (RFC 4648, with padding): how bytes that are not text are kept in JSON.
std::string Base64Encode(std::string_view bytes);

}  // namespace lakehouse
