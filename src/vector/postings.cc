#include "vector/postings.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <span>

namespace lakehouse {
namespace {

// One bit per label below `bound`, set for each of `labels`: dense lists, and the labels a
// narrowing keeps.
std::vector<uint64_t> LabelBits(std::span<const size_t> labels, size_t bound) {
  std::vector<uint64_t> bits((bound + 63) / 64, 0);
  for (size_t l : labels)
    if (l < bound) bits[l >> 6] |= uint64_t{1} << (l & 63);
  return bits;
}

// 1 when `label`'s bit is set (a value to add, not a branch to take).
uint64_t Bit(const std::vector<uint64_t>& bits, size_t label) {
  return bits[label >> 6] >> (label & 63) & 1;
}

}  // namespace

const Postings::FieldPostings& Postings::Field(const std::string& field,
                                               const SideStore& store) const {
  auto [it, built] = fields_.try_emplace(field);
  FieldPostings& fp = it->second;
  if (!built) return fp;
  using Kind = PayloadColumns::Kind;
  const PayloadColumns& columns = store.payloads();
  const int f = columns.Field(field);
  if (f < 0) return fp;  // no payload has it: empty lists
  // A deleted item's cells are kMissing, so the column's cells are the live items'.
  const size_t extent = columns.Extent(f);
  // A listable value's slot: a string's dictionary code, then false and true.
  const size_t codes = columns.DictionarySize(f);
  auto slot = [codes](PayloadColumns::Cell cell) -> std::optional<size_t> {
    if (cell.kind == Kind::kString) return cell.bits;
    if (cell.kind == Kind::kFalse || cell.kind == Kind::kTrue)
      return codes + (cell.kind == Kind::kTrue);
    return std::nullopt;  // numbers (below); arrays, objects, null: never equal to a listed value
  };
  // Pass 1: how many items hold each value, and the numbers.
  std::vector<uint32_t> per_slot(codes + 2, 0);
  std::vector<std::pair<double, size_t>> numbers;  // (value, label)
  for (size_t label = 0; label < extent; ++label) {
    const auto cell = columns.At(f, label);
    if (const auto s = slot(cell)) {
      ++per_slot[*s];
    } else if (PayloadColumns::IsNumber(cell)) {
      numbers.emplace_back(PayloadColumns::Number(cell), label);
    }
  }
  std::sort(numbers.begin(), numbers.end());
  fp.values.reserve(numbers.size());
  fp.value_labels.reserve(numbers.size());
  for (const auto& [value, label] : numbers) {
    fp.values.push_back(value);
    fp.value_labels.push_back(label);
  }
  const auto values = static_cast<size_t>(
      std::count_if(per_slot.begin(), per_slot.end(), [](uint32_t n) { return n > 0; }));
  if (values > kMaxValues) {
    fp.lists_usable = false;
    return fp;
  }
  // Pass 2: each value's labels, ascending.
  std::vector<std::vector<size_t>*> lists(per_slot.size(), nullptr);
  for (size_t s = 0; s < per_slot.size(); ++s) {
    if (per_slot[s] == 0) continue;
    const Json value =
        s < codes ? Json(columns.String(f, static_cast<uint32_t>(s))) : Json(s == codes + 1);
    lists[s] = &fp.lists[PayloadFilter::PostingKey(value)];
    lists[s]->reserve(per_slot[s]);
  }
  for (size_t label = 0; label < extent; ++label)
    if (const auto s = slot(columns.At(f, label))) lists[*s]->push_back(label);
  for (const auto& [key, labels] : fp.lists)  // the label bound covers every field's lists
    if (labels.size() * kDenseShare >= store.size())
      fp.dense[key] = LabelBits(labels, store.label_bound());
  return fp;
}

void Postings::Refresh(const SideStore& store) const {
  if (seq_ == store.seq()) return;
  fields_.clear();
  seq_ = store.seq();
}

void Postings::Warm(const SideStore& store) const {
  if (store.size() < kMinItems) return;
  MutexLock lock(mu_);
  Refresh(store);
  const PayloadColumns& columns = store.payloads();
  for (int f = 0; f < static_cast<int>(columns.FieldCount()); ++f) Field(columns.Key(f), store);
}

std::optional<Postings::CandidateSet> Postings::Candidates(const PayloadFilter& filter,
                                                           const SideStore& store) const {
  if (store.size() < kMinItems) return std::nullopt;
  const auto memberships = filter.Memberships();
  const auto ranges = filter.Ranges();
  if (memberships.empty() && ranges.empty()) return std::nullopt;
  MutexLock lock(mu_);
  Refresh(store);
  // Each usable condition is a candidate set: spans of labels (posting lists, or a range of
  // a field's sorted numbers), read in place.
  struct Set {
    size_t size = 0;
    std::vector<std::span<const size_t>> spans;
    std::vector<size_t> exact;  // the conditions every label of the set satisfies
    // A membership whose every list is dense: its bitmaps (a label is in the set when it is
    // in one of them).
    std::vector<const std::vector<uint64_t>*> bitmaps;
  };
  std::vector<Set> sets;
  for (const auto& m : memberships) {
    const FieldPostings& fp = Field(m.field, store);
    if (!fp.lists_usable) continue;
    Set set;
    bool all_dense = true;
    for (const auto& key : m.keys) {
      if (auto l = fp.lists.find(key); l != fp.lists.end()) {
        set.spans.emplace_back(l->second);
        set.size += l->second.size();
        if (auto d = fp.dense.find(key); d != fp.dense.end()) {
          set.bitmaps.push_back(&d->second);
        } else {
          all_dense = false;
        }
      }
    }
    if (!all_dense) set.bitmaps.clear();
    set.exact = {m.condition};
    sets.push_back(std::move(set));
  }
  for (const auto& r : ranges) {
    const FieldPostings& fp = Field(r.field, store);
    if (fp.values.empty()) continue;
    const auto lo = std::lower_bound(fp.values.begin(), fp.values.end(), r.lo);
    const auto hi = std::max(lo, std::upper_bound(fp.values.begin(), fp.values.end(), r.hi));
    Set set;
    set.size = static_cast<size_t>(hi - lo);
    set.spans.emplace_back(fp.value_labels.data() + (lo - fp.values.begin()), set.size);
    // gte/lte bounds select exactly the matching numbers; gt/lt a superset
    if (r.inclusive) set.exact = r.conditions;
    sets.push_back(std::move(set));
  }
  if (sets.empty()) return std::nullopt;
  std::sort(sets.begin(), sets.end(), [](const Set& a, const Set& b) { return a.size < b.size; });
  // After the smallest, the dense memberships narrow last: their cost is a bit test per
  // label left, so they come after the sets that leave fewer.
  std::stable_partition(sets.begin() + 1, sets.end(),
                        [](const Set& set) { return set.bitmaps.empty(); });
  CandidateSet out;
  std::vector<size_t>& labels = out.labels;
  labels.reserve(sets[0].size);
  for (const auto& span : sets[0].spans) labels.insert(labels.end(), span.begin(), span.end());
  out.exact_conditions = sets[0].exact;
  // Narrow by each next set while that stays cheap (a bitmap pass costs the set's size):
  // role ∩ longitude band ∩ latitude band leaves a place's few workers of a role, where the
  // first set alone would have every worker of the role checked against the payload. A set
  // much bigger than what is left is not read: the exact scan checks its condition on the
  // few labels' cells instead.
  const size_t bound = store.label_bound();
  std::vector<uint64_t> bits;  // one bit per label
  std::vector<size_t> next;
  for (size_t i = 1; i < sets.size(); ++i) {
    if (!sets[i].bitmaps.empty()) {
      // A dense membership: a bit test per label left, in place (labels stay in order).
      size_t kept = 0;
      for (size_t l : labels) {
        labels[kept] = l;
        uint64_t in = 0;
        for (const auto* bm : sets[i].bitmaps) in |= Bit(*bm, l);
        kept += in;
      }
      labels.resize(kept);
      out.exact_conditions.insert(out.exact_conditions.end(), sets[i].exact.begin(),
                                  sets[i].exact.end());
      continue;
    }
    // A set much bigger than what is left is not read (the next may be a dense one).
    if (labels.size() <= 64 || sets[i].size > kNarrowRatio * labels.size()) continue;
    bits = LabelBits(labels, bound);
    // Without a branch per label (which one passes is unpredictable): each is written, and
    // kept by advancing past it when its bit is set. Postings are rebuilt whenever the store
    // changes, so their labels are below `bound`.
    next.resize(sets[i].size);
    size_t kept = 0;
    for (const auto& span : sets[i].spans)
      for (size_t l : span) {
        next[kept] = l;
        kept += Bit(bits, l);
      }
    next.resize(kept);
    labels.swap(next);
    out.exact_conditions.insert(out.exact_conditions.end(), sets[i].exact.begin(),
                                sets[i].exact.end());
  }
  // Ascending (a range's labels come in value order): the exact scan then reads rows in
  // order without sorting them.
  if (std::adjacent_find(labels.begin(), labels.end(), std::greater_equal<>()) != labels.end()) {
    bits = LabelBits(labels, bound);
    labels.clear();
    for (size_t w = 0; w < bits.size(); ++w)
      for (uint64_t word = bits[w]; word != 0; word &= word - 1)
        labels.push_back(w * 64 + static_cast<size_t>(std::countr_zero(word)));
  }
  return out;
}

}  // namespace lakehouse
