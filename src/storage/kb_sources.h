// src/storage/kb_sources.h: the `_kb` sources, in one table.
//
// Every significant thing the system does is appended as a line to `_kb/<source>.jsonl`
// (storage/kb_log.h): the raw material of the journal's events and of the distillation
// pipeline's evidence. This table is the one place that says, per source, its file name,
// the `schema` every line carries, and the journal event type a line becomes. Producers
// append with the enum and take the schema from here; the journal (journal/kb_events.h)
// and the materializer (distill/evidence.h) look the source up here instead of matching
// names of their own. docs/KB.md documents the fields of each schema.
//
// Thread-safety: immutable.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace lakehouse {

enum class KbSource : uint8_t {
  kChatTurns,
  kValidations,
  kIterateRuns,
  kFills,
  kEmails,
  kPlaybooks,
  kPathwayTraces,
  kReplayRuns,
  kRetrievals,
  kObserverEvents,
  kTruthClaims,
  kFeedback,
};

struct KbSourceInfo {
  KbSource id;
  std::string_view name;    // the file: _kb/<name>.jsonl
  std::string_view schema;  // every line's `schema`
  //! The journal event type a line becomes; "" for none (observer minutes are the
  //! journal's own summary). "playbook.<op>": the line's `op` completes it.
  std::string_view event;
  std::string_view doc;  // one line: what a line is
};

inline constexpr size_t kKbSourceCount = 12;

//! Every source, in the distillation's processing order (the enum's order).
const std::array<KbSourceInfo, kKbSourceCount>& KbSources();
const KbSourceInfo& KbSourceOf(KbSource source);
//! The source whose file name is `name`, or null.
const KbSourceInfo* FindKbSource(std::string_view name);
//! Shorthands.
inline std::string_view KbName(KbSource s) {
  return KbSourceOf(s).name;
}
inline std::string_view KbSchema(KbSource s) {
  return KbSourceOf(s).schema;
}

}  // namespace lakehouse
