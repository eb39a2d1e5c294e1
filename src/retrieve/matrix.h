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
// Thread-safety: Retrieve may be called concurrently.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chat/dispatcher.h"
#include "core/json.h"
#include "embed/embed_service.h"
#include "storage/kb_log.h"
#include "vector/vector_store.h"

namespace lakehouse {

struct RetrieveRequest {
  std::string query;
  std::optional<std::string> role;
  std::vector<std::string> corpora;  // empty: every default corpus that exists
  int64_t k = 10;
  Json filter = Json::object();
};

//! Parses {query, role?, corpora?, k? (1..200, default 10), filter?}; errors name the field.
Result<RetrieveRequest> ParseRetrieveRequest(const Json& body);

//! One result of a matrix retrieve.
struct RetrievedItem {
  std::string corpus, id;
  double score = 0;       // reciprocal-rank fusion across the corpora
  double similarity = 0;  // the index's own score
  Json payload;
  //! {corpus, id, score}: what retrieval.v1 lines and replay prompts keep of a result.
  Json BriefJson() const;
  //! {corpus, id, score, similarity, payload} (scores rounded to 6 decimals)
  Json ToJson() const;
};

struct RetrievedPlace {
  std::string city, state;
  std::string scope;  // radius | state | anywhere
};

struct RetrieveResult {
  std::optional<std::string> role;
  std::string role_source = "none";  // given | extracted | model | none
  std::optional<RetrievedPlace> place;
  std::string shift;  // "" when the query names none
  std::vector<std::string> qualifications;
  std::vector<RetrievedItem> results;  // best first
  int64_t gated = 0;                   // other-role items the role gate kept out
  std::vector<std::pair<std::string, size_t>> per_corpus;  // hits per corpus, search order
  //! {role, role_source, place: {city, state, scope} | null, shift, qualifications,
  //!  results: [...], gated, per_corpus: {name: n}}
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

  //! `chat` (for the LLM role fallback) and `kb` (retrieval.v1 lines) may be null.
  MatrixRetriever(EmbedService& embed, VectorStore& vectors, ChatDispatcher* chat, KbLog* kb)
      : embed_(embed), vectors_(vectors), chat_(chat), kb_(kb) {}

  Result<RetrieveResult> Retrieve(const RetrieveRequest& request,
                                  const std::string& request_id = "");

 private:
  std::optional<std::string> RoleByModel(const std::string& query, const std::string& request_id);

  EmbedService& embed_;
  VectorStore& vectors_;
  ChatDispatcher* chat_;
  KbLog* kb_;
};

}  // namespace lakehouse
