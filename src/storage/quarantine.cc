#include "storage/quarantine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json.h"
#include "core/text.h"

namespace lakehouse {

QuarantineWriter::QuarantineWriter(ObjectStore& store, std::string source, std::string origin,
                                   const Clock& clock)
    : store_(store), source_(std::move(source)), origin_(std::move(origin)), clock_(clock) {
  const CivilDate d = CivilDateOf(clock_.NowMillis());
  key_ = fmt::format("_quarantine/{:04d}/{:02d}/{:02d}/{}.jsonl", d.year, d.month, d.day, source_);
}

QuarantineWriter::~QuarantineWriter() {
  Status st = Flush();
  if (!st.ok())
    spdlog::error("quarantine records for {} could not be written: {}", source_, st.ToString());
}

void QuarantineWriter::Add(int64_t line_offset, std::string_view reason, std::string_view raw) {
  Json rec = Json::object();
  rec["schema"] = "quarantine.v1";
  rec["source"] = source_;
  rec["origin"] = origin_;
  rec["line_offset"] = line_offset;
  rec["reason"] = std::string(reason);
  if (IsValidUtf8(raw)) {
    rec["raw"] = std::string(raw);
  } else {
    // Not text: kept byte for byte, so the record can still be fixed and replayed.
    rec["raw"] = Base64Encode(raw);
    rec["raw_encoding"] = "base64";
  }
  rec["quarantined_at"] = FormatRfc3339Millis(clock_.NowMillis());
  if (sample_.size() < kSampleSize) {
    Json brief = Json{{"line_offset", line_offset}, {"reason", rec["reason"]}, {"raw", rec["raw"]}};
    if (auto& r = brief["raw"].get_ref<std::string&>(); r.size() > 500) {
      size_t cut = 500;  // on a character boundary: never inside a UTF-8 sequence
      while (cut > 0 && (static_cast<unsigned char>(r[cut]) & 0xC0) == 0x80) --cut;
      r.resize(cut);
    }
    sample_.push_back(std::move(brief));
  }
  buffer_ += DumpJson(rec);
  buffer_ += '\n';
  ++count_;
  if (buffer_.size() > (1 << 20)) {
    Status st = Flush();
    if (!st.ok()) spdlog::error("quarantine flush for {}: {}", source_, st.ToString());
  }
}

Status QuarantineWriter::Flush() {
  if (buffer_.empty()) return Status::OK();
  Status st = store_.Append(key_, buffer_, /*sync=*/true);
  if (st.ok()) buffer_.clear();
  return st;
}

}  // namespace lakehouse
