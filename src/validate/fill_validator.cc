// src/validate/fill_validator.cc: the Fill validator and the candidates a fill may choose from
// (validators.h).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/text.h"
#include "staffing/taxonomy.h"
#include "validate/text_scan.h"
#include "validate/validator_checks.h"
#include "validate/validators.h"

namespace lakehouse {

using namespace textscan;
using namespace validator_checks;

// ---- Fill ----

Verdict Validators::Fill(const Roster& roster, const Json& p) const {
  Verdict v;
  Errors& e = v.errors;
  auto order_id = RequiredText(p, "order_id", e);
  std::vector<std::string> ids;
  auto it = p.find("worker_ids");
  if (it == p.end() || it->is_null()) {
    Add(e, ErrorKind::kSchema, "worker_ids", "required");
  } else if (!it->is_array()) {
    Add(e, ErrorKind::kSchema, "worker_ids",
        fmt::format("expected array, got {}", JsonTypeName(*it)));
  } else if (it->empty()) {
    Add(e, ErrorKind::kSchema, "worker_ids", "must name at least one worker");
  } else {
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& x = (*it)[i];
      if (!x.is_string()) {
        Add(e, ErrorKind::kSchema, fmt::format("worker_ids[{}]", i),
            fmt::format("expected string, got {}", JsonTypeName(x)));
      } else {
        ids.push_back(x.get<std::string>());
      }
    }
  }
  if (!e.empty()) return v;

  const OrderRecord* order = roster.FindOrder(*order_id);
  if (order == nullptr) {
    Add(e, ErrorKind::kConsistency, "order_id", fmt::format("unknown order {}", *order_id));
    return v;
  }
  if (order->status != "open") {
    Add(e, ErrorKind::kConsistency, "order_id",
        fmt::format("order {} is {}, not open", order->order_id, order->status));
  }
  const ShiftKind order_shift = ParseShift(order->shift);

  std::map<std::string, size_t> first_seen;
  int64_t proposed = 0, already_on_order = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string field = fmt::format("worker_ids[{}]", i);
    const std::string& id = ids[i];
    if (auto [pos, inserted] = first_seen.emplace(id, i); !inserted) {
      Add(e, ErrorKind::kSchema, field,
          fmt::format("duplicate of worker_ids[{}] ({})", pos->second, id));
      continue;
    }
    ++proposed;
    auto idx = roster.FindWorker(id);
    if (!idx) {
      Add(e, ErrorKind::kConsistency, field, fmt::format("unknown worker {}", id));
      continue;
    }
    const WorkerView w = roster.Worker(*idx);
    if (w.status == WorkerStatus::kDnr) {
      Add(e, ErrorKind::kPolicy, field, fmt::format("worker {} is on the do-not-return list", id));
    } else if (w.status != WorkerStatus::kActive) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("worker {} is {}, not active", id, WorkerStatusName(w.status)));
    }
    if (w.role != order->role) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("worker {} is a {}; order {} needs a {}", id, w.role, order->order_id,
                      order->role));
    }
    if (!w.available) {
      Add(e, ErrorKind::kConsistency, field, fmt::format("worker {} is not available", id));
    }
    if (w.shift != ShiftKind::kAny && w.shift != order_shift) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("worker {} works {} shifts; the order is a {} shift", id, ShiftName(w.shift),
                      order->shift));
    }
    for (const auto& cert : order->required_certifications) {
      if (!roster.HasCertification(*idx, cert)) {
        Add(e, ErrorKind::kConsistency, field,
            fmt::format("worker {} lacks the required certification '{}'", id, cert));
      }
    }
    if (std::isnan(w.lat) || std::isnan(w.lon) || std::isnan(order->lat) ||
        std::isnan(order->lon)) {
      Add(e, ErrorKind::kConsistency, field,
          fmt::format("distance from worker {} to the order is unknown (no coordinates)", id));
    } else {
      const double miles = staffing::HaversineMiles(w.lat, w.lon, order->lat, order->lon);
      if (miles > options_.radius_miles) {
        Add(e, ErrorKind::kPolicy, field,
            fmt::format("worker {} is {:.1f} miles from the order in {}, {} (limit {:g})", id,
                        miles, order->city, order->state, options_.radius_miles));
      }
    }
    for (const FillRecord& f : roster.FillsOfWorker(*idx)) {
      if (f.order_id == order->order_id) {
        if (!f.active) continue;  // ended on this order: free to come back
        ++already_on_order;
        Add(e, ErrorKind::kConsistency, field,
            fmt::format("worker {} is already filled on order {} (fill {})", id, f.order_id,
                        f.fill_id));
      } else if (f.start_day <= order->end_day && order->start_day <= f.end_day) {
        Add(e, ErrorKind::kConsistency, field,
            fmt::format("worker {} is double-booked: on order {} (fill {}) from {} to {}, "
                        "overlapping {} to {}",
                        id, f.order_id, f.fill_id, DayText(f.start_day), DayText(f.end_day),
                        DayText(order->start_day), DayText(order->end_day)));
      }
    }
  }
  std::vector<std::string> fills_on_order;
  const int64_t others = roster.FilledCount(order->order_id, &fills_on_order) - already_on_order;
  if (proposed + others > order->headcount) {
    std::string named;
    for (const auto& f : fills_on_order) named += (named.empty() ? "" : ", ") + f;
    Add(e, ErrorKind::kConsistency, "worker_ids",
        others > 0 ? fmt::format("{} workers proposed and {} already filled (fills {}) exceed the "
                                 "headcount {} of order {}",
                                 proposed, others, named, order->headcount, order->order_id)
                   : fmt::format("{} workers proposed exceed the headcount {} of order {}",
                                 proposed, order->headcount, order->order_id));
  }
  return v;
}

