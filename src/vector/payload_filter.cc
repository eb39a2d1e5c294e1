#include "vector/payload_filter.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace lakehouse {
namespace {

bool Equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

// Numbers compare as numbers, strings as strings; anything else does not compare.
int Compare(const Json& a, const Json& b, bool& comparable) {
  comparable = true;
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string())
    return a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
  comparable = false;
  return 0;
}

}  // namespace

Result<PayloadFilter> PayloadFilter::Compile(const Json& filter) {
  PayloadFilter f;
  if (filter.is_null()) return f;
  if (!filter.is_object()) return Status::InvalidArgument("filter must be a JSON object");
  for (const auto& [field, cond] : filter.items()) {
    if (!cond.is_object()) {
      if (cond.is_array()) {
        return Status::InvalidArgument(
            fmt::format("filter.{}: use {{\"in\": [...]}} to match one of several values", field));
      }
      f.conditions_.push_back({field, Op::kEq, cond});
      continue;
    }
    if (cond.empty())
      return Status::InvalidArgument(fmt::format("filter.{}: empty condition", field));
    for (const auto& [op, operand] : cond.items()) {
      Op o;
      if (op == "eq")
        o = Op::kEq;
      else if (op == "ne")
        o = Op::kNe;
      else if (op == "in")
        o = Op::kIn;
      else if (op == "nin")
        o = Op::kNin;
      else if (op == "gt")
        o = Op::kGt;
      else if (op == "gte")
        o = Op::kGte;
      else if (op == "lt")
        o = Op::kLt;
      else if (op == "lte")
        o = Op::kLte;
      else if (op == "contains")
        o = Op::kContains;
      else {
        return Status::InvalidArgument(fmt::format(
            "filter.{}: unknown operator '{}' (eq, ne, in, nin, gt, gte, lt, lte, contains)", field,
            op));
      }
      if ((o == Op::kIn || o == Op::kNin) && !operand.is_array()) {
        return Status::InvalidArgument(fmt::format("filter.{}.{} needs an array", field, op));
      }
      if ((o == Op::kGt || o == Op::kGte || o == Op::kLt || o == Op::kLte) &&
          !operand.is_number() && !operand.is_string()) {
        return Status::InvalidArgument(
            fmt::format("filter.{}.{} needs a number or a string", field, op));
      }
      f.conditions_.push_back({field, o, operand});
    }
  }
  return f;
}

std::string PayloadFilter::PostingKey(const Json& v) {
  if (v.is_string()) return "s" + v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "b1" : "b0";
  return "";
}

std::vector<PayloadFilter::Membership> PayloadFilter::Memberships() const {
  std::vector<Membership> out;
  for (size_t ci = 0; ci < conditions_.size(); ++ci) {
    const Condition& c = conditions_[ci];
    if (c.op != Op::kEq && c.op != Op::kIn) continue;
    Membership m{c.field, {}, ci};
    bool indexable = true;
    auto add = [&](const Json& v) {
      std::string key = PostingKey(v);
      if (key.empty()) {
        indexable = false;  // a number may equal an int or a float: not a posting key
      } else if (std::find(m.keys.begin(), m.keys.end(), key) == m.keys.end()) {
        m.keys.push_back(std::move(key));
      }
    };
    if (c.op == Op::kEq) {
      add(c.operand);
    } else {
      for (const auto& v : c.operand) add(v);
    }
    if (indexable) out.push_back(std::move(m));
  }
  return out;
}

PayloadFilter PayloadFilter::Without(const std::vector<size_t>& conditions) const {
  PayloadFilter out;
  for (size_t i = 0; i < conditions_.size(); ++i)
    if (std::find(conditions.begin(), conditions.end(), i) == conditions.end())
      out.conditions_.push_back(conditions_[i]);
  return out;
}

std::vector<PayloadFilter::Range> PayloadFilter::Ranges() const {
  std::vector<Range> out;
  for (size_t ci = 0; ci < conditions_.size(); ++ci) {
    const Condition& c = conditions_[ci];
    const bool lower = c.op == Op::kGt || c.op == Op::kGte;
    const bool upper = c.op == Op::kLt || c.op == Op::kLte;
    if ((!lower && !upper) || !c.operand.is_number()) continue;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const Range& r) { return r.field == c.field; });
    if (it == out.end()) {
      out.push_back({c.field,
                     -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::infinity(),
                     {},
                     true});
      it = out.end() - 1;
    }
    const double v = c.operand.get<double>();
    if (lower) it->lo = std::max(it->lo, v);
    if (upper) it->hi = std::min(it->hi, v);
    it->conditions.push_back(ci);
    it->inclusive = it->inclusive && (c.op == Op::kGte || c.op == Op::kLte);
  }
  return out;
}

