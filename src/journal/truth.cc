#include "journal/truth.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "catalog/catalog.h"
#include "core/clock.h"
#include "storage/record_log.h"

namespace lakehouse {

Json Claim::ToJson() const {
  Json j = Json::object();
  j["id"] = id;
  j["subject"] = subject;
  j["attribute"] = attribute;
  j["value"] = value;
  j["source"] = source;
  j["observed_at"] = observed_at;
  j["confidence"] = confidence;
  j["recorded_at"] = FormatRfc3339Millis(recorded_ms);
  return j;
}

Json ClaimsAccepted::ToJson() const {
  return Json{{"accepted", ids.size()}, {"ids", ids}};
}

Json ResolvedAttribute::ToJson() const {
  Json conflicting = Json::array();
  for (const Claim& c : conflicts) conflicting.push_back(c.ToJson());
  Json a = Json::object();
  a["value"] = winner.value;
  a["source"] = winner.source;
  a["observed_at"] = winner.observed_at;
  a["confidence"] = winner.confidence;
  a["claim_id"] = winner.id;
  a["recorded_at"] = FormatRfc3339Millis(winner.recorded_ms);
  a["claims"] = claims;
  a["conflicts"] = std::move(conflicting);
  return a;
}

Json Resolution::ToJson() const {
  Json attrs = Json::object();
  for (const auto& [name, a] : attributes) attrs[name] = a.ToJson();
  return Json{{"subject", subject}, {"attributes", attrs}, {"source_priority", source_priority}};
}

Result<Claim> ParseClaim(const Json& j, const std::string& where) {
  if (!j.is_object()) return Status::InvalidArgument(where + "a claim must be an object");
  auto text = [&](const char* field, size_t max) -> Result<std::string> {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string() || it->get<std::string>().empty())
      return Status::InvalidArgument(
          fmt::format("field '{}{}' must be a non-empty string", where, field));
    if (it->get<std::string>().size() > max)
      return Status::InvalidArgument(
          fmt::format("field '{}{}' is longer than {} bytes", where, field, max));
    return it->get<std::string>();
  };
  Claim c;
  LH_ASSIGN_OR_RETURN(c.subject, text("subject", 200));
  LH_ASSIGN_OR_RETURN(c.attribute, text("attribute", 100));
  LH_ASSIGN_OR_RETURN(c.source, text("source", 64));
  LH_ASSIGN_OR_RETURN(c.observed_at, text("observed_at", 40));
  auto ms = ParseRfc3339Millis(c.observed_at);
  if (!ms)
    return Status::InvalidArgument(fmt::format(
        "field '{}observed_at' must be a date (YYYY-MM-DD) or an RFC 3339 time", where));
  c.observed_ms = *ms;
  auto v = j.find("value");
  if (v == j.end())
    return Status::InvalidArgument(fmt::format("field '{}value' is required", where));
  if (v->is_object() || v->is_array())
    return Status::InvalidArgument(
        fmt::format("field '{}value' must be a string, number, boolean or null", where));
  c.value = *v;
  if (auto cf = j.find("confidence"); cf != j.end() && !cf->is_null()) {
    if (!cf->is_number() || cf->get<double>() < 0 || cf->get<double>() > 1)
      return Status::InvalidArgument(
          fmt::format("field '{}confidence' must be a number in 0..1", where));
    c.confidence = cf->get<double>();
  }
  return c;
}

Result<std::unique_ptr<TruthStore>> TruthStore::Open(const std::string& dir,
                                                     std::vector<std::string> priority, KbLog* kb) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  auto t = std::unique_ptr<TruthStore>(new TruthStore(
      (std::filesystem::path(dir) / "claims.log").string(), std::move(priority), kb));
  auto apply = [&](std::string_view body) -> Status {
    LH_ASSIGN_OR_RETURN(Json j, ParseJson(body));
    LH_ASSIGN_OR_RETURN(Claim c, ParseClaim(j));
    c.id = j.value("id", "");
    c.recorded_ms = j.value("recorded_ms", int64_t{0});
    MutexLock lock(t->mu_);  // uncontended: nobody else has the store yet
    if (c.id.rfind("clm_", 0) == 0)
      t->next_id_ = std::max<int64_t>(t->next_id_, std::atoll(c.id.c_str() + 4) + 1);
    t->Apply(std::move(c));
    return Status::OK();
  };
  LH_RETURN_IF_ERROR(RecoverRecords(t->log_, "truth", apply).status());
  return t;
}

