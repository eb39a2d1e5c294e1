// src/journal/truth.h: truth reconciliation, one current value per (subject, attribute).
//
// A claim is {subject, attribute, value, source, observed_at, confidence}: "worker:W0000042
// phone is +1-513-555-0199, says an email, observed 2026-11-20, confidence 0.7". Claims are
// never overwritten; every one is kept (durable in `<dir>/claims.log`, CRC-framed, fsync'd
// before the answer, and written to `_kb/truth_claims.jsonl`). Resolution picks, per
// attribute, the claim of the highest-priority source (configurable; default roster >
// coordinator > email > memory > model; an unlisted source ranks after them), then the
// most recent observation, then the highest confidence, then the latest recorded; the
// answer names the winner with its provenance and lists every claim whose value differs
// (the conflicts), in the same order.
//
// The roster contributes claims too (phone, email, city, status of a worker, source
// "roster", observed when the current workers version was committed): the caller passes
// them in at resolution time, read from the current dataset, so they are never stale and
// the roster's 500k workers are not copied into this store.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "query/query_engine.h"
#include "storage/kb_log.h"

namespace lakehouse {

class Catalog;

struct Claim {
  std::string id;  // "clm_<n>" (roster claims: "roster")
  std::string subject, attribute;
  Json value;
  std::string source;
  std::string observed_at;  // as given (RFC 3339 or date)
  int64_t observed_ms = 0;
  double confidence = 1.0;
  int64_t recorded_ms = 0;
  Json ToJson() const;
};

//! Parses one claim {subject, attribute, value, source, observed_at, confidence?}; errors
//! name the field (prefixed with `where`, e.g. "claims[3].").
Result<Claim> ParseClaim(const Json& j, const std::string& where = "");

//! What Add stored: {accepted, ids}.
struct ClaimsAccepted {
  std::vector<std::string> ids;
  Json ToJson() const;
};

//! The current value of one attribute: the winning claim, how many claims there are, and
//! every claim whose value differs from the winner's (in resolution order).
struct ResolvedAttribute {
  Claim winner;
  size_t claims = 0;
  std::vector<Claim> conflicts;
  //! {value, source, observed_at, confidence, claim_id, recorded_at, claims, conflicts}
  Json ToJson() const;
};

struct Resolution {
  std::string subject;
  std::map<std::string, ResolvedAttribute> attributes;  // by name
  std::vector<std::string> source_priority;
  //! {subject, attributes: {name: ...}, source_priority}
  Json ToJson() const;
};

//! The roster's claims about `subject` ("worker:<id>": phone, email, city, status, read
//! from the current `workers` version and observed when it was committed); empty for any
//! other subject, an unknown worker, or no workers dataset.
std::vector<Claim> RosterClaims(const Catalog& catalog, QueryEngine& query, const SqlLimits& limits,
                                const std::string& subject);

class TruthStore {
 public:
  static Result<std::unique_ptr<TruthStore>> Open(const std::string& dir,
                                                  std::vector<std::string> source_priority,
                                                  KbLog* kb);
  //! Stores the claims durably (one fsync), assigning ids.
  Result<ClaimsAccepted> Add(std::vector<Claim> claims, const std::string& request_id);
  //! Each attribute's current value; NotFound when neither the store nor `extra` has a
  //! claim about the subject.
  Result<Resolution> Resolve(const std::string& subject, const std::vector<Claim>& extra) const;
  //! 0 for the first source of the priority list; unlisted sources after every listed one.
  size_t Rank(const std::string& source) const;
  size_t size() const;

 private:
  TruthStore(std::string log, std::vector<std::string> priority, KbLog* kb)
      : log_(std::move(log)), priority_(std::move(priority)), kb_(kb) {}
  void Apply(Claim c) LH_REQUIRES(mu_);

  std::string log_;
  std::vector<std::string> priority_;
  KbLog* kb_;
  mutable Mutex mu_;
  std::map<std::string, std::vector<Claim>> by_subject_ LH_GUARDED_BY(mu_);
  int64_t next_id_ LH_GUARDED_BY(mu_) = 1;
  size_t count_ LH_GUARDED_BY(mu_) = 0;
};

}  // namespace lakehouse
