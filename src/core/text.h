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

//! True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past
//! U+10FFFF).
bool IsValidUtf8(std::string_view s);
//! Standard base64 (RFC 4648, with padding): how bytes that are not text are kept in JSON.
std::string Base64Encode(std::string_view bytes);

}  // namespace lakehouse
