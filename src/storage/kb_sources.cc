#include "storage/kb_sources.h"

namespace lakehouse {

const std::array<KbSourceInfo, kKbSourceCount>& KbSources() {
  static constexpr std::array<KbSourceInfo, kKbSourceCount> kTable = {{
      {KbSource::kChatTurns, "chat_turns", "chat_turn.v1", "chat.call",
       "one dispatcher call: messages, answer"},
      {KbSource::kValidations, "validations", "validation.v1", "validate", "one validator verdict"},
      {KbSource::kIterateRuns, "iterate_runs", "iterate_run.v1", "iterate.run",
       "a validate-and-retry run"},
      {KbSource::kFills, "fills", "fill.v1", "fill.commit",
       "a fill a coordinator committed (or tried to)"},
      {KbSource::kEmails, "emails", "email.v1", "email.send",
       "an outreach email a coordinator sent (or tried to)"},
      {KbSource::kPlaybooks, "playbooks", "playbook.v1", "playbook.<op>",
       "a playbook recorded or replayed"},
      {KbSource::kPathwayTraces, "pathway_traces", "pathway_trace.v1", "pathway.step",
       "one step of an order"},
      {KbSource::kReplayRuns, "replay_runs", "replay_run.v1", "replay.run",
       "retrieve, bundle, chat, validate"},
      {KbSource::kRetrievals, "retrievals", "retrieval.v1", "retrieve", "one matrix retrieve"},
      {KbSource::kObserverEvents, "observer_events", "observer_event.v1", "",
       "one observer minute"},
      {KbSource::kTruthClaims, "truth_claims", "truth_claim.v1", "truth.claim",
       "one claim about a subject"},
      {KbSource::kFeedback, "feedback", "feedback.v1", "feedback",
       "a coordinator's rating or flag"},
  }};
  return kTable;
}

const KbSourceInfo& KbSourceOf(KbSource source) {
  return KbSources()[static_cast<size_t>(source)];
}

const KbSourceInfo* FindKbSource(std::string_view name) {
  for (const auto& s : KbSources())
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace lakehouse
