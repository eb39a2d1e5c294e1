#include "distill/evidence_view.h"

#include <fmt/format.h>

namespace lakehouse::distill {

namespace dom = simdjson::dom;

std::string_view EvidenceView::Str(std::string_view key) const {
  std::string_view s;
  if (payload[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return s;
}
bool EvidenceView::Bool(std::string_view key, bool fallback) const {
  bool b;
  if (payload[key].get_bool().get(b) != simdjson::SUCCESS) return fallback;
  return b;
}
int64_t EvidenceView::Int(std::string_view key, int64_t fallback) const {
  int64_t v;
  if (payload[key].get_int64().get(v) != simdjson::SUCCESS) return fallback;
  return v;
}
double EvidenceView::Number(std::string_view key, double fallback) const {
  double v;
  if (payload[key].get_double().get(v) == simdjson::SUCCESS) return v;
  int64_t i;
  if (payload[key].get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return fallback;
}
std::optional<dom::element> EvidenceView::Get(std::string_view key) const {
  dom::element el;
  if (payload[key].get(el) != simdjson::SUCCESS || el.is_null()) return std::nullopt;
  return el;
}

Result<EvidenceView> EvidenceParser::Parse(std::string_view line) {
  dom::element doc;
  if (auto err = parser_.parse(line.data(), line.size(), false).get(doc); err)
    return Status::InvalidArgument(fmt::format("malformed JSON: {}", simdjson::error_message(err)));
  EvidenceView v;
  std::string_view schema;
  if (doc["schema"].get_string().get(schema) || schema != "evidence.v1")
    return Status::InvalidArgument("schema is not evidence.v1");
  auto str = [&](std::string_view key, std::string_view& out) -> Status {
    if (doc[key].get_string().get(out) != simdjson::SUCCESS)
      return Status::InvalidArgument(fmt::format("field '{}' missing or not a string", key));
    return Status::OK();
  };
  LH_RETURN_IF_ERROR(str("id", v.id));
  LH_RETURN_IF_ERROR(str("kind", v.kind));
  LH_RETURN_IF_ERROR(str("day", v.day));
  LH_RETURN_IF_ERROR(str("subject", v.subject));
  if (doc["payload"].get(v.payload) != simdjson::SUCCESS || !v.payload.is_object())
    return Status::InvalidArgument("field 'payload' missing or not an object");
  dom::element prov;
  if (doc["provenance"].get(prov) != simdjson::SUCCESS || !prov.is_object())
    return Status::InvalidArgument("field 'provenance' missing or not an object");
  if (prov["source"].get_string().get(v.source))
    return Status::InvalidArgument("field 'provenance.source' missing");
  if (prov["transform"].get_string().get(v.transform))
    return Status::InvalidArgument("field 'provenance.transform' missing");
  if (prov["line_offset"].get_int64().get(v.line_offset))
    return Status::InvalidArgument("field 'provenance.line_offset' missing or not an integer");
  std::string_view recorded;
  if (prov["recorded_at"].get_string().get(recorded))
    return Status::InvalidArgument("field 'provenance.recorded_at' missing");
  return v;
}

std::string Minify(dom::element el) {
  return simdjson::minify(el);
}

}  // namespace lakehouse::distill
