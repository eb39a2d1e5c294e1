// src/distill/evidence_view.h: an evidence.v1 line parsed in place (simdjson), the way the
// scorer, the exporters and the audit read evidence. Internal to src/distill.
//
// Thread-safety: one EvidenceParser per thread; a view lives until the next Parse.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "core/status.h"

namespace lakehouse::distill {

struct EvidenceView {
  std::string_view id, kind, day, subject, source, transform;
  int64_t line_offset = -1;
  simdjson::dom::element payload;

  //! payload[key] as a string, or "" when absent/null/not a string.
  std::string_view Str(std::string_view key) const;
  //! payload[key] as a bool, or `fallback`.
  bool Bool(std::string_view key, bool fallback = false) const;
  //! payload[key] as an integer, or `fallback`.
  int64_t Int(std::string_view key, int64_t fallback = 0) const;
  //! payload[key] as a number, or `fallback`.
  double Number(std::string_view key, double fallback = 0) const;
  //! payload[key], or nullopt when absent or JSON null.
  std::optional<simdjson::dom::element> Get(std::string_view key) const;
};

class EvidenceParser {
 public:
  //! Parses an evidence.v1 line (padded). Errors name the missing/mistyped field.
  Result<EvidenceView> Parse(std::string_view line);
  simdjson::dom::parser& parser() { return parser_; }

 private:
  simdjson::dom::parser parser_;
};

//! Minified JSON of an element.
std::string Minify(simdjson::dom::element el);

}  // namespace lakehouse::distill
