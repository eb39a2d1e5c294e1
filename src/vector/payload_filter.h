// src/vector/payload_filter.h: JSON predicates over item payloads, evaluated inside the
// HNSW search (hnswlib's filter functor) so filtered searches still return k results.
//
//   {"role": "forklift operator", "available": true,       equality
//    "state": {"in": ["OH", "KY"]},                          membership ("nin": not in)
//    "rating": {"gte": 4, "lt": 5},                          ranges: gt, gte, lt, lte
//    "status": {"ne": "dnr"},                                inequality
//    "skills": {"contains": "pallet jack"}}                  an array field holds a value
// All conditions must hold (AND). A field missing from a payload fails its condition.
//
// Thread-safety: a compiled PayloadFilter is immutable; Matches may run concurrently.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse {

class PayloadFilter {
 public:
  //! Compiles a filter object; unknown operators and malformed operands are errors that
  //! name the field ("filter.rating: unknown operator 'between'").
  static Result<PayloadFilter> Compile(const Json& filter);
  bool Matches(const Json& payload) const;
  bool empty() const { return conditions_.empty(); }

 private:
  enum class Op { kEq, kNe, kIn, kNin, kGt, kGte, kLt, kLte, kContains };
  struct Condition {
    std::string field;
    Op op;
    Json operand;
  };
  std::vector<Condition> conditions_;
};

}  // namespace lakehouse
