#include "validate/roster.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <future>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/text.h"
#include "query/sql_text.h"
#include "validate/fill_status.h"
#include "validate/text_scan.h"

namespace lakehouse {
namespace {

// FNV-1a over the ASCII-lowercased bytes: no allocation (it runs twice per worker at load,
// and per token when the Email validator scans a body). In-memory keys only.
constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
uint64_t HashLowerInto(uint64_t h, std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    h ^= (u >= 'A' && u <= 'Z') ? u + 32 : u;
    h *= 1099511628211ULL;
  }
  return h;
}
uint64_t HashLower(std::string_view s) {
  return HashLowerInto(kFnvOffset, s);
}
uint32_t EmailKey(std::string_view s) {
  return static_cast<uint32_t>(HashLower(s) >> 32);
}

// Sorts (key, worker) pairs by key and splits them into two parallel arrays.
template <typename K>
void BuildIndex(std::vector<std::pair<K, uint32_t>> pairs, std::vector<K>& keys,
                std::vector<uint32_t>& workers) {
  std::sort(pairs.begin(), pairs.end());
  keys.reserve(pairs.size());
  workers.reserve(pairs.size());
  for (const auto& [k, w] : pairs) {
    keys.push_back(k);
    workers.push_back(w);
  }
}

// The key of lower-case "first last".
uint64_t NameKey(std::string_view first, std::string_view last) {
  return HashLowerInto(HashLowerInto(HashLowerInto(kFnvOffset, first), " "), last);
}

// One row of a typed scan (query/scan.h), read the way the roster reads every dataset: a
// missing or odd value is "", the fallback number, false, no list, day 0.
struct Row {
  const ScanBatch& b;
  size_t i;
  std::string_view Str(size_t c) const { return b[c].String(i); }
  double Num(size_t c, double fallback = 0) const { return b[c].Number(i).value_or(fallback); }
  bool Bool(size_t c) const { return b[c].Bool(i); }
  std::vector<std::string_view> StrList(size_t c) const { return b[c].StringList(i); }
  int32_t Day(size_t c) const { return b[c].Day(i).value_or(0); }
};

// Runs `sql` over the engine and calls `row` with each row, chunk by chunk, until `*stop`
// (when given) turns true.
Status ScanRows(QueryEngine& query, const std::string& sql, const std::string& dataset,
                const std::function<void(const Row&)>& row, const bool* stop = nullptr) {
  bool stopped = false;
  auto r = query.Scan(sql, ScanOptions{}, [&](const ScanBatch& batch) {
    for (size_t i = 0; i < batch.rows(); ++i) {
      row(Row{batch, i});
      if (stop != nullptr && *stop) {
        stopped = true;
        return Status::Conflict("stopped by the reader");
      }
    }
    return Status::OK();
  });
  if (!r.ok() && !stopped) return r.status().WithContext("roster: loading dataset " + dataset);
  return Status::OK();
}

size_t StringBytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

template <typename T>
size_t VecBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

std::string_view ShiftName(ShiftKind s) {
  switch (s) {
    case ShiftKind::kDay:
      return "day";
    case ShiftKind::kNight:
      return "night";
    case ShiftKind::kSwing:
      return "swing";
    case ShiftKind::kAny:
      return "any";
    case ShiftKind::kOther:
      break;
  }
  return "other";
}

ShiftKind ParseShift(std::string_view s) {
  if (s == "day") return ShiftKind::kDay;
  if (s == "night") return ShiftKind::kNight;
  if (s == "swing") return ShiftKind::kSwing;
  if (s == "any") return ShiftKind::kAny;
  return ShiftKind::kOther;
}

std::string_view WorkerStatusName(WorkerStatus s) {
  switch (s) {
    case WorkerStatus::kActive:
      return "active";
    case WorkerStatus::kInactive:
      return "inactive";
    case WorkerStatus::kDnr:
      return "dnr";
    case WorkerStatus::kOther:
      break;
  }
  return "other";
}

uint32_t StringPool::Intern(std::string_view s) {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  strings_.emplace_back(s);
  const auto id = static_cast<uint32_t>(strings_.size() - 1);
  ids_.emplace(strings_.back(), id);
  return id;
}

std::optional<uint32_t> StringPool::Find(std::string_view s) const {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  return std::nullopt;
}

size_t StringPool::Bytes() const {
  size_t b = ids_.bucket_count() * sizeof(void*) + ids_.size() * (sizeof(void*) * 2 + 24);
  for (const auto& s : strings_) b += sizeof(std::string) + StringBytes(s);
  return b;
}

uint64_t Roster::PhoneDigits(std::string_view phone) {
  return textscan::PhoneDigits(phone);
}

std::string_view Roster::ArenaString(uint32_t off) const {
  uint16_t len;
  std::memcpy(&len, arena_.data() + off, sizeof(len));
  return std::string_view(arena_.data() + off + sizeof(len), len);
}

std::optional<uint32_t> Roster::FindWorker(std::string_view worker_id) const {
  auto it =
      std::lower_bound(worker_id_off_.begin(), worker_id_off_.end(), worker_id,
                       [this](uint32_t off, std::string_view id) { return ArenaString(off) < id; });
  if (it == worker_id_off_.end() || ArenaString(*it) != worker_id) return std::nullopt;
  return static_cast<uint32_t>(it - worker_id_off_.begin());
}

WorkerView Roster::Worker(uint32_t i) const {
  WorkerView w;
  w.index = i;
  w.worker_id = ArenaString(worker_id_off_[i]);
  w.email = ArenaString(email_off_[i]);
  w.first_name = names_.Get(first_[i]);
  w.last_name = names_.Get(last_[i]);
  w.role = roles_.Get(role_[i]);
  w.city = cities_.Get(city_[i]);
  w.state = states_.Get(state_[i]);
  w.shift = static_cast<ShiftKind>(shift_[i]);
  w.available = available_[i] != 0;
  w.status = static_cast<WorkerStatus>(status_[i]);
  w.rating = rating_[i];
  w.reliability = reliability_[i];
  w.pay_rate = pay_rate_[i];
  w.lat = lat_[i];
  w.lon = lon_[i];
  w.years_experience = years_[i];
  return w;
}

std::span<const uint16_t> Roster::Certifications(uint32_t i) const {
  return std::span<const uint16_t>(cert_ids_.data() + cert_begin_[i],
                                   cert_begin_[i + 1] - cert_begin_[i]);
}

bool Roster::HasCertification(uint32_t i, std::string_view cert) const {
  auto id = certs_.Find(cert);
  if (!id) return false;
  for (uint16_t c : Certifications(i))
    if (c == *id) return true;
  return false;
}

const OrderRecord* Roster::FindOrder(std::string_view order_id) const {
  auto it =
      std::lower_bound(orders_.begin(), orders_.end(), order_id,
                       [](const OrderRecord& o, std::string_view id) { return o.order_id < id; });
  if (it == orders_.end() || it->order_id != order_id) return nullptr;
  return &*it;
}

std::vector<FillRecord> Roster::FillsOfWorker(uint32_t i) const {
  if (live_ != nullptr) return live_->PlacementsOf(WorkerIdOf(i), i);
  auto lo = std::lower_bound(fills_.begin(), fills_.end(), i,
                             [](const FillRecord& f, uint32_t w) { return f.worker < w; });
  auto hi = std::upper_bound(lo, fills_.end(), i,
                             [](uint32_t w, const FillRecord& f) { return w < f.worker; });
  return std::vector<FillRecord>(lo, hi);
}

int64_t Roster::FilledCount(std::string_view order_id, std::vector<std::string>* fill_ids) const {
  if (live_ != nullptr) return live_->FilledCount(order_id, fill_ids);
  auto it = filled_count_.find(std::string(order_id));
  if (it == filled_count_.end()) return 0;
  if (fill_ids != nullptr) {
    std::set<std::string> ids;
    for (const FillRecord& f : fills_)
      if (f.order_id == order_id && f.active) ids.insert(f.fill_id);
    fill_ids->assign(ids.begin(), ids.end());
  }
  return it->second;
}

std::span<const uint32_t> Roster::WorkersWithRole(std::string_view role) const {
  auto id = roles_.Find(role);
  if (!id) return {};
  return std::span<const uint32_t>(role_workers_.data() + role_begin_[*id],
                                   role_begin_[*id + 1] - role_begin_[*id]);
}

Roster::RoleBand Roster::WorkersWithRoleBetween(std::string_view role, double lat_lo,
                                                double lat_hi) const {
  auto id = roles_.Find(role);
  if (!id || !(lat_lo <= lat_hi)) return {};
  const auto begin = role_lat_.begin() + role_begin_[*id],
             end = role_lat_.begin() + role_begin_[*id + 1];
  const size_t lo = static_cast<size_t>(
      std::lower_bound(begin, end, lat_lo, [](float a, double b) { return a < b; }) -
      role_lat_.begin());
  const size_t hi = static_cast<size_t>(
      std::upper_bound(begin, end, lat_hi, [](double a, float b) { return a < b; }) -
      role_lat_.begin());
  const size_t n = hi - lo;
  return RoleBand{std::span<const uint32_t>(role_workers_.data() + lo, n),
                  std::span<const float>(role_lat_.data() + lo, n),
                  std::span<const float>(role_lon_.data() + lo, n)};
}

std::optional<uint32_t> Roster::WorkerByEmail(std::string_view email) const {
  const uint32_t key = EmailKey(email);
  auto [lo, hi] = std::equal_range(email_keys_.begin(), email_keys_.end(), key);
  for (auto it = lo; it != hi; ++it) {
    const uint32_t w = email_workers_[static_cast<size_t>(it - email_keys_.begin())];
    if (EqualsIgnoreCase(ArenaString(email_off_[w]), email)) return w;
  }
  return std::nullopt;
}

std::vector<uint32_t> Roster::WorkersByPhone(uint64_t digits) const {
  std::vector<uint32_t> out;
  auto [lo, hi] = std::equal_range(phone_keys_.begin(), phone_keys_.end(), digits);
  for (auto it = lo; it != hi; ++it)
    out.push_back(phone_workers_[static_cast<size_t>(it - phone_keys_.begin())]);
  return out;
}

bool Roster::IsWorkerName(std::string_view first, std::string_view last) const {
  return std::binary_search(name_pairs_.begin(), name_pairs_.end(), NameKey(first, last));
}

// Builds a Roster from the three datasets; a friend so it can fill the columns.
struct RosterBuilder {
  //! `ordered`: let DuckDB sort by worker_id. Without it, the rows come in file order
  //! (DuckDB preserves insertion order), which is worker_id order for every dataset we
  //! write; the first row out of order stops the scan with *out_of_order set, and the
  //! caller loads again with `ordered` (sorting 500k rows is a third of the load).
  static Status Workers(Roster& r, QueryEngine& q, size_t expected_rows, bool ordered,
                        bool* out_of_order) {
    // Sized once from the manifest's row count: no doubling, no transient garbage.
    for (auto* v : {&r.worker_id_off_, &r.email_off_, &r.first_, &r.last_, &r.city_})
      v->reserve(expected_rows);
    r.cert_begin_.reserve(expected_rows + 1);
    for (auto* v : {&r.role_, &r.state_}) v->reserve(expected_rows);
    for (auto* v : {&r.shift_, &r.status_, &r.available_, &r.years_}) v->reserve(expected_rows);
    for (auto* v : {&r.rating_, &r.reliability_, &r.pay_rate_, &r.lat_, &r.lon_})
      v->reserve(expected_rows);
    r.arena_.reserve(expected_rows * 44);
    r.name_pairs_.reserve(expected_rows);
    auto put = [&r](std::string_view s) {
      const auto off = static_cast<uint32_t>(r.arena_.size());
      const auto len = static_cast<uint16_t>(std::min<size_t>(s.size(), UINT16_MAX));
      r.arena_.append(reinterpret_cast<const char*>(&len), sizeof(len));
      r.arena_.append(s.substr(0, len));
      return off;
    };
    std::string last_id;
    std::vector<std::pair<uint32_t, uint32_t>> emails;
    std::vector<std::pair<uint64_t, uint32_t>> phones;
    emails.reserve(expected_rows);
    phones.reserve(expected_rows);
    r.cert_begin_.push_back(0);
    std::string sql =
        "SELECT worker_id, first_name, last_name, email, phone, role, certifications, city, "
        "state, lat, lon, shift_pref, available, status, rating, reliability, pay_rate, "
        "years_experience FROM workers";
    if (ordered) sql += " ORDER BY worker_id";
    LH_RETURN_IF_ERROR(ScanRows(
        q, sql, "workers",
        [&](const Row& c) {
          const std::string_view id = c.Str(0);
          if (!id.empty() && id < last_id) {
            *out_of_order = true;
            return;
          }
          if (id.empty() || id == last_id) {
            ++r.stats_.skipped_rows;
            spdlog::warn("roster: skipping a workers row with {} worker_id '{}'",
                         id.empty() ? "no" : "a duplicate", id);
            return;
          }
          last_id = id;
          const auto index = static_cast<uint32_t>(r.worker_id_off_.size());
          r.worker_id_off_.push_back(put(id));
          const std::string_view email = c.Str(3);
          r.email_off_.push_back(put(email));
          const std::string_view first = c.Str(1), last = c.Str(2);
          r.first_.push_back(r.names_.Intern(first));
          r.last_.push_back(r.names_.Intern(last));
          if (!first.empty() && !last.empty()) r.name_pairs_.push_back(NameKey(first, last));
          if (!email.empty()) emails.emplace_back(EmailKey(email), index);
          if (uint64_t phone = Roster::PhoneDigits(c.Str(4))) phones.emplace_back(phone, index);
          r.role_.push_back(static_cast<uint16_t>(r.roles_.Intern(c.Str(5))));
          for (std::string_view cert : c.StrList(6))
            r.cert_ids_.push_back(static_cast<uint16_t>(r.certs_.Intern(cert)));
          r.cert_begin_.push_back(static_cast<uint32_t>(r.cert_ids_.size()));
          r.city_.push_back(r.cities_.Intern(c.Str(7)));
          r.state_.push_back(static_cast<uint16_t>(r.states_.Intern(c.Str(8))));
          r.lat_.push_back(static_cast<float>(c.Num(9, std::nan(""))));
          r.lon_.push_back(static_cast<float>(c.Num(10, std::nan(""))));
          r.shift_.push_back(static_cast<uint8_t>(ParseShift(c.Str(11))));
          r.available_.push_back(c.Bool(12) ? 1 : 0);
          const std::string_view status = c.Str(13);
          r.status_.push_back(static_cast<uint8_t>(status == "active"     ? WorkerStatus::kActive
                                                   : status == "inactive" ? WorkerStatus::kInactive
                                                   : status == "dnr"      ? WorkerStatus::kDnr
                                                                          : WorkerStatus::kOther));
          r.rating_.push_back(static_cast<float>(c.Num(14)));
          r.reliability_.push_back(static_cast<float>(c.Num(15)));
          r.pay_rate_.push_back(static_cast<float>(c.Num(16)));
          r.years_.push_back(static_cast<uint8_t>(std::clamp(c.Num(17), 0.0, 255.0)));
        },
        out_of_order));
    if (*out_of_order) return Status::OK();
    if (r.roles_.size() > UINT16_MAX || r.certs_.size() > UINT16_MAX ||
        r.states_.size() > UINT16_MAX)
      return Status::InvalidArgument(
          "roster: more than 65535 distinct roles, states or certifications");
    // The three key sorts are independent, and the scan's threads are done: run them side
    // by side.
    auto names = std::async(std::launch::async, [&r] {
      std::sort(r.name_pairs_.begin(), r.name_pairs_.end());
      r.name_pairs_.erase(std::unique(r.name_pairs_.begin(), r.name_pairs_.end()),
                          r.name_pairs_.end());
    });
    auto by_phone = std::async(std::launch::async, [&] {
      BuildIndex(std::move(phones), r.phone_keys_, r.phone_workers_);
    });
    BuildIndex(std::move(emails), r.email_keys_, r.email_workers_);
    names.get();
    by_phone.get();
    // Workers of each role: a counting sort into one array.
    r.role_begin_.assign(r.roles_.size() + 1, 0);
    for (uint16_t role : r.role_) ++r.role_begin_[role + 1];
    for (size_t i = 1; i < r.role_begin_.size(); ++i) r.role_begin_[i] += r.role_begin_[i - 1];
    r.role_workers_.resize(r.role_.size());
    std::vector<uint32_t> next(r.role_begin_.begin(), r.role_begin_.end() - 1);
    for (uint32_t i = 0; i < r.role_.size(); ++i) r.role_workers_[next[r.role_[i]]++] = i;
    // Within each role by latitude (workers without coordinates last).
    auto lat_key = [&](uint32_t w) {
      return std::isnan(r.lat_[w]) || std::isnan(r.lon_[w]) ? std::numeric_limits<float>::infinity()
                                                            : r.lat_[w];
    };
    for (size_t role = 0; role + 1 < r.role_begin_.size(); ++role) {
      std::sort(r.role_workers_.begin() + r.role_begin_[role],
                r.role_workers_.begin() + r.role_begin_[role + 1], [&](uint32_t a, uint32_t b) {
                  const float ka = lat_key(a), kb = lat_key(b);
                  return ka != kb ? ka < kb : a < b;
                });
    }
    r.role_lat_.resize(r.role_workers_.size());
    r.role_lon_.resize(r.role_workers_.size());
    for (size_t k = 0; k < r.role_workers_.size(); ++k) {
      r.role_lat_[k] = lat_key(r.role_workers_[k]);
      r.role_lon_[k] = r.lon_[r.role_workers_[k]];
    }
    // Growth by doubling leaves up to half of each buffer unused: give it back.
    r.arena_.shrink_to_fit();
    r.name_pairs_.shrink_to_fit();
    for (auto* v :
         {&r.worker_id_off_, &r.email_off_, &r.first_, &r.last_, &r.city_, &r.cert_begin_})
      v->shrink_to_fit();
    for (auto* v : {&r.role_, &r.state_, &r.cert_ids_}) v->shrink_to_fit();
    for (auto* v : {&r.shift_, &r.status_, &r.available_, &r.years_}) v->shrink_to_fit();
    for (auto* v : {&r.rating_, &r.reliability_, &r.pay_rate_, &r.lat_, &r.lon_})
      v->shrink_to_fit();
    return Status::OK();
  }

