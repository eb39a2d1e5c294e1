// src/vector/postings.h: candidate sets for selective filters, from per-field postings.
//
// A graph search with a very selective filter visits most of the graph to find its few
// matches (hnswlib keeps exploring until it holds ef admitted results). In a large index
// (>= kMinItems) the `eq`/`in` conditions over string or boolean fields draw candidates
// from posting lists, and numeric range conditions (gt/gte/lt/lte) from sorted value
// arrays, both built per field from the payload columns (one pass over a column's cells,
// strings bucketed by dictionary code: a few milliseconds per field on 500k items; a
// numeric field's sort is the dearest part) and dropped after any write. A served index
// builds every field's postings before the server says it is ready (Warm), so the first
// filtered searches do not wait on one another for them; after a write they are built
// again on first use (or by the next Warm). Labels in a posting list ascend. The smallest
// candidate set, narrowed by the next smallest while that is cheap (a lat band and a lon
// band make a box), is what VectorIndex scores exactly when it is small enough; its labels
// are handed out ascending, so the scan reads rows in order. A dense list (a shift, a
// status) narrows through its bitmap whatever its size: a bit test per candidate.
//
// Thread-safety: Candidates may be called concurrently (a mutex of its own guards the
// lists); the store must not change meanwhile (VectorIndex holds its shared lock).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/thread_annotations.h"
#include "vector/payload_filter.h"
#include "vector/side_store.h"

namespace lakehouse {

class Postings {
 public:
  static constexpr size_t kMinItems = 10000;
  static constexpr size_t kMaxValues = 4096;  // a field with more is not listed
  // A set more than this many times the labels left is not intersected: checking its
  // condition on those labels' cells is cheaper than reading the set.
  static constexpr size_t kNarrowRatio = 8;
  // A list holding at least 1/kDenseShare of the items also has a bitmap (a bit per label),
  // so a candidate set narrows by it at a bit test per candidate, whatever the list's size.
  static constexpr size_t kDenseShare = 64;

  struct CandidateSet {
    std::vector<size_t> labels;            // ascending
    std::vector<size_t> exact_conditions;  // filter conditions every label satisfies
  };
  //! Labels of the items that can match `filter`; nullopt when no condition of it can be
  //! answered from postings (or the store is small).
  std::optional<CandidateSet> Candidates(const PayloadFilter& filter, const SideStore& store) const;
  //! Builds the postings of every field now (nothing for a store below kMinItems).
  void Warm(const SideStore& store) const;

 private:
  struct FieldPostings {
    bool lists_usable = true;  // false: too many distinct values to list
    std::unordered_map<std::string, std::vector<size_t>> lists;  // PostingKey -> labels
    // PostingKey -> its list as bits, for dense lists only (at most kDenseShare a field;
    // the store's label bound in bits each).
    std::unordered_map<std::string, std::vector<uint64_t>> dense;
    // Numbers sorted (range queries) and their labels in the same order: a range's labels
    // are one contiguous span, like a posting list's.
    std::vector<double> values;
    std::vector<size_t> value_labels;
  };
  //! The postings of `field`, built on first use. Call with mu_ held.
  const FieldPostings& Field(const std::string& field, const SideStore& store) const
      LH_REQUIRES(mu_);
  //! Drops every field's postings when the store changed since they were built.
  void Refresh(const SideStore& store) const LH_REQUIRES(mu_);

  mutable Mutex mu_;
  mutable std::unordered_map<std::string, FieldPostings> fields_ LH_GUARDED_BY(mu_);
  mutable uint64_t seq_ LH_GUARDED_BY(mu_) = UINT64_MAX;  // the store sequence the lists reflect
};

}  // namespace lakehouse
