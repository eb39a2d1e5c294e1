#include "loadgen/loadgen.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/http_client.h"
#include "loadgen/stall_watch.h"

namespace lakehouse::loadgen {

namespace {

using Clock = std::chrono::steady_clock;

struct Order {
  std::string order_id, role, city, state, shift;
};
struct ValidFill {
  Order order;
  Json worker_ids;
};

// What the checks compare against, read from the target before the load.
struct Fixtures {
  std::vector<Order> orders;
  std::map<std::string, std::vector<Order>> orders_by_role;
  std::map<std::string, int64_t> active_by_role;
  std::vector<ValidFill> fills;  // orders the local planner filled validly
  //! One lock per fill: surge_fill_validate commits a fill and cancels it again, and no
  //! other thread may judge that fill in between (it would see its workers placed).
  std::shared_ptr<std::vector<std::mutex>> fill_locks;
  int64_t embed_dims = 0;
  std::vector<std::string> phrases;
};

// One thread's connection to the target.
class Client {
 public:
  Client(std::string base, double timeout_s, const std::string& api_key) : base_(std::move(base)) {
    opt_.total_timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    if (!api_key.empty()) opt_.headers.emplace_back("Authorization", "Bearer " + api_key);
  }
  // The parsed answer with its status, or an error naming the call.
  Result<std::pair<int, Json>> Call(const std::string& method, const std::string& path,
                                    const Json& body = nullptr) {
    auto r = session_.Request(method, base_ + path, body.is_null() ? "" : body.dump(), opt_);
    if (!r.ok()) return r.status();
    auto j = ParseJson(r->body);
    if (!j.ok())
      return Status::Internal(fmt::format("{} {}: {} answered non-JSON: {}", method, path,
                                          r->status, r->body.substr(0, 120)));
    return std::make_pair(r->status, std::move(*j));
  }

