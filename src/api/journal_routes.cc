#include "api/journal_routes.h"

#include <atomic>
#include <cmath>

#include <fmt/format.h>

#include "core/clock.h"
#include "journal/forwarder.h"
#include "journal/journal.h"
#include "journal/observer.h"
#include "journal/truth.h"

namespace lakehouse {
namespace {

Result<JournalQuery> ParseJournalQuery(const HttpRequest& req) {
  JournalQuery q;
  auto time = [&](const char* name) -> Result<std::optional<int64_t>> {
    auto v = req.Query(name);
    if (!v) return std::optional<int64_t>();
    auto ms = ParseRfc3339Millis(*v);
    if (!ms)
      return Status::InvalidArgument(fmt::format(
          "query parameter '{}' must be a date (YYYY-MM-DD) or an RFC 3339 time", name));
    return std::optional<int64_t>(*ms);
  };
  LH_ASSIGN_OR_RETURN(auto after, req.QueryInt("after_seq", 0, INT64_MAX));
  LH_ASSIGN_OR_RETURN(auto limit, req.QueryInt("limit", 1, 10000));
  LH_ASSIGN_OR_RETURN(q.since_ms, time("since"));
  LH_ASSIGN_OR_RETURN(q.until_ms, time("until"));
  q.after_seq = static_cast<uint64_t>(after.value_or(0));
  q.limit = static_cast<size_t>(limit.value_or(100));
  q.type = req.Query("type").value_or("");
  q.subject = req.Query("subject").value_or("");
  return q;
}

Json EventsAnswer(const std::vector<JournalEvent>& events, const JournalQuery& q, uint64_t last) {
  Json list = Json::array();
  for (const auto& e : events) list.push_back(e.ToJson());
  Json out = Json::object();
  out["events"] = std::move(list);
  out["count"] = events.size();
  out["next_after_seq"] = events.empty() ? q.after_seq : events.back().seq;
  out["last_seq"] = last;
  return out;
}

class JournalModule final : public Module {
 public:
  explicit JournalModule(JournalDeps deps) : d_(deps) {}
  std::string Name() const override { return "journal"; }

