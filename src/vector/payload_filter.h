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

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "vector/payload_columns.h"

namespace lakehouse {

class PayloadFilter {
  struct Condition;  // defined below

 public:
  //! Compiles a filter object; unknown operators and malformed operands are errors that
  //! name the field ("filter.rating: unknown operator 'between'").
  static Result<PayloadFilter> Compile(const Json& filter);
  bool Matches(const Json& payload) const;

  //! This filter over one index's payload columns: each field resolved and each operand
  //! turned into dictionary codes and numbers once, so Matches(label) compares cells
  //! instead of walking a JSON object (a cell of another shape is compared as JSON, with the
  //! same meaning as Matches(Json)). Valid while the columns do not change.
  class Bound {
   public:
    bool Matches(size_t label) const;

   private:
    friend class PayloadFilter;
    struct Test {
      const Condition* condition;
      int field;
      std::vector<uint32_t> codes;  // string operands' codes (kNoCode: no payload has it)
      std::vector<double> numbers;  // number operands
      std::vector<bool> bools;      // boolean operands
    };
    bool Passes(const Test& t, size_t label) const;
    const PayloadColumns* columns_ = nullptr;
    std::vector<Test> tests_;
    bool never_ = false;  // a condition on a key no payload has
  };
  Bound Bind(const PayloadColumns& columns) const;
  bool empty() const { return conditions_.empty(); }
  size_t size() const { return conditions_.size(); }

  //! An `eq` or `in` condition over strings or booleans: the values an item's field must
  //! hold one of. An index can draw its candidates from posting lists of such a field.
  struct Membership {
    std::string field;
    std::vector<std::string> keys;  // PostingKey of each allowed value, distinct
    size_t condition = 0;           // which condition it is (for Without)
  };
  std::vector<Membership> Memberships() const;
  //! The numeric bounds gt/gte/lt/lte conditions put on a field (inclusive: a superset of
  //! what matches), one per field; an open side is +/- infinity.
  struct Range {
    std::string field;
    double lo, hi;
    std::vector<size_t> conditions;  // the conditions it comes from (for Without)
    bool inclusive = true;           // only gte/lte: exactly the matching numbers
  };
  std::vector<Range> Ranges() const;
  //! This filter without the given conditions (Membership::condition): what is left to
  //! check on candidates drawn from posting lists that already satisfy those exactly.
  PayloadFilter Without(const std::vector<size_t>& conditions) const;
  //! The posting-list key of a string or boolean value ("s<text>", "b0", "b1"); "" for
  //! other types (they are not kept in posting lists).
  static std::string PostingKey(const Json& value);

 private:
  enum class Op { kEq, kNe, kIn, kNin, kGt, kGte, kLt, kLte, kContains };
  struct Condition {
    std::string field;
    Op op;
    Json operand;
    // Where the field was found in the last payload looked at: payloads of one index share
    // their key order, so the next lookup is one comparison instead of a scan of the keys
    // (the filter runs for every node a graph search visits). Racy by design, atomically.
    mutable std::atomic<uint32_t> hint{0};
    Condition(std::string f, Op o, Json v) : field(std::move(f)), op(o), operand(std::move(v)) {}
    Condition(const Condition& c)
        : field(c.field), op(c.op), operand(c.operand), hint(c.hint.load()) {}
    Condition& operator=(const Condition& c) {
      field = c.field;
      op = c.op;
      operand = c.operand;
      hint = c.hint.load();
      return *this;
    }
  };
  static const Json* Find(const Json& payload, const Condition& c);
  //! One condition on a present value.
  static bool Check(const Condition& c, const Json& v);
  std::vector<Condition> conditions_;
};

}  // namespace lakehouse
