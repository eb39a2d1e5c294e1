// src/core/fields.h: checks for the free-text fields memory, pathways and playbooks take.
//
// Subjects, sources and step names end up in logs, file names of evidence and prompts, so
// they are short single-line labels; texts are bounded. Each check names the field and
// what was wrong (a 400 the caller can act on).
//
// Thread-safety: free functions.
#pragma once

#include <string_view>

#include "core/status.h"

namespace lakehouse {

//! 1..max_len bytes, no control characters, not only blanks.
Status CheckLabel(std::string_view field, std::string_view value, size_t max_len);
//! 1..max_len bytes of text (newlines allowed), not only blanks.
Status CheckText(std::string_view field, std::string_view value, size_t max_len);
//! "YYYY-MM-DD" or an RFC 3339 time starting with one ("2026-11-24T07:43:15Z").
Status CheckTimestamp(std::string_view field, std::string_view value);

}  // namespace lakehouse