  void RegisterRoutes(Router& router) override {
    const JournalDeps& s = d_;
    max_followers_ = std::max<int64_t>(1, s.waiting_threads / 2);
    router.Add("GET", "/v1/journal", [s](HttpRequest& req) {
      if (!s.journal) return NotOpenHere("the journal");
      LH_HTTP_ASSIGN(JournalQuery q, ParseJournalQuery(req));
      // Readers see durable events only; make what was appended before this read durable
      // first (one shared fsync), so a client reads its own writes.
      if (Status st = s.journal->Sync(); !st.ok()) return HttpResponse::Error(st);
      LH_HTTP_ASSIGN(auto events, s.journal->Read(q));
      return HttpResponse::FromJson(200, EventsAnswer(events, q, s.journal->durable_seq()));
    });
    router.Add(
        "GET", "/v1/journal/follow",
        [this, s](HttpRequest& req) {
          if (!s.journal) return NotOpenHere("the journal");
          LH_HTTP_ASSIGN(JournalQuery q, ParseJournalQuery(req));
          if (!req.Query("after_seq")) q.after_seq = s.journal->durable_seq();  // what comes next
          LH_HTTP_ASSIGN(auto wait, req.QueryInt("wait_ms", 0, 60000));
          const int64_t wait_ms = wait.value_or(25000);
          // Long polls hold a worker thread: at most half the pool follows at once.
          if (followers_.fetch_add(1) >= max_followers_) {
            followers_.fetch_sub(1);
            return HttpResponse::Error(
                Status(ErrorCode::kRateLimited,
                       fmt::format("at most {} followers at once; retry later", max_followers_)));
          }
          auto events = s.journal->Follow(q, std::chrono::milliseconds(wait_ms));
          followers_.fetch_sub(1);
          if (!events.ok()) return HttpResponse::Error(events.status());
          return HttpResponse::FromJson(200, EventsAnswer(*events, q, s.journal->durable_seq()));
        },
        OnPool(WorkClass::kWaiting));
    // Split services send their events here (journal/forwarder.h); tools may too.
    router.Add("POST", "/v1/journal/events", [s](HttpRequest& req) {
      if (!s.journal) return NotOpenHere("the journal");
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      LH_HTTP_ASSIGN(auto events, ParseEventBatch(body));
      uint64_t first = 0, last = 0;
      for (auto& e : events) {
        last = s.journal->Append(std::move(e));
        if (first == 0) first = last;
      }
      // Acknowledge only what is on disk: a seq in this answer survives a kill -9 (one
      // group-committed fsync shared with concurrent posts).
      if (Status st = s.journal->Sync(); !st.ok())
        return HttpResponse::Error(st.WithContext("the events were not made durable"));
      return HttpResponse::FromJson(200, Json{{"appended", events.size()},
                                              {"first_seq", first},
                                              {"last_seq", last},
                                              {"durable", true}});
    });
    router.Add("GET", "/v1/journal/stats", [s](HttpRequest&) {
      if (!s.journal) return NotOpenHere("the journal");
      return HttpResponse::FromJson(200, s.journal->Stats());
    });
    router.Add("GET", "/v1/observer/series", [s](HttpRequest& req) {
      if (!s.observer) return NotOpenHere("the observer");
      const std::string window = req.Query("window").value_or("15m");
      const int seconds = window == "1m" ? 60 : window == "15m" ? 900 : window == "1h" ? 3600 : 0;
      if (seconds == 0)
        return HttpResponse::Error(Status::InvalidArgument(
            "query parameter 'window' must be 1m, 15m or 1h, not '" + window + "'"));
      return HttpResponse::FromJson(200, s.observer->Series(seconds, 60));
    });
    router.Add("GET", "/v1/observer/summary", [s](HttpRequest&) {
      if (!s.observer) return NotOpenHere("the observer");
      return HttpResponse::FromJson(200, s.observer->Summary());
    });
    router.Add("POST", "/v1/truth/claims", [s](HttpRequest& req) {
      if (!s.truth) return NotOpenHere("truth");
      LH_HTTP_ASSIGN(Json body, ParseJsonObject(req.body));
      std::vector<Claim> claims;
      if (auto list = body.find("claims"); list != body.end()) {
        if (!list->is_array() || list->empty() || list->size() > 1000)
          return HttpResponse::Error(
              Status::InvalidArgument("field 'claims' must be an array of 1..1000 claims"));
        for (size_t i = 0; i < list->size(); ++i) {
          LH_HTTP_ASSIGN(Claim c, ParseClaim((*list)[i], fmt::format("claims[{}].", i)));
          claims.push_back(std::move(c));
        }
      } else {
        LH_HTTP_ASSIGN(Claim c, ParseClaim(body));
        claims.push_back(std::move(c));
      }
      LH_HTTP_ASSIGN(ClaimsAccepted out, s.truth->Add(std::move(claims), req.request_id));
      return HttpResponse::FromJson(201, out.ToJson());
    });
    router.Add("GET", "/v1/truth/{subject}", [s](HttpRequest& req) {
      if (!s.truth) return NotOpenHere("truth");
      const std::string& subject = req.Param("subject");
      LH_HTTP_ASSIGN(Resolution out, s.truth->Resolve(subject, RosterClaims(*s.catalog, *s.query,
                                                                            s.limits, subject)));
      return HttpResponse::FromJson(200, out.ToJson());
    });
  }

 private:
  JournalDeps d_;
  std::atomic<int64_t> followers_{0};
  int64_t max_followers_ = 2;
};

}  // namespace

std::unique_ptr<Module> NewJournalModule(JournalDeps deps) {
  return std::make_unique<JournalModule>(deps);
}
}  // namespace lakehouse