 private:
  std::string base_;
  HttpCallOptions opt_;
  HttpSession session_;
};

// j[key] as a string, "" when absent or not a string (answers are checked, never trusted).
std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
int64_t Int(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

#define LG_EXPECT(cond, ...) \
  if (!(cond)) return Status::Internal(fmt::format(__VA_ARGS__))

Status ExpectStatus(const std::pair<int, Json>& r, int want, std::string_view what) {
  LG_EXPECT(r.first == want, "{}: status {} (want {}): {}", what, r.first, want,
            r.second.dump().substr(0, 200));
  return Status::OK();
}

Result<Fixtures> Setup(Client& c, const LoadgenOptions& opt) {
  Fixtures f;
  LH_ASSIGN_OR_RETURN(auto roster, c.Call("GET", "/v1/validate/roster"));
  if (roster.first == 401 || roster.first == 403)
    return Status::PermissionDenied(fmt::format(
        "the target refused the load generator's {}: pass --key (or LAKEHOUSE_API_KEY) with a key "
        "holding the read and write scopes ({})",
        opt.api_key.empty() ? "missing key" : "key", roster.second.dump().substr(0, 200)));
  LG_EXPECT(roster.first == 200 && roster.second.value("loaded", false),
            "the target's roster is not loaded: {}", roster.second.dump().substr(0, 200));
  LH_ASSIGN_OR_RETURN(
      auto orders,
      c.Call("POST", "/v1/sql",
             Json{{"sql",
                   "SELECT order_id, role, city, state, shift FROM job_orders WHERE status = "
                   "'open' ORDER BY order_id LIMIT 400"}}));
  LH_RETURN_IF_ERROR(ExpectStatus(orders, 200, "setup: open orders"));
  for (const auto& row : orders.second["rows"]) {
    Order o{row[0], row[1], row[2], row[3], row[4]};
    f.orders_by_role[o.role].push_back(o);
    f.orders.push_back(std::move(o));
  }
  LG_EXPECT(!f.orders.empty(), "setup: the target has no open job orders");
  LH_ASSIGN_OR_RETURN(
      auto counts,
      c.Call("POST", "/v1/sql",
             Json{{"sql",
                   "SELECT role, count(*) FROM workers WHERE status = 'active' GROUP BY role"}}));
  LH_RETURN_IF_ERROR(ExpectStatus(counts, 200, "setup: workers by role"));
  for (const auto& row : counts.second["rows"]) f.active_by_role[row[0]] = row[1];
  // Valid fills, from the local planner (deterministic, offline).
  // Enough fills that each client usually has one to itself (surge_fill_validate commits
  // and cancels them), with no worker in two of them: one fill's commit never changes
  // another's verdict.
  const size_t wanted = std::max<size_t>(40, static_cast<size_t>(opt.concurrency) + 10);
  std::set<std::string> taken;
  for (const Order& o : f.orders) {
    if (f.fills.size() >= wanted) break;
    LH_ASSIGN_OR_RETURN(auto it, c.Call("POST", "/v1/iterate",
                                        Json{{"kind", "fill"},
                                             {"task", {{"order_id", o.order_id}}},
                                             {"model", "local/planner"},
                                             {"max_attempts", 1}}));
    if (it.first != 200 || !it.second.value("valid", false)) continue;
    const Json& ids = it.second["final"]["worker_ids"];
    bool shared = false;
    for (const auto& w : ids) shared = shared || taken.count(w.get<std::string>()) != 0;
    if (shared) continue;
    for (const auto& w : ids) taken.insert(w.get<std::string>());
    f.fills.push_back({o, ids});
  }
  LG_EXPECT(!f.fills.empty(), "setup: the local planner found no valid fill in {} open orders",
            f.orders.size());
  f.fill_locks = std::make_shared<std::vector<std::mutex>>(f.fills.size());
  for (const char* role : {"forklift operator", "cna", "welder", "warehouse associate",
                           "package handler", "line cook", "electrician", "phlebotomist"}) {
    for (const char* place : {"Dayton, OH", "Columbus, OH", "Orlando, FL", "Atlanta, GA"})
      f.phrases.push_back(fmt::format("{} needed, nights, near {}", role, place));
  }
  LH_ASSIGN_OR_RETURN(auto e, c.Call("POST", "/v1/embed", Json{{"input", f.phrases[0]}}));
  LH_RETURN_IF_ERROR(ExpectStatus(e, 200, "setup: embed"));
  f.embed_dims = e.second.value("dims", int64_t{0});
  (void)opt;
  return f;
}

// --- the six scenarios: each returns OK or what was wrong ------------------------------

struct Ctx {
  Client& c;
  const Fixtures& f;
  std::mt19937_64& rng;
  std::map<std::string, std::string>& first_embedding;  // this thread's view
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[rng() % v.size()];
  }
};

Status EmbedCached(Ctx& x) {
  const std::string& phrase = x.Pick(x.f.phrases);
  LH_ASSIGN_OR_RETURN(auto r, x.c.Call("POST", "/v1/embed", Json{{"input", phrase}}));
  LH_RETURN_IF_ERROR(ExpectStatus(r, 200, "embed"));
  const Json& emb = r.second["embeddings"];
  LG_EXPECT(
      emb.is_array() && emb.size() == 1 && emb[0].size() == static_cast<size_t>(x.f.embed_dims),
      "embed: expected one vector of {} dims", x.f.embed_dims);
  const std::string text = emb[0].dump();
  auto [it, fresh] = x.first_embedding.emplace(phrase, text);
  LG_EXPECT(fresh || it->second == text, "embed: '{}' embedded differently the second time",
            phrase);
  return Status::OK();
}

Status MatrixRetrieve(Ctx& x) {
  const Order& o = x.Pick(x.f.orders);
  const Json body{{"query", fmt::format("{} {} shift in {}, {}", o.role, o.shift, o.city, o.state)},
                  {"role", o.role},
                  {"corpora", {"workers"}},
                  {"k", 10}};
  LH_ASSIGN_OR_RETURN(auto r, x.c.Call("POST", "/v1/matrix/retrieve", body));
  LH_RETURN_IF_ERROR(ExpectStatus(r, 200, "retrieve"));
  LG_EXPECT(Str(r.second, "role") == o.role, "retrieve: role {} for a {} query",
            r.second.value("role", Json()).dump(), o.role);
  for (const auto& res : r.second["results"]) {
    const std::string role = Str(res["payload"], "role");
    LG_EXPECT(role == o.role, "retrieve: the role gate let {} ({}) into a {} query", Str(res, "id"),
              role, o.role);
  }
  return Status::OK();
}

// A coordinator's surge: validate a fill, commit it, see the same placement refused, then
// cancel it (so the fill stays valid for the next round and the ledger ends as it began).
Status SurgeFillValidate(Ctx& x) {
  size_t i = x.rng() % x.f.fills.size();
  std::unique_lock<std::mutex> held((*x.f.fill_locks)[i], std::try_to_lock);
  for (size_t tries = 0; !held.owns_lock() && tries < x.f.fills.size(); ++tries) {
    i = (i + 1) % x.f.fills.size();
    held = std::unique_lock<std::mutex>((*x.f.fill_locks)[i], std::try_to_lock);
  }
  if (!held.owns_lock()) held = std::unique_lock<std::mutex>((*x.f.fill_locks)[i]);
  const ValidFill& fill = x.f.fills[i];
  const Json payload{{"order_id", fill.order.order_id}, {"worker_ids", fill.worker_ids}};
  const Json good{{"kind", "fill"}, {"payload", payload}};
  LH_ASSIGN_OR_RETURN(auto r, x.c.Call("POST", "/v1/validate", good));
  LH_RETURN_IF_ERROR(ExpectStatus(r, 200, "validate (a valid fill)"));
  LG_EXPECT(r.second.value("valid", false), "validate: a valid fill was judged invalid");
  Json bad = good;
  bad["payload"]["worker_ids"][0] = "W9999999";
  LH_ASSIGN_OR_RETURN(auto b, x.c.Call("POST", "/v1/validate", bad));
  LH_RETURN_IF_ERROR(ExpectStatus(b, 422, "validate (an unknown worker)"));
  bool consistency = false;
  for (const auto& e : b.second["errors"]) consistency = consistency || e.contains("Consistency");
  LG_EXPECT(consistency, "validate: an unknown worker gave no Consistency error: {}",
            b.second.dump().substr(0, 200));
  LH_ASSIGN_OR_RETURN(auto c, x.c.Call("POST", "/v1/fills", payload));
  LH_RETURN_IF_ERROR(ExpectStatus(c, 201, "commit (a valid fill)"));
  const std::string fill_id = Str(c.second, "fill_id");
  LH_ASSIGN_OR_RETURN(auto twice, x.c.Call("POST", "/v1/fills", payload));
  LH_RETURN_IF_ERROR(ExpectStatus(twice, 422, "commit (the same placement again)"));
  LG_EXPECT(twice.second.dump().find(fill_id) != std::string::npos,
            "commit: a double placement was refused without naming fill {}: {}", fill_id,
            twice.second.dump().substr(0, 200));
  LH_ASSIGN_OR_RETURN(
      auto cancel, x.c.Call("DELETE", "/v1/fills/" + fill_id + "?reason=loadgen&source=loadgen"));
  LH_RETURN_IF_ERROR(ExpectStatus(cancel, 200, "cancel"));
  return Status::OK();
}

Status PlaybookRecordReplay(Ctx& x) {
  const ValidFill& fill = x.Pick(x.f.fills);
  const std::string& id = fill.order.order_id;
  const Json steps =
      Json::array({Json{{"tool", "retrieve"},
                        {"args",
                         {{"query", fmt::format("{} {} in {}", fill.order.role, fill.order.shift,
                                                fill.order.city)}}}},
                   Json{{"tool", "propose_fill"},
                        {"args", {{"order_id", id}, {"worker_ids", fill.worker_ids}}}},
                   Json{{"tool", "validate_fill"}, {"args", {{"order_id", id}}}},
                   Json{{"tool", "commit_fill"}, {"args", {{"order_id", id}}}}});
  LH_ASSIGN_OR_RETURN(auto rec,
                      x.c.Call("POST", "/v1/playbooks/record",
                               Json{{"order_id", id}, {"steps", steps}, {"outcome", "filled"}}));
  LG_EXPECT(rec.first == 201 || rec.first == 200, "playbook record: status {}: {}", rec.first,
            rec.second.dump().substr(0, 200));
  const Order& target = x.Pick(x.f.orders_by_role.at(fill.order.role));
  LH_ASSIGN_OR_RETURN(
      auto rep, x.c.Call("POST", "/v1/playbooks/replay", Json{{"order_id", target.order_id}}));
  LH_RETURN_IF_ERROR(ExpectStatus(rep, 200, "playbook replay"));
  const std::string role = Str(rep.second["playbook"]["signature"], "role");
  LG_EXPECT(role == target.role, "playbook replay: a {} playbook for a {} order", role,
            target.role);
  LG_EXPECT(rep.second["steps"].is_array() && !rep.second["steps"].empty() &&
                rep.second["valid"].is_boolean(),
            "playbook replay: no steps or verdict");
  return Status::OK();
}

Status SqlQuery(Ctx& x) {
  auto it = x.f.active_by_role.begin();
  std::advance(it, static_cast<long>(x.rng() % x.f.active_by_role.size()));
  const Json body{{"sql", fmt::format("SELECT count(*) FROM workers WHERE status = 'active' AND "
                                      "role = '{}'",
                                      it->first)}};
  LH_ASSIGN_OR_RETURN(auto r, x.c.Call("POST", "/v1/sql", body));
  LH_RETURN_IF_ERROR(ExpectStatus(r, 200, "sql"));
  const int64_t got = r.second["rows"][0][0].get<int64_t>();
  LG_EXPECT(got == it->second, "sql: {} active {} workers, the setup counted {}", got, it->first,
            it->second);
  return Status::OK();
}

Status MemoryTrace(Ctx& x) {
  const Order& o = x.Pick(x.f.orders);
  static const char* facts[] = {"client asks for steel-toe boots", "gate code changes weekly",
                                "night supervisor is Dana", "parking behind building C",
                                "orientation takes 30 minutes"};
  const Json mem{
      {"subject", "order:" + o.order_id}, {"text", facts[x.rng() % 5]}, {"source", "loadgen"}};
  LH_ASSIGN_OR_RETURN(auto m, x.c.Call("POST", "/v1/memory", mem));
  LG_EXPECT(m.first == 201 || m.first == 200, "memory: status {}: {}", m.first,
            m.second.dump().substr(0, 200));
  const std::string op = Str(m.second, "op");
  LG_EXPECT(op == "ADD" || op == "UPDATE" || op == "NOOP", "memory: op '{}'", op);
  LG_EXPECT(Str(m.second["memory"], "subject") == "order:" + o.order_id,
            "memory: the answer is about another subject");
  LH_ASSIGN_OR_RETURN(
      auto s,
      x.c.Call("POST", "/v1/pathways/" + o.order_id + "/steps",
               Json{{"step", "retrieved"}, {"data", {{"candidates", 10}}}, {"source", "loadgen"}}));
  LH_RETURN_IF_ERROR(ExpectStatus(s, 201, "pathway step"));
  LG_EXPECT(Int(s.second, "version") >= 1 && Str(s.second["step"], "step") == "retrieved",
            "pathway step: {}", s.second.dump().substr(0, 200));
  return Status::OK();
}

using ScenarioFn = Status (*)(Ctx&);

ScenarioFn ScenarioOf(const std::string& name) {
  static const std::map<std::string, ScenarioFn> table = {
      {"embed_cached", EmbedCached},
      {"matrix_retrieve", MatrixRetrieve},
      {"surge_fill_validate", SurgeFillValidate},
      {"playbook_record_replay", PlaybookRecordReplay},
      {"sql_query", SqlQuery},
      {"memory_trace", MemoryTrace}};
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

struct ClassStats {
  std::vector<double> latencies_ms;
  int64_t failures = 0;
  std::vector<std::string> first_failures;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k =
      std::min(v.size() - 1, static_cast<size_t>(std::ceil(p * v.size())) - (p > 0 ? 1 : 0));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

double Round3(double v) {
  return std::round(v * 1000) / 1000;
}

}  // namespace

const std::vector<std::string>& ScenarioClasses() {
  static const std::vector<std::string> names = {"embed_cached",        "matrix_retrieve",
                                                 "surge_fill_validate", "playbook_record_replay",
                                                 "sql_query",           "memory_trace"};
  return names;
}

Status CheckLoopbackTarget(const std::string& url) {
  if (!url.starts_with("http://"))
    return Status::InvalidArgument(fmt::format("--target '{}' must start with http://", url));
  std::string host = url.substr(
      7, url.find('/', 7) == std::string::npos ? std::string::npos : url.find('/', 7) - 7);
  if (host.starts_with("[")) {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  if (host != "127.0.0.1" && host != "localhost" && host != "::1")
    return Status::InvalidArgument(fmt::format(
        "--target host '{}' is not loopback: the load generator only targets 127.0.0.1, ::1 or "
        "localhost",
        host));
  return Status::OK();
}

Result<Json> RunLoadgen(const LoadgenOptions& opt) {
  LH_RETURN_IF_ERROR(CheckLoopbackTarget(opt.target));
  if (opt.concurrency < 1 || opt.concurrency > 1024)
    return Status::InvalidArgument("--concurrency must be 1..1024");
  if (opt.duration_s <= 0 || opt.duration_s > 3600)
    return Status::InvalidArgument("--duration must be within (0, 3600] seconds");
  std::vector<std::string> classes = opt.scenarios.empty() ? ScenarioClasses() : opt.scenarios;
  for (const auto& c : classes)
    if (ScenarioOf(c) == nullptr)
      return Status::InvalidArgument(fmt::format("unknown scenario '{}'; scenarios are {}", c,
                                                 fmt::join(ScenarioClasses(), ", ")));
  std::string base = opt.target;
  while (!base.empty() && base.back() == '/') base.pop_back();

  Client setup_client(base, opt.timeout_s, opt.api_key);
  LH_ASSIGN_OR_RETURN(Fixtures fixtures, Setup(setup_client, opt));
  spdlog::info("loadgen: {} open orders, {} valid fills, {} roles; {} threads for {} s",
               fixtures.orders.size(), fixtures.fills.size(), fixtures.active_by_role.size(),
               opt.concurrency, opt.duration_s);

  std::atomic<int64_t> started{0};
  std::mutex mu;
  std::vector<ClassStats> stats(classes.size());
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::milliseconds(static_cast<int64_t>(opt.duration_s * 1000));
  if (opt.progress != nullptr) {
    opt.progress->Phase("load", 0, "scenarios");
    opt.progress->PlannedSeconds(opt.duration_s);
  }
  auto worker = [&](int64_t index) {
    Client client(base, opt.timeout_s, opt.api_key);
    std::mt19937_64 rng(opt.seed + static_cast<uint64_t>(index));
    std::map<std::string, std::string> first_embedding;
    Ctx ctx{client, fixtures, rng, first_embedding};
    std::vector<ClassStats> local(classes.size());
    while (Clock::now() < deadline) {
      const int64_t n = started.fetch_add(1);
      if (n >= opt.max_scenarios) break;
      const size_t k = static_cast<size_t>(n) % classes.size();
      const auto s0 = Clock::now();
      Status st;
      try {
        st = ScenarioOf(classes[k])(ctx);
      } catch (const std::exception& e) {  // an answer of an unexpected shape
        st = Status::Internal(fmt::format("{}: unexpected answer: {}", classes[k], e.what()));
      }
      local[k].latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - s0).count());
      if (opt.progress != nullptr) opt.progress->Add();
      if (!st.ok()) {
        ++local[k].failures;
        if (local[k].first_failures.size() < 3) local[k].first_failures.push_back(st.message());
      }
    }
    std::lock_guard lock(mu);
    for (size_t k = 0; k < classes.size(); ++k) {
      auto& s = stats[k];
      s.latencies_ms.insert(s.latencies_ms.end(), local[k].latencies_ms.begin(),
                            local[k].latencies_ms.end());
      s.failures += local[k].failures;
      for (auto& f : local[k].first_failures)
        if (s.first_failures.size() < 5) s.first_failures.push_back(std::move(f));
    }
  };
  StallWatch watch;
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < opt.concurrency; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  Json machine_stalls = watch.Report();

  Json by_class = Json::object();
  std::vector<double> all;
  int64_t total_failures = 0;
  for (size_t k = 0; k < classes.size(); ++k) {
    ClassStats& s = stats[k];
    const auto count = static_cast<int64_t>(s.latencies_ms.size());
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    total_failures += s.failures;
    by_class[classes[k]] = Json{
        {"count", count},
        {"rate", Round3(count / elapsed)},
        {"p50_ms", Round3(Percentile(s.latencies_ms, 0.50))},
        {"p95_ms", Round3(Percentile(s.latencies_ms, 0.95))},
        {"p99_ms", Round3(Percentile(s.latencies_ms, 0.99))},
        {"max_ms", Round3(s.latencies_ms.empty()
                              ? 0
                              : *std::max_element(s.latencies_ms.begin(), s.latencies_ms.end()))},
        {"failures", s.failures},
        {"failure_pct", Round3(count ? 100.0 * s.failures / count : 0)},
        {"first_failures", s.first_failures}};
  }
  const auto total = static_cast<int64_t>(all.size());
  return Json{{"schema", "loadgen_report.v1"},
              {"target", opt.target},
              {"concurrency", opt.concurrency},
              {"duration_s", Round3(elapsed)},
              {"classes", by_class},
              {"total",
               {{"count", total},
                {"rate", Round3(total / elapsed)},
                {"p50_ms", Round3(Percentile(all, 0.50))},
                {"p95_ms", Round3(Percentile(all, 0.95))},
                {"p99_ms", Round3(Percentile(all, 0.99))},
                {"max_ms", Round3(all.empty() ? 0 : *std::max_element(all.begin(), all.end()))},
                {"failures", total_failures},
                {"failure_pct", Round3(total ? 100.0 * total_failures / total : 0)}}},
              {"machine_stalls", std::move(machine_stalls)}};
}

std::string ReportTable(const Json& r) {
  std::string out = fmt::format("{:<24}{:>9}{:>10}{:>9}{:>9}{:>9}{:>9}{:>9}\n", "scenario", "count",
                                "rate/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "fail %");
  auto row = [&](const std::string& name, const Json& c) {
    out +=
        fmt::format("{:<24}{:>9}{:>10.1f}{:>9.2f}{:>9.2f}{:>9.2f}{:>9.2f}{:>9.3f}\n", name,
                    c["count"].get<int64_t>(), c["rate"].get<double>(), c["p50_ms"].get<double>(),
                    c["p95_ms"].get<double>(), c["p99_ms"].get<double>(), c["max_ms"].get<double>(),
                    c["failure_pct"].get<double>());
  };
  for (auto it = r["classes"].begin(); it != r["classes"].end(); ++it) row(it.key(), it.value());
  row("total", r["total"]);
  if (r.contains("machine_stalls")) {
    const Json& m = r["machine_stalls"];
    out += fmt::format("machine stalls ({} probe, > {} ms late): {}", m["probe"].get<std::string>(),
                       m["threshold_ms"].get<int64_t>(), m["count"].get<int64_t>());
    if (m["count"].get<int64_t>() > 0) {
      out += fmt::format(", longest {:.0f} ms, at", m["longest_ms"].get<double>());
      for (const Json& st : m["stalls"])
        out += fmt::format(" {:.1f} s ({:.0f} ms)", st["at_s"].get<double>(),
                           st["late_ms"].get<double>());
    }
    out += "\n";
  }
  for (auto it = r["classes"].begin(); it != r["classes"].end(); ++it)
    for (const auto& f : it.value()["first_failures"])
      out += fmt::format("  {} failed: {}\n", it.key(), f.get<std::string>());
  return out;
}

}  // namespace lakehouse::loadgen