std::vector<FillCandidate> Validators::FillCandidates(const Roster& roster,
                                                      const OrderRecord& order) const {
  std::vector<FillCandidate> out;
  const ShiftKind shift = ParseShift(order.shift);
  if (std::isnan(order.lat) || std::isnan(order.lon)) return out;
  // Only the latitudes the radius spans can hold a candidate: a great-circle distance is
  // never shorter than the meridian arc between the two latitudes. The band is widened a
  // little (0.001 degrees, ~0.07 miles) so rounding never drops a worker on its edge.
  constexpr double kMilesPerDegree = staffing::kEarthRadiusMiles * std::numbers::pi / 180.0;
  const double span = options_.radius_miles / kMilesPerDegree + 0.001;
  const Roster::RoleBand band = roster.WorkersWithRoleBetween(
      order.role, std::max(-90.0, order.lat - span), std::min(90.0, order.lat + span));
  for (size_t k = 0; k < band.workers.size(); ++k) {
    const double miles = staffing::HaversineMiles(band.lat[k], band.lon[k], order.lat, order.lon);
    if (!(miles <= options_.radius_miles)) continue;
    const uint32_t i = band.workers[k];
    if (roster.StatusOf(i) != WorkerStatus::kActive || !roster.AvailableOf(i)) continue;
    const ShiftKind ws = roster.ShiftOf(i);
    if (ws != ShiftKind::kAny && ws != shift) continue;
    bool certified = true;
    for (const auto& cert : order.required_certifications)
      certified = certified && roster.HasCertification(i, cert);
    if (!certified) continue;
    bool booked = false;
    for (const FillRecord& f : roster.FillsOfWorker(i))
      booked = booked || (f.order_id == order.order_id && f.active) ||
               (f.order_id != order.order_id && f.start_day <= order.end_day &&
                order.start_day <= f.end_day);
    if (booked) continue;
    out.push_back({i, miles});
  }
  std::sort(out.begin(), out.end(), [&](const FillCandidate& a, const FillCandidate& b) {
    if (a.miles != b.miles) return a.miles < b.miles;
    const float ra = roster.RatingOf(a.worker), rb = roster.RatingOf(b.worker);
    if (ra != rb) return ra > rb;
    const float la = roster.ReliabilityOf(a.worker), lb = roster.ReliabilityOf(b.worker);
    if (la != lb) return la > lb;
    return roster.WorkerIdOf(a.worker) < roster.WorkerIdOf(b.worker);
  });
  return out;
}

}  // namespace lakehouse
