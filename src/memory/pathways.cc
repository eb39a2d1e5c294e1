#include "memory/pathways.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/fields.h"
#include "storage/record_log.h"

namespace lakehouse {

const std::vector<std::string_view>& PathwayStore::StepNames() {
  static const std::vector<std::string_view> names = {
      "retrieved", "proposed", "validated", "emailed", "filled", "cancelled", "ended"};
  return names;
}

Result<PathwayStep> ParsePathwayStep(const Json& body) {
  PathwayStep s;
  LH_ASSIGN_OR_RETURN(s.step, RequiredString(body, "step"));
  bool known = false;
  std::string names;
  for (std::string_view n : PathwayStore::StepNames()) {
    known = known || n == s.step;
    names += (names.empty() ? "" : ", ") + std::string(n);
  }
  if (!known)
    return Status::InvalidArgument(
        fmt::format("field 'step': unknown step '{}'; steps are {}", s.step, names));
  if (auto d = body.find("data"); d != body.end() && !d->is_null()) {
    if (!d->is_object()) return Status::InvalidArgument("field 'data' must be an object");
    s.data = *d;
  }
  LH_ASSIGN_OR_RETURN(auto source, OptionalString(body, "source"));
  s.source = source.value_or("api");
  LH_RETURN_IF_ERROR(CheckLabel("source", s.source, 64));
  return s;
}

Result<std::unique_ptr<PathwayStore>> PathwayStore::Open(const std::string& dir, KbLog* kb) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  auto store = std::unique_ptr<PathwayStore>(new PathwayStore(kb));
  MutexLock lock(store->mu_);  // uncontended: nobody else has the store yet
  LH_ASSIGN_OR_RETURN(
      store->log_,
      SharedRecordLog::Open((std::filesystem::path(dir) / "pathways.log").string(), "pathways",
                            [&](std::string_view body)
                                LH_REQUIRES(store->mu_) { return store->ApplyBody(body); }));
  return store;
}

Status PathwayStore::ApplyBody(std::string_view body) const {
  LH_ASSIGN_OR_RETURN(Json record, ParseJson(body));
  return Apply(record);
}

Status PathwayStore::CatchUp() const {
  // The log calls back while this thread still holds mu_.
  return log_->CatchUp([this](std::string_view body) LH_REQUIRES(mu_) { return ApplyBody(body); });
}

namespace {

// The durable record of a step: the step's fields after the order they belong to. With a
// schema first, its pathway_trace.v1 line.
Json RecordJson(const std::string& order_id, const PathwayStepRecord& r,
                std::string_view schema = {}) {
  Json j = Json::object();
  if (!schema.empty()) j["schema"] = schema;
  j["order_id"] = order_id;
  const Json step = r.ToJson();
  for (auto it = step.begin(); it != step.end(); ++it) j[it.key()] = it.value();
  return j;
}

}  // namespace

Json PathwayStepRecord::ToJson() const {
  Json j = Json::object();
  j["version"] = version;
  j["step"] = step;
  j["at"] = at;
  j["source"] = source;
  j["request_id"] = request_id;
  j["data"] = data;
  return j;
}

Json PathwayAppended::ToJson() const {
  return Json{{"order_id", order_id}, {"version", step.version}, {"step", step.ToJson()}};
}

Json PathwayTrace::ToJson() const {
  Json list = Json::array();
  for (const auto& s : steps) list.push_back(s.ToJson());
  Json out = Json::object();
  out["order_id"] = order_id;
  out["version"] = static_cast<int64_t>(steps.size());
  out["latest_version"] = latest_version;
  out["status"] = steps.empty() ? Json(nullptr) : Json(steps.back().step);
  out["steps"] = std::move(list);
  return out;
}

