// bench/chat_dispatch_bench.cc: what Lakehouse adds in front of a model provider.
//
// An in-process OpenAI-compatible upstream (a fixed answer; a three-chunk SSE stream when
// asked) and a `lakehouse serve` whose openrouter provider points at it, both on loopback.
// One client connection (keep-alive, libcurl) sends the same chat request to the upstream
// directly and through Lakehouse's /v1/chat/completions; each iteration is one request.
//   Chat/lakehouse:0 direct, :1 through Lakehouse, :2 local/planner (no upstream)
//                                          whole answer: p50/p99 latency (us)
//   StreamFirstByte/lakehouse:0 direct, :1 through Lakehouse
//                                          stream: true, time to the first byte (us)
// The added figure is lakehouse minus direct, same run (targets: p50 <= 100 us added;
// first byte <= 1 ms added). Run with random interleaving and repetitions:
//   build/bench/chat_dispatch_bench --benchmark_repetitions=5
//     --benchmark_enable_random_interleaving=true --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bench_temp_dir.h"
#include "core/http_client.h"
#include "core/json.h"
#include "gateway/http_server.h"
#include "server/app.h"

namespace lakehouse {
namespace {

const char* kAnswer =
    R"({"id":"c1","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Two forklift operators for the night shift."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17}})";

struct Rig {
  bench::TempDir root;
  Router router;
  std::unique_ptr<HttpServer> upstream;
  std::unique_ptr<App> app;
  std::string upstream_url, lakehouse_url;

  Rig() {
    router.Add(
        "POST", "/chat/completions",
        [](HttpRequest& req) {
          if (req.body.find("\"stream\":true") == std::string::npos)
            return HttpResponse::FromJsonText(200, kAnswer);
          HttpResponse res;
          res.content_type = "text/event-stream";
          res.stream = [](BodyWriter& w) {
            for (const char* piece : {"Two forklift ", "operators for ", "the night shift."})
              w.Write(std::string(R"(data: {"choices":[{"index":0,"delta":{"content":")") + piece +
                      "\"}}]}\n\n");
            w.Write("data: [DONE]\n\n");
          };
          return res;
        },
        OnPool(WorkClass::kWaiting));
    HttpServerOptions o;
    o.port = 0;
    o.access_log = false;
    upstream = std::make_unique<HttpServer>(o, router);
    if (!upstream->Start().ok()) std::abort();
    upstream_url = "http://127.0.0.1:" + std::to_string(upstream->port());
    Config c;
    c.root = root.path;
    c.port = 0;
    c.access_log = false;
    c.chat_openrouter_url = upstream_url;
    c.chat_openrouter_api_key = "sk-bench";
    auto created = App::Create(c);
    if (!created.ok() || !(*created)->Start().ok()) std::abort();
    app = std::move(created).value();
    lakehouse_url = "http://127.0.0.1:" + std::to_string(app->port()) + "/v1";
  }
};

Rig& TheRig() {
  static Rig* r = new Rig();
  return *r;
}

std::string Body(bool stream, const std::string& model = "openrouter/m") {
  Json b{{"model", model},
         {"messages", {{{"role", "user"}, {"content", "two forklift operators, nights"}}}}};
  if (stream) b["stream"] = true;
  return DumpJson(b);
}

void Report(benchmark::State& state, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  if (us.empty()) return;
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
}

// range(0): 0 direct, 1 through Lakehouse, 2 Lakehouse answering itself (local/planner: the
// server, admission and dispatcher without the second HTTP exchange).
void Chat(benchmark::State& state) {
  Rig& rig = TheRig();
  const std::string url =
      (state.range(0) ? rig.lakehouse_url : rig.upstream_url) + "/chat/completions";
  const std::string body = Body(false, state.range(0) == 2 ? "local/planner" : "openrouter/m");
  HttpSession session;
  HttpCallOptions o;
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = session.Request("POST", url, body, o);
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (!r.ok() || r->status != 200) state.SkipWithError("request failed");
  }
  Report(state, us);
}
BENCHMARK(Chat)->ArgName("lakehouse")->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

void StreamFirstByte(benchmark::State& state) {
  Rig& rig = TheRig();
  const std::string url =
      (state.range(0) ? rig.lakehouse_url : rig.upstream_url) + "/chat/completions";
  const std::string body = Body(true);
  HttpSession session;
  HttpCallOptions o;
  std::vector<double> us;
  for (auto _ : state) {
    auto r = session.Request("POST", url, body, o);
    if (!r.ok() || r->status != 200) state.SkipWithError("request failed");
    us.push_back(r->first_byte_ms * 1000);
  }
  Report(state, us);
}
BENCHMARK(StreamFirstByte)->ArgName("lakehouse")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace lakehouse

BENCHMARK_MAIN();
