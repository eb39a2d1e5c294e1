// src/loadgen/parity.h: the parity probe: one set of fixture requests through two
// deployments (all-in-one vs split services; an old build vs a new one), answers compared.
//
// The fixtures are the HTTP contract fixtures (contracts/http/*.json: optional "setup"
// requests, then "request"), sent in name order to both targets, which must start from
// the same data (scripts/parity/run.sh copies one root). Every answer of both sides is
// compared: the status, the content type and the body, byte for byte once the fields that
// differ by nature are replaced by "<volatile>" (request and trace ids, timings,
// timestamps, journal sequence numbers, ids minted per commit). A setup answer that
// differs is a mismatch of its fixture too.
//
// Split services see each other's writes after a short delay (followers poll, events are
// forwarded: server/topology.h). A read (GET, or a read-only POST such as a search) whose
// answers differ is asked again, both sides, until they agree or `settle` passes; the
// report says how long it took. Writes are never repeated.
//
// Thread-safety: RunParity is self-contained.
#pragma once

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse::loadgen {

using KeySet = std::set<std::string, std::less<>>;
//! The keys whose values differ by nature between two runs (timings, timestamps, request
//! and trace ids, ids minted per commit): the golden fixtures' set.
const KeySet& VolatileKeys();
//! VolatileKeys plus the journal's sequence numbers, which count the events of every
//! process in the order they reached the journal (split services forward theirs).
const KeySet& ParityVolatileKeys();

//! `j` with the (non-null) value of every key in `keys` replaced by "<volatile>",
//! recursively. `round_floats`: vectors to 5 decimals and scores to 3 (the golden fixtures
//! are shared by optimised and sanitizer builds, whose float summation orders differ).
Json NormalizeVolatile(Json j, const KeySet& keys, bool round_floats);

//! Where two JSON values differ: up to `max` lines "path: a -> b".
std::string JsonDiff(const Json& a, const Json& b, size_t max = 8);

struct ParityOptions {
  std::string a, b;          // base URLs, loopback only
  std::string fixtures_dir;  // contracts/http
  std::chrono::milliseconds settle{3000};
  std::chrono::milliseconds timeout{30000};
  //! Fixtures (file stems) left out, for known differences between the two deployments
  //! (named in the report's `skipped`); only read-only fixtures should be, so the two keep
  //! the same state.
  std::set<std::string> skip;
  //! Sent as Authorization: Bearer to both (deployments with auth required), or to `b` its
  //! own `api_key_b` when the two have different key stores. Fixtures with an "auth" block
  //! need a server of their own (the contract test makes one) and are skipped.
  std::string api_key, api_key_b;
};

//! parity_report.v1: {schema, a, b, fixtures, matched, skipped, rows: [{fixture, match, status_a,
//! status_b, settle_ms, diff}]}. An error only when a target cannot be used at all.
Result<Json> RunParity(const ParityOptions& options);
//! "N/N match" and one line per mismatch with its diff.
std::string ParityTable(const Json& report);

}  // namespace lakehouse::loadgen