  static Status Orders(Roster& r, QueryEngine& q) {
    return ScanRows(
        q,
        "SELECT order_id, client_id, client_name, role, headcount, shift, start_date, end_date, "
        "city, state, lat, lon, pay_rate, required_certifications, required_skills, status "
        "FROM job_orders ORDER BY order_id",
        "job_orders", [&](const Row& c) {
          OrderRecord o;
          o.order_id = c.Str(0);
          if (o.order_id.empty() ||
              (!r.orders_.empty() && r.orders_.back().order_id == o.order_id)) {
            ++r.stats_.skipped_rows;
            spdlog::warn("roster: skipping a job_orders row with no or a duplicate order_id '{}'",
                         o.order_id);
            return;
          }
          o.client_id = c.Str(1);
          o.client_name = c.Str(2);
          o.role = c.Str(3);
          o.headcount = static_cast<int64_t>(c.Num(4));
          o.shift = c.Str(5);
          o.start_day = c.Day(6);
          o.end_day = c.Day(7);
          o.city = c.Str(8);
          o.state = c.Str(9);
          o.lat = c.Num(10, std::nan(""));
          o.lon = c.Num(11, std::nan(""));
          o.pay_rate = c.Num(12);
          for (auto s : c.StrList(13)) o.required_certifications.emplace_back(s);
          for (auto s : c.StrList(14)) o.required_skills.emplace_back(s);
          o.status = c.Str(15);
          r.orders_.push_back(std::move(o));
        });
  }

