#include "vector/payload_filter.h"

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

bool PayloadFilter::Matches(const Json& payload) const {
  for (const auto& c : conditions_) {
    auto it = payload.find(c.field);
    if (it == payload.end()) return false;
    const Json& v = *it;
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
