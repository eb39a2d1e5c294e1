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

}  // namespace lakehouse