  static Status Fills(Roster& r, QueryEngine& q, const DatasetVersion& version) {
    LH_RETURN_IF_ERROR(ScanRows(
        q, FillsLedgerSelect(version, SqlIdent(fmt::format("fills@v{}", version.version))), "fills",
        [&](const Row& c) {
          auto w = r.FindWorker(c.Str(2));
          if (!w) {
            ++r.stats_.dangling_fills;
            return;
          }
          const FillStatus status = ParseFillStatus(c.Str(5));
          if (status == FillStatus::kCancelled) return;
          const int32_t ended_on = c.b[6].IsNull(c.i) ? INT32_MAX : c.Day(6);
          r.fills_.push_back(FillRecord{*w, std::string(c.Str(1)), c.Day(3),
                                        std::min(c.Day(4), ended_on), std::string(c.Str(0)),
                                        status == FillStatus::kActive});
        }));
    std::sort(r.fills_.begin(), r.fills_.end(), [](const FillRecord& a, const FillRecord& b) {
      return std::tie(a.worker, a.order_id) < std::tie(b.worker, b.order_id);
    });
    // Distinct workers actively placed per order.
    for (size_t i = 0; i < r.fills_.size(); ++i) {
      if (!r.fills_[i].active) continue;
      if (i > 0 && r.fills_[i].worker == r.fills_[i - 1].worker &&
          r.fills_[i].order_id == r.fills_[i - 1].order_id)
        continue;
      ++r.filled_count_[r.fills_[i].order_id];
    }
    return Status::OK();
  }