void TruthStore::Apply(Claim c) {
  by_subject_[c.subject].push_back(std::move(c));
  ++count_;
}

Result<ClaimsAccepted> TruthStore::Add(std::vector<Claim> claims, const std::string& request_id) {
  ClaimsAccepted accepted;
  {
    MutexLock lock(mu_);
    std::string framed;
    const int64_t now = SystemClock::Get().NowMillis();
    for (auto& c : claims) {
      c.id = fmt::format("clm_{:06d}", next_id_++);
      c.recorded_ms = now;
      Json record = c.ToJson();
      record["recorded_ms"] = now;
      AppendRecord(framed, DumpJson(record));
      accepted.ids.push_back(c.id);
    }
    LH_RETURN_IF_ERROR(AppendDurably(log_, framed));
    for (const auto& c : claims) Apply(c);
  }
  if (kb_ != nullptr) {
    for (const auto& c : claims) {
      Json line = Json::object();
      line["schema"] = KbSchema(KbSource::kTruthClaims);
      line["request_id"] = request_id;
      const Json claim = c.ToJson();
      for (const auto& [k, v] : claim.items()) line[k] = v;
      kb_->Append(KbSource::kTruthClaims, line);
    }
  }
  return accepted;
}

size_t TruthStore::Rank(const std::string& source) const {
  auto it = std::find(priority_.begin(), priority_.end(), source);
  return static_cast<size_t>(it - priority_.begin());  // unlisted: size()
}

Result<Resolution> TruthStore::Resolve(const std::string& subject,
                                       const std::vector<Claim>& extra) const {
  std::vector<Claim> all = extra;
  {
    MutexLock lock(mu_);
    if (auto it = by_subject_.find(subject); it != by_subject_.end())
      all.insert(all.end(), it->second.begin(), it->second.end());
  }
  if (all.empty()) return Status::NotFound(fmt::format("no claims about '{}'", subject));
  // Priority, then recency of the observation, then confidence, then the latest recorded.
  std::sort(all.begin(), all.end(), [&](const Claim& a, const Claim& b) {
    if (a.attribute != b.attribute) return a.attribute < b.attribute;
    const size_t ra = Rank(a.source), rb = Rank(b.source);
    if (ra != rb) return ra < rb;
    if (a.observed_ms != b.observed_ms) return a.observed_ms > b.observed_ms;
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.recorded_ms != b.recorded_ms) return a.recorded_ms > b.recorded_ms;
    return a.id > b.id;
  });
  Resolution out;
  out.subject = subject;
  out.source_priority = priority_;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].attribute == all[i].attribute) ++j;
    ResolvedAttribute a;
    a.winner = all[i];
    a.claims = j - i;
    for (size_t k = i + 1; k < j; ++k)
      if (all[k].value != a.winner.value) a.conflicts.push_back(all[k]);
    out.attributes[a.winner.attribute] = std::move(a);
    i = j;
  }
  return out;
}

size_t TruthStore::size() const {
  MutexLock lock(mu_);
  return count_;
}

std::vector<Claim> RosterClaims(const Catalog& catalog, QueryEngine& query, const SqlLimits& limits,
                                const std::string& subject) {
  std::vector<Claim> out;
  if (subject.rfind("worker:", 0) != 0) return out;
  const std::string id = subject.substr(7);
  if (id.empty()) return out;
  auto manifest = catalog.Get("workers");
  if (!manifest.ok() || manifest->Current() == nullptr) return out;
  ScanOptions so;
  so.params = {id};
  so.timeout = limits.For(1).timeout;
  Json row;
  auto scanned = query.Scan(
      "SELECT phone, email, city, status FROM workers WHERE worker_id = $1 LIMIT 1", so,
      [&](const ScanBatch& b) {
        if (b.rows() > 0 && row.is_null())
          row = Json::array({b[0].Value(0), b[1].Value(0), b[2].Value(0), b[3].Value(0)});
        return Status::OK();
      });
  if (!scanned.ok() || row.is_null()) return out;
  const std::string observed = manifest->Current()->created_at;
  const char* names[] = {"phone", "email", "city", "status"};
  for (size_t i = 0; i < 4; ++i) {
    Claim c;
    c.id = fmt::format("roster:workers@v{}", manifest->current_version);
    c.subject = subject;
    c.attribute = names[i];
    c.value = row[i];
    c.source = "roster";
    c.observed_at = observed;
    c.observed_ms = ParseRfc3339Millis(observed).value_or(0);
    c.confidence = 1.0;
    c.recorded_ms = c.observed_ms;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace lakehouse
