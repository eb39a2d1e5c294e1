#include "retrieve/matrix.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/ids.h"
#include "retrieve/query_parse.h"
#include "staffing/taxonomy.h"
#include "validate/extract_json.h"

namespace lakehouse {
namespace {

// ~50 miles around a point as a lat/lon box (a degree of latitude is ~69 miles).
Json BoxAround(double lat, double lon, double miles = 50) {
  const double dlat = miles / 69.0;
  const double dlon = miles / (69.0 * std::max(0.2, std::cos(lat * M_PI / 180.0)));
  return Json{{"lat", {{"gte", lat - dlat}, {"lte", lat + dlat}}},
              {"lon", {{"gte", lon - dlon}, {"lte", lon + dlon}}}};
}

Json Merge(Json base, const Json& extra) {
  for (auto& [key, value] : extra.items()) base[key] = value;
  return base;
}

struct Hit {
  std::string corpus;
  SearchHit hit;
  size_t rank;  // 0-based within its corpus
  double rrf;
};

// The radius of the first place tier (the Fill rule's default radius).
constexpr double kRadiusMiles = 50;

// Where candidates should be: the query's city, or the order's site.
struct Place {
  std::string city, state;
  double lat = 0, lon = 0;
};

double NumberAt(const Json& payload, const char* key) {
  auto it = payload.find(key);
  return it != payload.end() && it->is_number() ? it->get<double>() : std::nan("");
}

// Miles from a worker's payload to the place (NaN when either has no coordinates).
double MilesTo(const Json& payload, const Place& place) {
  const double lat = NumberAt(payload, "lat"), lon = NumberAt(payload, "lon");
  if (std::isnan(lat) || std::isnan(lon)) return std::nan("");
  return staffing::HaversineMiles(lat, lon, place.lat, place.lon);
}

// 0: within the radius, 1: in the place's state, 2: anywhere else.
size_t PlaceTier(const Json& payload, const Place& place) {
  const double miles = MilesTo(payload, place);
  if (!std::isnan(miles) && miles <= kRadiusMiles) return 0;
  return StringField(payload, "state") == place.state ? 1 : 2;
}

// What a worker holds of `wanted` (certifications and skills both count).
std::pair<Json, Json> Held(const Json& payload, const std::vector<std::string>& wanted) {
  Json matched = Json::array(), missing = Json::array();
  for (const auto& w : wanted) {
    bool has = false;
    for (const char* field : {"certifications", "skills"}) {
      auto f = payload.find(field);
      if (f == payload.end() || !f->is_array()) continue;
      for (const auto& v : *f) has = has || (v.is_string() && v.get<std::string>() == w);
    }
    (has ? matched : missing).push_back(w);
  }
  return {matched, missing};
}

Json WorkerReasons(const Json& payload, const Place* place, const std::optional<std::string>& role,
                   const std::string& shift, const std::vector<std::string>& wanted,
                   double similarity) {
  Json r = Json::object();
  const double miles = place ? MilesTo(payload, *place) : std::nan("");
  r["distance_miles"] = std::isnan(miles) ? Json(nullptr) : Json(std::round(miles * 10) / 10);
  r["role_match"] = role ? Json(StringField(payload, "role") == *role) : Json(nullptr);
  auto [matched, missing] = Held(payload, wanted);
  r["certifications_matched"] = std::move(matched);
  r["certifications_missing"] = std::move(missing);
  const std::string works = StringField(payload, "shift_pref");
  r["shift"] = Json{{"worker", works},
                    {"needed", shift.empty() ? Json(nullptr) : Json(shift)},
                    {"match", shift.empty() || works == shift || works == "any"}};
  for (const char* k : {"available", "status", "rating", "reliability"})
    r[k] = FieldOrNull(payload, k);
  r["similarity"] = std::round(similarity * 1e6) / 1e6;
  return r;
}

}  // namespace

Json RetrievalRecord::ToJson() const {
  Json line = Json::object();
  line["schema"] = KbSchema(KbSource::kRetrievals);
  line["id"] = "ret_" + NextRequestId();
  line["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
  line["request_id"] = request_id;
  line["query"] = query;
  line["role"] = role;
  line["role_source"] = role_source;
  line["place"] = place;
  line["shift"] = shift;
  line["corpora"] = corpora;
  line["k"] = k;
  line["filter"] = filter;
  line["results"] = results;
  line["gated"] = gated;
  line["per_corpus"] = per_corpus;
  line["latency_ms"] = latency_ms;
  return line;
}

const std::vector<std::string>& MatrixRetriever::DefaultCorpora() {
  static const std::vector<std::string> c = {"workers", "playbooks", "fills", "emails", "notes"};
  return c;
}

bool MatrixRetriever::RoleBearing(const std::string& corpus) {
  return corpus == "workers" || corpus == "playbooks" || corpus == "fills" || corpus == "emails";
}

Result<RetrieveRequest> ParseRetrieveRequest(const Json& body) {
  RetrieveRequest r;
  LH_ASSIGN_OR_RETURN(r.order_id, OptionalString(body, "order_id"));
  if (r.order_id && r.order_id->empty())
    return Status::InvalidArgument("field 'order_id' must not be empty");
  LH_ASSIGN_OR_RETURN(auto query, OptionalString(body, "query"));
  if (!query && !r.order_id) return Status::InvalidArgument("field 'query' is required");
  r.query = query.value_or("");
  if (query && r.query.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::InvalidArgument("field 'query' must not be empty");
  LH_ASSIGN_OR_RETURN(r.role, OptionalString(body, "role"));
  if (auto it = body.find("corpora"); it != body.end() && !it->is_null()) {
    if (!it->is_array())
      return Status::InvalidArgument("field 'corpora' must be an array of index names");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string())
        return Status::InvalidArgument(fmt::format("field 'corpora[{}]' must be a string", i));
      r.corpora.push_back((*it)[i].get<std::string>());
    }
  }
  LH_ASSIGN_OR_RETURN(auto k, OptionalInt(body, "k"));
  r.k = k.value_or(10);
  if (r.k < 1 || r.k > 200) return Status::InvalidArgument("field 'k' must be 1..200");
  if (auto it = body.find("filter"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Status::InvalidArgument("field 'filter' must be an object");
    r.filter = *it;
  }
  return r;
}

std::optional<std::string> MatrixRetriever::RoleByModel(const std::string& query,
                                                        const std::string& request_id) {
  if (chat_ == nullptr || chat_->DefaultModel().rfind("local/", 0) == 0) return std::nullopt;
  std::string roles;
  for (const auto& r : staffing::Roles())
    roles += (roles.empty() ? "" : ", ") + std::string(r.name);
  ChatRequest req;
  req.messages = {{"system",
                   "Name the staffing role a coordinator's search is about. Answer with "
                   "one JSON object {\"role\": \"<one of the roles>\"} or {\"role\": "
                   "null}. Roles: " +
                       roles},
                  {"user", query}};
  req.temperature = 0;
  auto out = chat_->Complete(req, ChatCallContext{request_id, "retrieve", ""});
  if (!out.ok()) return std::nullopt;
  auto j = ExtractJson(out->reply.content);
  if (!j || !j->contains("role") || !(*j)["role"].is_string()) return std::nullopt;
  const std::string role = (*j)["role"].get<std::string>();
  if (staffing::FindRole(role) == nullptr) return std::nullopt;  // never trust an unknown role
  return role;
}

namespace {
double Round6(double x) {
  return std::round(x * 1e6) / 1e6;
}
}  // namespace

Json RetrievedItem::BriefJson() const {
  return Json{{"corpus", corpus}, {"id", id}, {"score", Round6(score)}};
}

Json RetrievedItem::ToJson() const {
  return Json{{"corpus", corpus},       {"id", id},
              {"score", Round6(score)}, {"similarity", Round6(similarity)},
              {"payload", payload},     {"reasons", reasons}};
}

Json RetrieveResult::RoleJson() const {
  return role ? Json(*role) : Json(nullptr);
}

Json RetrieveResult::PlaceJson() const {
  return place ? Json{{"city", place->city}, {"state", place->state}, {"scope", place->scope}}
               : Json(nullptr);
}

Json RetrieveResult::ShiftJson() const {
  return shift.empty() ? Json(nullptr) : Json(shift);
}

Json RetrieveResult::PerCorpusJson() const {
  Json counts = Json::object();
  for (const auto& [name, n] : per_corpus) counts[name] = n;
  return counts;
}

Json RetrieveResult::ToJson() const {
  Json list = Json::array();
  for (const auto& r : results) list.push_back(r.ToJson());
  Json out = Json::object();
  out["role"] = RoleJson();
  out["role_source"] = role_source;
  out["order_id"] = order_id ? Json(*order_id) : Json(nullptr);
  out["place"] = PlaceJson();
  out["shift"] = ShiftJson();
  out["qualifications"] = qualifications;
  out["results"] = std::move(list);
  out["gated"] = gated;
  out["excluded"] = excluded;
  out["per_corpus"] = PerCorpusJson();
  return out;
}

Result<RetrieveResult> MatrixRetriever::Retrieve(const RetrieveRequest& req,
                                                 const std::string& request_id) {
  const auto start = std::chrono::steady_clock::now();
  // An order steers the whole search (and its placements leave workers out).
  std::shared_ptr<const Roster> roster;
  const OrderRecord* order = nullptr;
  if (req.order_id) {
    if (roster_ == nullptr) return Status::Unavailable("job orders are not loaded here");
    LH_ASSIGN_OR_RETURN(roster, roster_->Require());
    order = roster->FindOrder(*req.order_id);
    if (order == nullptr) return Status::NotFound("unknown order " + *req.order_id);
  }
  std::string query = req.query;
  if (order != nullptr && query.empty()) {
    query = order->role;
    for (const auto& s : order->required_skills) query += " " + s;
    for (const auto& c : order->required_certifications) query += " " + c;
    query += fmt::format(" in {}, {} {} shift", order->city, order->state, order->shift);
  }
  // The role: the order's, given (a synonym maps to its canonical name), extracted, the
  // model's, or none.
  std::optional<std::string> role;
  std::string role_source = "none";
  if (order != nullptr) {
    role = order->role;
    role_source = "order";
  } else if (req.role && !req.role->empty()) {
    if (staffing::FindRole(*req.role) != nullptr) {
      role = *req.role;
    } else if (auto m = ExtractRoleByRules(*req.role)) {
      role = m->role;
    } else {
      return Status::InvalidArgument(fmt::format("unknown role '{}'", *req.role));
    }
    role_source = "given";
  } else if (auto m = ExtractRoleByRules(query)) {
    role = m->role;
    role_source = "extracted";
  } else if (auto r = RoleByModel(query, request_id)) {
    role = *r;
    role_source = "model";
  }
  std::optional<Place> place;
  if (order != nullptr && !std::isnan(order->lat) && !std::isnan(order->lon)) {
    place = Place{order->city, order->state, order->lat, order->lon};
  } else if (const staffing::City* c = ExtractPlace(query)) {
    place = Place{std::string(c->name), std::string(c->state), c->lat, c->lon};
  }
  const std::string shift =
      order != nullptr ? (order->shift == "any" ? "" : order->shift) : ExtractShift(query);
  std::vector<std::string> qualifications;
  if (order != nullptr) {
    qualifications = order->required_certifications;
  } else if (role) {
    if (const auto* r = staffing::FindRole(*role))
      qualifications = ExtractQualifications(query, *r);
  }
  // Placed on the order, or booked on dates that overlap it.
  auto placed = [&](const std::string& worker_id) {
    if (order == nullptr) return false;
    auto w = roster->FindWorker(worker_id);
    if (!w) return false;
    for (const FillRecord& f : roster->FillsOfWorker(*w))
      if ((f.order_id == order->order_id && f.active) ||
          (f.order_id != order->order_id && f.start_day <= order->end_day &&
           order->start_day <= f.end_day))
        return true;
    return false;
  };

  // Corpora.
  std::vector<std::pair<std::string, std::shared_ptr<VectorIndex>>> corpora;
  if (req.corpora.empty()) {
    for (const auto& name : DefaultCorpora()) {
      auto idx = vectors_.Get(name);
      // An index being built answers 503 with its progress: no answer from the others
      // alone, which would silently leave its candidates out.
      if (!idx.ok() && idx.status().code() == ErrorCode::kUnavailable) return idx.status();
      if (idx.ok()) corpora.emplace_back(name, *idx);
    }
    if (corpora.empty())
      return Status::Unavailable(
          "no corpus to search yet: the workers index is still being built or no index exists");
  } else {
    for (const auto& name : req.corpora) {
      LH_ASSIGN_OR_RETURN(auto idx, vectors_.Get(name));
      corpora.emplace_back(name, idx);
    }
  }

  // The query, embedded once per model the corpora use.
  std::map<std::string, std::vector<float>> query_vectors;
  for (const auto& [name, idx] : corpora) {
    const std::string& model = idx->spec().model;
    if (query_vectors.count(model)) continue;
    LH_ASSIGN_OR_RETURN(auto e, embed_.EmbedOne(model, query));
    query_vectors[model] = e->vector;
  }

  const bool filter_has_place = req.filter.contains("lat") || req.filter.contains("lon") ||
                                req.filter.contains("city") || req.filter.contains("state");
  std::vector<Hit> hits;
  std::vector<std::pair<std::string, size_t>> per_corpus;
  int64_t gated = 0, excluded = 0;
  std::string place_scope = place ? "radius" : "none";
  for (const auto& [name, idx] : corpora) {
    const auto& qv = query_vectors[idx->spec().model];
    const size_t k = static_cast<size_t>(req.k);
    Json base = req.filter;
    if (name == "workers" && !shift.empty() && !base.contains("shift_pref"))
      base["shift_pref"] = Json{{"in", {shift, "any"}}};
    // Candidates for an order are workers who can be placed now.
    if (name == "workers" && order != nullptr) {
      if (!base.contains("status")) base["status"] = "active";
      if (!base.contains("available")) base["available"] = true;
    }
    const bool gate = role && RoleBearing(name);
    Json with_role = gate ? Merge(base, Json{{"role", *role}}) : base;

    // Workers: widen the place until k match (radius, state, anywhere).
    std::vector<Json> attempts;
    if (name == "workers" && place && !filter_has_place) {
      attempts.push_back(Merge(with_role, BoxAround(place->lat, place->lon)));
      attempts.push_back(Merge(with_role, Json{{"state", place->state}}));
    }
    attempts.push_back(with_role);
    // Workers: qualifications the query names rank first among the role and place matches,
    // so a wider candidate set is searched and re-ordered (stable: similarity next); an
    // order's placed workers are left out, so more are fetched for them too.
    const std::vector<std::string> no_quals;
    const std::vector<std::string>& quals = name == "workers" ? qualifications : no_quals;
    const bool workers = name == "workers";
    const size_t fetch = (workers && order != nullptr) ? k * 4 + 16 : quals.empty() ? k : k * 4;
    // A wider scope only adds to what the narrower ones found: near workers stay first.
    std::vector<SearchHit> found;
    std::vector<size_t> tier;  // the attempt that found each hit
    std::unordered_set<std::string> seen;
    const Json* answered = nullptr;  // the widest filter searched
    for (size_t a = 0; a < attempts.size(); ++a) {
      answered = &attempts[a];
      LH_ASSIGN_OR_RETURN(auto filter, PayloadFilter::Compile(attempts[a]));
      LH_ASSIGN_OR_RETURN(auto hits, idx->Search(qv, fetch, 0, filter));
      for (auto& h : hits) {
        if (found.size() >= fetch) break;
        if (!seen.insert(h.id).second) continue;
        if (workers && placed(h.id)) {
          ++excluded;
          continue;
        }
        // Ranked by where the worker is, not by which widening found them: a filtered graph
        // search can miss near workers that a wider one then finds.
        tier.push_back(workers && place && !filter_has_place ? PlaceTier(h.payload, *place) : a);
        found.push_back(std::move(h));
      }
      if (found.size() >= k || a + 1 == attempts.size()) {
        if (name == "workers" && place && !filter_has_place)
          place_scope = a == 0 ? "radius" : a == 1 ? "state" : "anywhere";
        break;
      }
    }
    if (!quals.empty() || (workers && place && !filter_has_place)) {
      auto held = [&](const SearchHit& h) {
        return static_cast<int>(Held(h.payload, quals).first.size());
      };
      // Within a place tier, more named qualifications first (similarity next: stable).
      std::vector<size_t> order(found.size());
      std::vector<int> held_by(found.size());
      for (size_t i = 0; i < found.size(); ++i) {
        order[i] = i;
        held_by[i] = held(found[i]);
      }
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return tier[a] != tier[b] ? tier[a] < tier[b] : held_by[a] > held_by[b];
      });
      std::vector<SearchHit> ranked;
      ranked.reserve(std::min(k, found.size()));
      for (size_t i = 0; i < order.size() && ranked.size() < k; ++i)
        ranked.push_back(std::move(found[order[i]]));
      found = std::move(ranked);
    }
    if (found.size() > k) found.resize(k);
    if (gate) {
      // What a search without the gate would have returned, in the same place: the kept
      // filter with the gate's role taken out (the request's own role condition stays).
      Json ungated = *answered;
      if (base.contains("role")) {
        ungated["role"] = base["role"];
      } else {
        ungated.erase("role");
      }
      LH_ASSIGN_OR_RETURN(auto filter, PayloadFilter::Compile(ungated));
      static const std::vector<std::string> kRoleOnly = {"role"};
      LH_ASSIGN_OR_RETURN(auto plain, idx->Search(qv, k, 0, filter, nullptr, &kRoleOnly));
      for (const auto& h : plain) {
        auto r = h.payload.find("role");
        if (r != h.payload.end() && r->is_string() && r->get<std::string>() != *role) ++gated;
      }
    }
    per_corpus.emplace_back(name, found.size());
    for (size_t i = 0; i < found.size(); ++i)
      hits.push_back({name, std::move(found[i]), i, 1.0 / (kRrfK + static_cast<double>(i + 1))});
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.rrf != b.rrf) return a.rrf > b.rrf;
    if (a.hit.score != b.hit.score) return a.hit.score > b.hit.score;
    if (a.corpus != b.corpus) return a.corpus < b.corpus;
    return a.hit.id < b.hit.id;
  });
  if (hits.size() > static_cast<size_t>(req.k)) hits.resize(static_cast<size_t>(req.k));

  RetrieveResult out;
  out.role = role;
  out.role_source = role_source;
  out.order_id = req.order_id;
  if (place) out.place = RetrievedPlace{place->city, place->state, place_scope};
  out.shift = shift;
  out.qualifications = qualifications;
  for (Hit& h : hits) {
    const double similarity = static_cast<double>(h.hit.score);
    Json reasons = h.corpus == "workers" ? WorkerReasons(h.hit.payload, place ? &*place : nullptr,
                                                         role, shift, qualifications, similarity)
                                         : Json{{"similarity", std::round(similarity * 1e6) / 1e6}};
    out.results.push_back(RetrievedItem{h.corpus, h.hit.id, h.rrf, similarity,
                                        std::move(h.hit.payload), std::move(reasons)});
  }
  out.gated = gated;
  out.excluded = excluded;
  out.per_corpus = std::move(per_corpus);

  if (kb_ != nullptr) {
    RetrievalRecord rec;
    rec.request_id = request_id;
    rec.query = query;
    rec.role = out.RoleJson();
    rec.role_source = role_source;
    rec.place = out.PlaceJson();
    rec.shift = out.ShiftJson();
    for (const auto& [name, idx] : corpora) rec.corpora.push_back(name);
    rec.k = req.k;
    rec.filter = req.filter;
    for (const RetrievedItem& r : out.results) rec.results.push_back(r.BriefJson());
    rec.gated = gated;
    rec.per_corpus = out.PerCorpusJson();
    rec.latency_ms = std::round(static_cast<double>(MicrosSince(start))) / 1000;
    kb_->Append(KbSource::kRetrievals, rec.ToJson());
  }
  return out;
}

}  // namespace lakehouse