  static size_t Bytes(const Roster& r) {
    size_t b = sizeof(Roster) + r.arena_.capacity();
    b += VecBytes(r.worker_id_off_) + VecBytes(r.email_off_) + VecBytes(r.first_) +
         VecBytes(r.last_) + VecBytes(r.city_) + VecBytes(r.role_) + VecBytes(r.state_) +
         VecBytes(r.shift_) + VecBytes(r.status_) + VecBytes(r.available_) + VecBytes(r.years_) +
         VecBytes(r.rating_) + VecBytes(r.reliability_) + VecBytes(r.pay_rate_) + VecBytes(r.lat_) +
         VecBytes(r.lon_) + VecBytes(r.cert_begin_) + VecBytes(r.cert_ids_) +
         VecBytes(r.email_keys_) + VecBytes(r.email_workers_) + VecBytes(r.phone_keys_) +
         VecBytes(r.phone_workers_) + VecBytes(r.role_begin_) + VecBytes(r.role_workers_) +
         VecBytes(r.role_lat_) + VecBytes(r.role_lon_);
    b += r.names_.Bytes() + r.roles_.Bytes() + r.cities_.Bytes() + r.states_.Bytes() +
         r.certs_.Bytes();
    b += VecBytes(r.name_pairs_);
    for (const auto& o : r.orders_) {
      b += sizeof(OrderRecord) + StringBytes(o.order_id) + StringBytes(o.client_name) +
           StringBytes(o.client_id) + StringBytes(o.role) + StringBytes(o.city);
      for (const auto& s : o.required_certifications) b += sizeof(s) + StringBytes(s);
      for (const auto& s : o.required_skills) b += sizeof(s) + StringBytes(s);
    }
    b += VecBytes(r.fills_) + r.filled_count_.size() * 64;
    return b;
  }
};

Result<std::shared_ptr<const Roster>> Roster::Load(QueryEngine& query, const Catalog& catalog,
                                                   const PlacementSource* live) {
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<Roster> r(new Roster());
  r->live_ = live;
  auto version = [&](const char* name) -> int64_t {
    auto m = catalog.Get(name);
    return m.ok() ? m->current_version : 0;
  };
  r->stats_.workers_version = version("workers");
  size_t expected_workers = 0;
  if (auto m = catalog.Get("workers"); m.ok() && m->Current() != nullptr)
    expected_workers = static_cast<size_t>(m->Current()->row_count);
  r->stats_.job_orders_version = version("job_orders");
  r->stats_.fills_version = version("fills");
  if (r->stats_.workers_version > 0) {
    bool out_of_order = false;
    LH_RETURN_IF_ERROR(RosterBuilder::Workers(*r, query, expected_workers, false, &out_of_order));
    if (out_of_order) {  // rare: a dataset not written in worker_id order; sort this time
      spdlog::debug("roster: workers are not in worker_id order; loading them sorted");
      const RosterStats versions = r->stats_;
      r.reset(new Roster());
      r->stats_ = versions;
      r->live_ = live;
      out_of_order = false;
      LH_RETURN_IF_ERROR(RosterBuilder::Workers(*r, query, expected_workers, true, &out_of_order));
    }
  } else {
    r->cert_begin_.push_back(0);
    r->role_begin_.push_back(0);
  }
  if (r->stats_.job_orders_version > 0) LH_RETURN_IF_ERROR(RosterBuilder::Orders(*r, query));
  if (r->stats_.fills_version > 0 && live == nullptr) {
    auto m = catalog.Get("fills");
    if (m.ok() && m->Current() != nullptr)
      LH_RETURN_IF_ERROR(RosterBuilder::Fills(*r, query, *m->Current()));
  }
  r->stats_.workers = static_cast<int64_t>(r->worker_count());
  r->stats_.orders = static_cast<int64_t>(r->orders_.size());
  r->stats_.fills = static_cast<int64_t>(r->fills_.size());
  r->stats_.bytes = RosterBuilder::Bytes(*r);
  r->stats_.load_ms = static_cast<double>(MicrosSince(start)) / 1000.0;
  r->stats_.loaded_at = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  return std::shared_ptr<const Roster>(std::move(r));
}

// ---- RosterStore ----

RosterStore::RosterStore(QueryEngine& query, Catalog& catalog) : query_(query), catalog_(catalog) {}

RosterStore::~RosterStore() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

Status RosterStore::Start() {
  Status st = Reload();
  {
    MutexLock lock(mu_);
    if (started_) return st;
    started_ = true;
  }
  catalog_.AddListener([this](const DatasetManifest& m) {
    if (m.name != "workers" && m.name != "job_orders" && (m.name != "fills" || live_ != nullptr))
      return;
    {
      MutexLock lock(mu_);
      dirty_ = true;
    }
    cv_.notify_all();
  });
  watcher_ = std::thread([this] { WatchLoop(); });
  return st;
}

void RosterStore::WatchLoop() {
  while (true) {
    {
      MutexLock lock(mu_);
      // The predicates run with mu_ held (condition_variable_any re-locks before each).
      cv_.wait(mu_, [this]() LH_REQUIRES(mu_) { return stop_ || dirty_; });
      if (stop_) return;
      // Let a burst of commits (gen writes four datasets) settle into one reload.
      cv_.wait_for(mu_, std::chrono::milliseconds(50), [this]() LH_REQUIRES(mu_) { return stop_; });
      if (stop_) return;
      dirty_ = false;
    }
    Status st = Reload();
    if (!st.ok())
      spdlog::error("roster reload failed (keeping the previous one): {}", st.ToString());
  }
}

Status RosterStore::Reload() {
  MutexLock reload(reload_mu_);
  auto r = Roster::Load(query_, catalog_, live_);
  MutexLock lock(mu_);
  if (!r.ok()) {
    last_error_ = r.status().message();
    generation_.fetch_add(1);
    return r.status();
  }
  const RosterStats& s = (*r)->stats();
  spdlog::info("roster loaded: {} workers, {} orders, {} fills in {:.0f} ms ({:.1f} MB)", s.workers,
               s.orders, s.fills, s.load_ms, static_cast<double>(s.bytes) / (1 << 20));
  current_ = std::move(*r);
  last_error_.clear();
  generation_.fetch_add(1);
  return Status::OK();
}

std::shared_ptr<const Roster> RosterStore::Current() const {
  MutexLock lock(mu_);
  return current_;
}

Result<std::shared_ptr<const Roster>> RosterStore::Require() const {
  MutexLock lock(mu_);
  if (current_) return current_;
  return Status::Unavailable("the roster is not loaded" +
                             (last_error_.empty() ? std::string() : ": " + last_error_));
}

Json RosterStore::StatusJson() const {
  MutexLock lock(mu_);
  Json j = Json::object();
  j["loaded"] = current_ != nullptr;
  RosterStats s = current_ ? current_->stats() : RosterStats{};
  j["workers"] = s.workers;
  j["orders"] = s.orders;
  j["fills"] = live_ != nullptr ? live_->ActivePlacements() : s.fills;
  j["skipped_rows"] = s.skipped_rows;
  j["dangling_fills"] = s.dangling_fills;
  j["versions"] = Json{{"workers", s.workers_version},
                       {"job_orders", s.job_orders_version},
                       {"fills", s.fills_version}};
  j["load_ms"] = std::round(s.load_ms * 1000) / 1000;
  j["bytes"] = s.bytes;
  j["loaded_at"] = s.loaded_at;
  j["last_error"] = last_error_.empty() ? Json(nullptr) : Json(last_error_);
  return j;
}

}  // namespace lakehouse
