// src/memory/playbooks.h: record the steps that filled an order; replay them for a new one.
//
// Record: the steps (the Playbook validator's {tool, args} list) that worked for an order
// are checked by the Playbook validator, given the order's signature (role, city/state,
// shift, headcount band) and stored as one item of the `playbooks` vector index (the side
// store is the truth; the item is also a corpus of matrix retrieve, role-gated like the
// others). Recording an order again replaces its playbook (a new version of the item).
//
// Replay: for a new order, the nearest replayable playbook (outcome filled or partial) of
// the same role is chosen by signature first (same city 4 points, else same state 2;
// same shift 2; same headcount band 1), then by similarity of the signature texts, then
// by id, so the choice is deterministic and never crosses roles. Its steps are
// instantiated for the new order (order ids rewritten, the retrieve query rebuilt for the
// new role/shift/place, a fresh fill proposed from the roster: eligible workers nearest
// first, up to the open headcount), then validated: the playbook by the Playbook
// validator, the proposed fill by the Fill validator. Every step carries its verdict.
//
// Both append to `_kb/playbooks.jsonl` (playbook.v1); a replay also appends `proposed`
// and `validated` steps to the order's pathway trace.
//
// Thread-safety: Record and Replay may be called concurrently.
#pragma once

#include <string>

#include "core/json.h"
#include "core/status.h"
#include "embed/embed_service.h"
#include "memory/pathways.h"
#include "storage/kb_log.h"
#include "validate/roster.h"
#include "validate/validators.h"
#include "vector/vector_store.h"

namespace lakehouse {

//! "1", "2-4", "5-9", "10-24", "25+".
std::string HeadcountBand(int64_t headcount);

//! {role, city, state, shift, headcount_band}
Json PlaybookSignature(const OrderRecord& order);

class Playbooks {
 public:
  static constexpr const char* kIndex = "playbooks";

  //! `kb` and `pathways` may be null.
  Playbooks(EmbedService& embed, VectorStore& vectors, RosterStore& roster,
            const Validators& validators, KbLog* kb, PathwayStore* pathways)
      : embed_(embed),
        vectors_(vectors),
        roster_(roster),
        validators_(validators),
        kb_(kb),
        pathways_(pathways) {}

  //! {order_id, steps, outcome, name?} -> {playbook_id, version, replaced, order_id,
  //! signature, playbook: {name, role, steps}, outcome}. 404 unknown order; 422 with the
  //! validator's errors when the steps are not a valid playbook.
  Result<Json> Record(const Json& body, const std::string& request_id);
  //! {order_id} -> {order_id, signature, playbook: {id, order_id, name, signature, match,
  //! points, similarity}, steps: [{tool, args, verdict}], fill, verdicts: {playbook, fill},
  //! valid}. 404 unknown order, or no replayable playbook of the order's role.
  Result<Json> Replay(const Json& body, const std::string& request_id);
  //! The stored playbook (the item's payload); 404 unknown.
  Result<Json> Get(const std::string& playbook_id) const;

 private:
  Result<std::shared_ptr<VectorIndex>> Index(bool create);

  EmbedService& embed_;
  VectorStore& vectors_;
  RosterStore& roster_;
  const Validators& validators_;
  KbLog* kb_;
  PathwayStore* pathways_;
};

//! The text a playbook (or an order looking for one) is embedded from.
std::string PlaybookText(const Json& signature, const Json& steps, const std::string& outcome);

}  // namespace lakehouse