Status PathwayStore::Apply(const Json& r) const {
  if (!r.is_object() || !r.contains("order_id") || !r.contains("version"))
    return Status::Corruption("pathways log: a record lacks order_id or version");
  auto& steps = traces_[r["order_id"].get<std::string>()];
  if (r["version"].get<int64_t>() != static_cast<int64_t>(steps.size()) + 1)
    return Status::Corruption(fmt::format("pathways log: {} version {} after {}",
                                          r["order_id"].get<std::string>(),
                                          r["version"].get<int64_t>(), steps.size()));
  PathwayStepRecord rec;
  rec.version = r["version"].get<int64_t>();
  rec.step = r.value("step", "");
  rec.at = r.value("at", "");
  rec.source = r.value("source", "");
  rec.request_id = r.value("request_id", "");
  rec.data = r.value("data", Json::object());
  steps.push_back(std::move(rec));
  return Status::OK();
}

Result<PathwayAppended> PathwayStore::Append(const std::string& order_id, const PathwayStep& step) {
  LH_ASSIGN_OR_RETURN(auto stored, AppendSteps(order_id, {step}));
  return PathwayAppended{order_id, std::move(stored.front())};
}

Result<std::vector<PathwayStepRecord>> PathwayStore::AppendSteps(
    const std::string& order_id, const std::vector<PathwayStep>& steps) {
  LH_RETURN_IF_ERROR(CheckLabel("order_id", order_id, 64));
  std::vector<PathwayStepRecord> out;
  out.reserve(steps.size());
  uint64_t written = 0;
  SharedRecordLog* log = nullptr;  // its SyncThrough is thread-safe
  Status failed;                   // a step that could not be written (the ones before stand)
  {
    MutexLock lock(mu_);
    log = log_.get();
    for (const PathwayStep& step : steps) {
      auto make = [&]() LH_REQUIRES(mu_) -> Result<std::string> {
        auto it = traces_.find(order_id);  // caught up with every process's steps
        PathwayStepRecord& r = out.emplace_back();
        r.version = static_cast<int64_t>(it == traces_.end() ? 0 : it->second.size()) + 1;
        r.step = step.step;
        r.at = FormatRfc3339Millis(SystemClock::Get().NowMillis());
        r.source = step.source;
        r.request_id = step.request_id;
        r.data = step.data;
        return DumpJson(RecordJson(order_id, r));
      };
      const size_t stored = out.size();
      auto end = log_->Append(
          [this](std::string_view body) LH_REQUIRES(mu_) { return ApplyBody(body); }, make);
      if (!end.ok()) {
        failed = end.status();
        out.resize(stored);  // the record `make` started is not in the log
        break;
      }
      written = *end;
    }
  }
  if (out.empty()) {
    if (!failed.ok()) return failed;
    return out;
  }
  // Outside the store's mutex: steps appended meanwhile share this sync.
  LH_RETURN_IF_ERROR(log->SyncThrough(written));
  if (kb_ != nullptr)
    for (const PathwayStepRecord& r : out)
      kb_->Append(KbSource::kPathwayTraces,
                  RecordJson(order_id, r, KbSchema(KbSource::kPathwayTraces)));
  if (!failed.ok()) return failed;
  return out;
}

Result<PathwayTrace> PathwayStore::Get(const std::string& order_id,
                                       std::optional<int64_t> version) const {
  MutexLock lock(mu_);
  LH_RETURN_IF_ERROR(CatchUp());
  auto it = traces_.find(order_id);
  if (it == traces_.end())
    return Status::NotFound(fmt::format("no pathway trace for order '{}'", order_id));
  const auto& all = it->second;
  const int64_t latest = static_cast<int64_t>(all.size());
  const int64_t upto = version.value_or(latest);
  if (upto < 1 || upto > latest)
    return Status::NotFound(
        fmt::format("pathway of '{}' has versions 1..{}, not {}", order_id, latest, upto));
  PathwayTrace out;
  out.order_id = order_id;
  out.latest_version = latest;
  out.steps.assign(all.begin(), all.begin() + upto);
  return out;
}

size_t PathwayStore::size() const {
  MutexLock lock(mu_);
  if (Status st = CatchUp(); !st.ok()) spdlog::warn("pathways: {}", st.ToString());
  return traces_.size();
}

uint64_t PathwayStore::syncs() const {
  MutexLock lock(mu_);
  return log_->syncs();
}

}  // namespace lakehouse
