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

bool PayloadFilter::Matches(const Json& payload) const {
  for (const auto& c : conditions_) {
    const Json* found = Find(payload, c);
    if (found == nullptr) return false;
    const Json& v = *found;
    bool ok = false, comparable = false;
    switch (c.op) {
      case Op::kEq:
        ok = Equal(v, c.operand);
        break;
      case Op::kNe:
        ok = !Equal(v, c.operand);
        break;
      case Op::kIn:
      case Op::kNin: {
        bool found = false;
        for (const auto& x : c.operand) found = found || Equal(v, x);
        ok = (c.op == Op::kIn) == found;
        break;
      }
      case Op::kContains:
        if (v.is_array()) {
          for (const auto& x : v) ok = ok || Equal(x, c.operand);
        }
        break;
      case Op::kGt:
        ok = Compare(v, c.operand, comparable) > 0 && comparable;
        break;
      case Op::kGte:
        ok = Compare(v, c.operand, comparable) >= 0 && comparable;
        break;
      case Op::kLt:
        ok = Compare(v, c.operand, comparable) < 0 && comparable;
        break;
      case Op::kLte:
        ok = Compare(v, c.operand, comparable) <= 0 && comparable;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace lakehouse