const Json* PayloadFilter::Find(const Json& payload, const Condition& c) {
  if (!payload.is_object()) return nullptr;
  const auto& obj = payload.get_ref<const Json::object_t&>();
  const uint32_t h = c.hint.load(std::memory_order_relaxed);
  // ordered_map is a std::vector of (key, value) pairs: index it as one.
  const auto begin = obj.begin();
  if (h < obj.size() && begin[h].first == c.field) return &begin[h].second;
  for (size_t i = 0; i < obj.size(); ++i) {
    if (begin[i].first == c.field) {
      c.hint.store(static_cast<uint32_t>(i), std::memory_order_relaxed);
      return &begin[i].second;
    }
  }
  return nullptr;
}

bool PayloadFilter::Check(const Condition& c, const Json& v) {
  bool ok = false, comparable = false;
  switch (c.op) {
    case Op::kEq:
      return Equal(v, c.operand);
    case Op::kNe:
      return !Equal(v, c.operand);
    case Op::kIn:
    case Op::kNin: {
      bool found = false;
      for (const auto& x : c.operand) found = found || Equal(v, x);
      return (c.op == Op::kIn) == found;
    }
    case Op::kContains:
      if (v.is_array()) {
        for (const auto& x : v) ok = ok || Equal(x, c.operand);
      }
      return ok;
    case Op::kGt:
      return Compare(v, c.operand, comparable) > 0 && comparable;
    case Op::kGte:
      return Compare(v, c.operand, comparable) >= 0 && comparable;
    case Op::kLt:
      return Compare(v, c.operand, comparable) < 0 && comparable;
    case Op::kLte:
      return Compare(v, c.operand, comparable) <= 0 && comparable;
  }
  return false;
}

bool PayloadFilter::Matches(const Json& payload) const {
  for (const auto& c : conditions_) {
    const Json* found = Find(payload, c);
    if (found == nullptr || !Check(c, *found)) return false;
  }
  return true;
}

PayloadFilter::Bound PayloadFilter::Bind(const PayloadColumns& columns) const {
  Bound b;
  b.columns_ = &columns;
  for (const auto& c : conditions_) {
    Bound::Test t{&c, columns.Field(c.field), {}, {}, {}};
    if (t.field < 0) {
      b.never_ = true;  // every payload misses the key: nothing matches
      break;
    }
    auto add = [&](const Json& v) {
      if (v.is_string()) t.codes.push_back(columns.Code(t.field, v.get_ref<const std::string&>()));
      if (v.is_number()) t.numbers.push_back(v.get<double>());
      if (v.is_boolean()) t.bools.push_back(v.get<bool>());
    };
    if (c.operand.is_array() && (c.op == Op::kIn || c.op == Op::kNin)) {
      for (const auto& v : c.operand) add(v);
    } else {
      add(c.operand);
    }
    b.tests_.push_back(std::move(t));
  }
  return b;
}

bool PayloadFilter::Bound::Passes(const Test& t, size_t label) const {
  using Kind = PayloadColumns::Kind;
  const auto cell = columns_->At(t.field, label);
  if (cell.kind == Kind::kMissing) return false;
  const Op op = t.condition->op;
  const bool membership = op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kNin;
  // Fast paths: a string, number or boolean cell against operands of any kind (a value of
  // one kind never equals one of another, and numbers compare as doubles, as in Equal).
  if (membership && (cell.kind == Kind::kString || PayloadColumns::IsNumber(cell) ||
                     cell.kind == Kind::kTrue || cell.kind == Kind::kFalse)) {
    bool found = false;
    if (cell.kind == Kind::kString) {
      found = std::find(t.codes.begin(), t.codes.end(), static_cast<uint32_t>(cell.bits)) !=
              t.codes.end();
    } else if (PayloadColumns::IsNumber(cell)) {
      found = std::find(t.numbers.begin(), t.numbers.end(), PayloadColumns::Number(cell)) !=
              t.numbers.end();
    } else {
      found = std::find(t.bools.begin(), t.bools.end(), cell.kind == Kind::kTrue) != t.bools.end();
    }
    return (op == Op::kEq || op == Op::kIn) == found;
  }
  if ((op == Op::kGt || op == Op::kGte || op == Op::kLt || op == Op::kLte) &&
      PayloadColumns::IsNumber(cell)) {
    if (t.numbers.empty()) return false;  // a number compares with numbers only
    const double x = PayloadColumns::Number(cell), y = t.numbers[0];
    return op == Op::kGt ? x > y : op == Op::kGte ? x >= y : op == Op::kLt ? x < y : x <= y;
  }
  if (op == Op::kContains && cell.kind == Kind::kStrings) {
    if (t.codes.empty()) return false;  // a list of strings holds strings only
    auto [codes, n] = columns_->Strings(t.field, cell);
    return std::find(codes, codes + n, t.codes[0]) != codes + n;
  }
  return Check(*t.condition, columns_->Value(t.field, cell));
}

bool PayloadFilter::Bound::Matches(size_t label) const {
  if (never_) return false;
  for (const auto& t : tests_)
    if (!Passes(t, label)) return false;
  return true;
}

}  // namespace lakehouse
