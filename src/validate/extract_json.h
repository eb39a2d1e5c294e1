// src/validate/extract_json.h: find the JSON object in a model's free-text answer.
//
// Models wrap their JSON in prose and code fences. ExtractJson returns the first JSON
// object, looking in this order (SPEC "Validators"):
//   1. the content of each ```json fenced block, in order;
//   2. the content of each other fenced block (``` or ```lang), in order;
//   3. the whole text.
// Inside a region the candidates are the outermost balanced {...} spans, in order of their
// start; braces inside JSON strings (and escaped quotes inside those) do not count. Quotes
// in prose (outside any brace) are ignored, so an apostrophe or an inch mark cannot hide
// the object. A candidate that is balanced but not valid JSON is not a match, and the
// search goes on after it (never inside it). A top-level array therefore yields its first
// inner object. Text after the object is ignored.
//
// Cost: linear in the input (each byte is scanned a bounded number of times and candidates
// do not overlap); nesting deeper than kMaxDepth is not a match (no recursion blow-up).
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string_view>

#include "core/json.h"

namespace lakehouse {

inline constexpr int kExtractJsonMaxDepth = 256;

//! The first JSON object in `text`, or nullopt.
std::optional<Json> ExtractJson(std::string_view text);

//! {"matched": bool, "value": object or null}: the `lakehouse extract-json` answer.
Json ExtractJsonAnswer(std::string_view text);

}  // namespace lakehouse
