// src/retrieve/matrix.h: multi-corpus "matrix" retrieval with the cross-role gate.
//
// One query, embedded once per embedding model, searched in several corpora (vector
// indexes: workers, playbooks, fills, emails, notes, those that exist), each with the
// structured filter applied inside the HNSW search, merged by reciprocal rank fusion:
// score = 1 / (kRrfK + rank) with kRrfK = 60 (Cormack et al.), ties broken by similarity,
// then corpus name, then id, so the order is deterministic.
//
// The cross-role gate: when the query has a role (given, or found by the role extractor:
// taxonomy rules first, the chat model only when rules find nothing and a remote provider
// is configured), role-bearing corpora (workers, playbooks, fills, emails) are searched
// with role = that role, so a candidate of another role is never returned; `gated` counts
// the other-role candidates a plain search would have returned in each corpus's top k.
// In the workers corpus the query's place ("in Dayton": within ~50 miles, widening to the
// state, then anywhere when fewer than k match; a wider scope only adds after the nearer
// hits, so they stay first) and shift ("nights": night or any) become
// filters too, unless the request's filter already speaks of them: role first, then place,
// then what the embedding ranks (skills, certifications).
//
// With an order_id the search is for that order: its role (role_source "order"), its
// location (radius around the order, then its state, then anywhere), its shift, and its
// required certifications rank first; workers the ledger already places on the order or on
// overlapping dates are left out. Within the workers corpus every hit is ranked by where it
// is, not by which widening found it: radius hits first, then the state, then the rest.
//
// Thread-safety: Retrieve may be called concurrently.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chat/dispatcher.h"
#include "core/json.h"
#include "embed/embed_service.h"
#include "storage/kb_log.h"
#include "validate/roster.h"
#include "vector/vector_store.h"

namespace lakehouse {

struct RetrieveRequest {
  std::string query;
  std::optional<std::string> role;
  //! Candidates for this job order: its role, place, shift and certifications steer the
  //! workers search, and workers already placed on it or on an order with overlapping dates
  //! are left out (counted in `excluded`).
  std::optional<std::string> order_id;
  std::vector<std::string> corpora;  // empty: every default corpus that exists
  int64_t k = 10;
  Json filter = Json::object();
};

//! Parses {query, role?, order_id?, corpora?, k? (1..200, default 10), filter?}; errors name
//! the field. With order_id, query may be omitted (the order's own description is used).
Result<RetrieveRequest> ParseRetrieveRequest(const Json& body);

//! One result of a matrix retrieve.
struct RetrievedItem {
  std::string corpus, id;
  double score = 0;       // reciprocal-rank fusion across the corpora
  double similarity = 0;  // the index's own score
  Json payload;
  //! Why it is a candidate, for a coordinator: {similarity} for every corpus; a worker adds
  //! distance_miles (to the order or the query's place; null without one), role_match,
  //! certifications_matched / _missing (of those the order requires or the query names),
  //! shift {worker, needed, match}, available, status, rating, reliability.
  Json reasons;
  //! {corpus, id, score}: what retrieval.v1 lines and replay prompts keep of a result.
  Json BriefJson() const;
  //! {corpus, id, score, similarity, payload, reasons} (scores rounded to 6 decimals)
  Json ToJson() const;
};

struct RetrievedPlace {
  std::string city, state;
  std::string scope;  // radius | state | anywhere
};

struct RetrieveResult {
  std::optional<std::string> role;
  std::string role_source = "none";  // given | order | extracted | model | none
  std::optional<std::string> order_id;
  std::optional<RetrievedPlace> place;
  std::string shift;  // "" when the query names none
  std::vector<std::string> qualifications;
  std::vector<RetrievedItem> results;  // best first
  int64_t gated = 0;                   // other-role items the role gate kept out
  int64_t excluded = 0;  // workers left out: already placed on the order or overlapping it
  std::vector<std::pair<std::string, size_t>> per_corpus;  // hits per corpus, search order
  //! {role, role_source, order_id, place: {city, state, scope} | null, shift,
  //!  qualifications, results: [...], gated, excluded, per_corpus: {name: n}}
  Json ToJson() const;
  // The parts a retrieval.v1 line shares with the answer (without the results' payloads).
  Json RoleJson() const;
  Json PlaceJson() const;
  Json ShiftJson() const;
  Json PerCorpusJson() const;
};

//! One `_kb/retrievals.jsonl` line (retrieval.v1, docs/KB.md): matrix retrieve writes one
//! per request, and so does every other search made for a coordinator (playbook replay).
struct RetrievalRecord {
  std::string request_id;
  std::string query;
  Json role = nullptr;
  std::string role_source = "none";
  Json place = nullptr;
  Json shift = nullptr;
  std::vector<std::string> corpora;
  int64_t k = 0;
  Json filter = Json::object();
  Json results = Json::array();  // [{corpus, id, score}], best first
  int64_t gated = 0;
  Json per_corpus = Json::object();
  double latency_ms = 0;
  Json ToJson() const;
};

class MatrixRetriever {
 public:
  static constexpr double kRrfK = 60.0;
  //! workers, playbooks, fills, emails, notes.
  static const std::vector<std::string>& DefaultCorpora();
  static bool RoleBearing(const std::string& corpus);

  //! `chat` (for the LLM role fallback), `kb` (retrieval.v1 lines) and `roster` (orders,
  //! placements: needed for order_id) may be null.
  MatrixRetriever(EmbedService& embed, VectorStore& vectors, ChatDispatcher* chat, KbLog* kb,
                  RosterStore* roster = nullptr)
      : embed_(embed), vectors_(vectors), chat_(chat), kb_(kb), roster_(roster) {}

  Result<RetrieveResult> Retrieve(const RetrieveRequest& request,
                                  const std::string& request_id = "");

 private:
  std::optional<std::string> RoleByModel(const std::string& query, const std::string& request_id);

  EmbedService& embed_;
  VectorStore& vectors_;
  ChatDispatcher* chat_;
  KbLog* kb_;
  RosterStore* roster_;
};

}  // namespace lakehouse
