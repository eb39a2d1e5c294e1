#include "vector/postings.h"

#include <algorithm>
#include <functional>
#include <limits>

namespace lakehouse {

const Postings::FieldPostings& Postings::Field(const std::string& field,
                                               const SideStore& store) const {
  auto [it, built] = fields_.try_emplace(field);
  FieldPostings& fp = it->second;
  if (!built) return fp;
  using Kind = PayloadColumns::Kind;
  const PayloadColumns& columns = store.payloads();
  const int f = columns.Field(field);
  if (f < 0) return fp;  // no payload has it: empty lists
  for (const auto& [label, e] : store.entries()) {
    const auto cell = columns.At(f, label);
    if (PayloadColumns::IsNumber(cell)) {
      fp.numbers.emplace_back(PayloadColumns::Number(cell), label);
      continue;
    }
    if (!fp.lists_usable) continue;
    if (cell.kind != Kind::kString && cell.kind != Kind::kTrue && cell.kind != Kind::kFalse)
      continue;  // arrays, objects, null: never equal to a listed value
    std::string key = PayloadFilter::PostingKey(columns.Value(f, cell));
    fp.lists[std::move(key)].push_back(label);
    if (fp.lists.size() > kMaxValues) {
      fp.lists_usable = false;
      fp.lists.clear();
    }
  }
  std::sort(fp.numbers.begin(), fp.numbers.end());
  return fp;
}

std::optional<Postings::CandidateSet> Postings::Candidates(const PayloadFilter& filter,
                                                           const SideStore& store) const {
  if (store.size() < kMinItems) return std::nullopt;
  const auto memberships = filter.Memberships();
  const auto ranges = filter.Ranges();
  if (memberships.empty() && ranges.empty()) return std::nullopt;
  MutexLock lock(mu_);
  if (seq_ != store.seq()) {
    fields_.clear();
    seq_ = store.seq();
  }
  // Each usable condition is a candidate set: its size now, its labels when asked.
  struct Set {
    size_t size;
    std::function<void(std::vector<size_t>&)> labels;
    std::vector<size_t> exact;  // the conditions every label of the set satisfies
  };
  std::vector<Set> sets;
  for (const auto& m : memberships) {
    const FieldPostings& fp = Field(m.field, store);
    if (!fp.lists_usable) continue;
    std::vector<const std::vector<size_t>*> lists;
    size_t size = 0;
    for (const auto& key : m.keys) {
      if (auto l = fp.lists.find(key); l != fp.lists.end()) {
        lists.push_back(&l->second);
        size += l->second.size();
      }
    }
    sets.push_back({size,
                    [lists](std::vector<size_t>& out) {
                      for (const auto* l : lists) out.insert(out.end(), l->begin(), l->end());
                    },
                    {m.condition}});
  }
  for (const auto& r : ranges) {
    const FieldPostings& fp = Field(r.field, store);
    if (fp.numbers.empty()) continue;
    auto lo =
        std::lower_bound(fp.numbers.begin(), fp.numbers.end(), std::make_pair(r.lo, size_t{0}));
    auto hi = std::upper_bound(fp.numbers.begin(), fp.numbers.end(),
                               std::make_pair(r.hi, std::numeric_limits<size_t>::max()));
    if (hi < lo) hi = lo;
    sets.push_back({static_cast<size_t>(hi - lo),
                    [lo, hi](std::vector<size_t>& out) {
                      for (auto i = lo; i != hi; ++i) out.push_back(i->second);
                    },
                    // gte/lte bounds select exactly the matching numbers; gt/lt a superset
                    r.inclusive ? r.conditions : std::vector<size_t>{}});
  }
  if (sets.empty()) return std::nullopt;
  std::sort(sets.begin(), sets.end(), [](const Set& a, const Set& b) { return a.size < b.size; });
  CandidateSet out;
  std::vector<size_t>& labels = out.labels;
  labels.reserve(sets[0].size);
  sets[0].labels(labels);
  out.exact_conditions = sets[0].exact;
  // Narrow by each next set while that stays cheap (a bitmap pass costs the set's size):
  // role ∩ latitude band ∩ longitude band leaves a place's few workers of a role, where
  // the first set alone would have every worker of the role checked against the payload.
  std::vector<bool> keep;
  for (size_t i = 1; i < sets.size() && labels.size() > 64; ++i) {
    if (sets[i].size > 64 * labels.size()) break;  // sorted by size: the rest are bigger
    keep.assign(store.label_bound(), false);
    for (size_t l : labels) keep[l] = true;
    std::vector<size_t> other;
    other.reserve(sets[i].size);
    sets[i].labels(other);
    labels.clear();
    for (size_t l : other)
      if (l < keep.size() && keep[l]) labels.push_back(l);
    out.exact_conditions.insert(out.exact_conditions.end(), sets[i].exact.begin(),
                                sets[i].exact.end());
  }
  return out;
}

}  // namespace lakehouse
