// src/journal/kb_events.h: the journal event for a `_kb` line.
//
// Every `_kb/<source>.jsonl` line is a significant event (a validation, a chat call, an
// iterate run, a retrieval, a pathway step, a playbook record or replay, a truth claim).
// The journal keeps a compact form of each (type, subject, the fields the observer and a
// reader of the journal need, never whole prompts), so a KbLog listener journals them all
// without each service knowing the journal. The event type of each source is in
// storage/kb_sources.h; docs/HTTP_API.md (Journal) lists the types.
//
// Thread-safety: a pure function.
#pragma once

#include <optional>
#include <string_view>

#include "core/json.h"
#include "journal/journal.h"
#include "storage/kb_sources.h"

namespace lakehouse {

//! The event for a line of `_kb/<source>.jsonl`; nullopt for sources that are not events
//! of their own (observer_events: derived from the journal).
std::optional<JournalEvent> EventFromKbLine(KbSource source, const Json& line);

}  // namespace lakehouse
