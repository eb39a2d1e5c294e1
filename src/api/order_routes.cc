#include "api/order_routes.h"

#include <cmath>

#include "core/clock.h"
#include "validate/iterate.h"
#include "validate/ledger.h"
#include "validate/order_board.h"

namespace lakehouse {
namespace {

constexpr size_t kMaxWorkerIds = 500;

int32_t Today() {
  return static_cast<int32_t>(SystemClock::Get().NowMillis() / 86400000);
}

Json RowsJson(const std::vector<LedgerRow>& rows) {
  Json out = Json::array();
  for (const LedgerRow& r : rows) out.push_back(r.ToJson());
  return out;
}

//! The roster row a list needs: WorkerJson plus status and availability.
Json WorkerBrief(const WorkerView& w) {
  Json j = WorkerJson(w);
  j["status"] = WorkerStatusName(w.status);
  j["available"] = w.available;
  return j;
}

Json WorkerDetail(const Roster& roster, uint32_t index) {
  const WorkerView w = roster.Worker(index);
  Json j = WorkerBrief(w);
  Json certs = Json::array();
  for (uint16_t c : roster.Certifications(index)) certs.push_back(roster.CertificationName(c));
  // The roster keeps these as floats: rounded, so 4.9 reads 4.9 and not 4.900000095367432.
  auto round = [](float v, double scale) {
    return std::round(static_cast<double>(v) * scale) / scale;
  };
  j["rating"] = round(w.rating, 100);
  j["reliability"] = round(w.reliability, 1000);
  j["pay_rate"] = round(w.pay_rate, 100);
  j["years_experience"] = w.years_experience;
  j["lat"] = round(w.lat, 1e5);
  j["lon"] = round(w.lon, 1e5);
  j["certifications"] = std::move(certs);
  return j;
}

class OrderModule final : public Module {
 public:
  explicit OrderModule(OrderDeps deps) : d_(deps) {}
  std::string Name() const override { return "orders"; }
  std::string Service() const override { return "validate"; }

  void RegisterRoutes(Router& router) override {
    const RouteOptions read = OnPool(WorkClass::kInteractive, Access::kRead);
    router.Add(
        "GET", "/v1/orders",
        [d = d_](HttpRequest& req) {
          LH_HTTP_ASSIGN(auto roster, d.roster->Require());
          LH_HTTP_ASSIGN(OrderQuery q, ParseOrderQuery(req.query, Today()));
          return HttpResponse::FromJson(200, BuildOrderBoard(*roster, q).ToJson(q));
        },
        read);
    router.Add(
        "GET", "/v1/orders/{order_id}",
        [d = d_](HttpRequest& req) {
          if (d.ledger == nullptr) return NotOpenHere("the fills ledger");
          LH_HTTP_ASSIGN(auto roster, d.roster->Require());
          const std::string& id = req.Param("order_id");
          const OrderRecord* order = roster->FindOrder(id);
          if (order == nullptr)
            return HttpResponse::Error(Status::NotFound("no job order '" + id + "'"));
          // ?today= as on the board (the urgency and days_to_start of another day).
          LH_HTTP_ASSIGN(OrderQuery q, ParseOrderQuery(req.query, Today()));
          Json j = BoardRowOf(*roster, *order, q.today).ToJson(q.today);
          j["lat"] = order->lat;
          j["lon"] = order->lon;
          LedgerFilter f;
          f.order_id = id;
          return HttpResponse::FromJson(
              200, Json{{"order", std::move(j)}, {"placements", RowsJson(d.ledger->List(f))}});
        },
        read);
    router.Add(
        "GET", "/v1/workers",
        [d = d_](HttpRequest& req) {
          LH_HTTP_ASSIGN(auto roster, d.roster->Require());
          const std::string ids = req.Query("ids").value_or("");
          if (ids.empty())
            return HttpResponse::Error(Status::InvalidArgument(
                "query parameter 'ids' is required: worker ids separated by commas"));
          Json workers = Json::array(), missing = Json::array();
          size_t count = 0;
          for (size_t at = 0; at <= ids.size();) {
            size_t comma = ids.find(',', at);
            if (comma == std::string::npos) comma = ids.size();
            const std::string id = ids.substr(at, comma - at);
            at = comma + 1;
            if (id.empty()) continue;
            if (++count > kMaxWorkerIds)
              return HttpResponse::Error(Status::InvalidArgument(
                  fmt::format("query parameter 'ids' names more than {} workers", kMaxWorkerIds)));
            if (auto index = roster->FindWorker(id)) {
              workers.push_back(WorkerBrief(roster->Worker(*index)));
            } else {
              missing.push_back(id);
            }
          }
          return HttpResponse::FromJson(
              200, Json{{"workers", std::move(workers)}, {"missing", missing}});
        },
        read);
    router.Add(
        "GET", "/v1/workers/{worker_id}",
        [d = d_](HttpRequest& req) {
          if (d.ledger == nullptr) return NotOpenHere("the fills ledger");
          LH_HTTP_ASSIGN(auto roster, d.roster->Require());
          const std::string& id = req.Param("worker_id");
          auto index = roster->FindWorker(id);
          if (!index) return HttpResponse::Error(Status::NotFound("no worker '" + id + "'"));
          LedgerFilter f;
          f.worker_id = id;
          return HttpResponse::FromJson(200, Json{{"worker", WorkerDetail(*roster, *index)},
                                                  {"placements", RowsJson(d.ledger->List(f))}});
        },
        read);
  }

 private:
  OrderDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewOrderModule(OrderDeps deps) {
  return std::make_unique<OrderModule>(deps);
}

}  // namespace lakehouse
