// A provider client that survives outages (issue 19), each piece against a real upstream
// on loopback: Retry-After as seconds or an HTTP date; the circuit breaker's states; an
// upstream that hangs (no first byte), stalls, drips or refuses; keep-alive connections
// reused; a provider's stream relayed piece by piece as it arrives, with retries and
// fallbacks only before the first piece; the breaker's state where operators look.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "chat/dispatcher.h"
#include "core/circuit_breaker.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/metrics.h"
#include "embed/embedder.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using std::chrono::milliseconds;
using testing::FakeProvider;

// A listener that accepts connections and never answers: an upstream that hangs.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);  // the kernel completes handshakes; nobody reads
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

TEST(ProviderClient, RetryAfterIsSecondsOrAnHttpDate) {
  const int64_t now = 1793000000000;  // 2026-10-26T07:33:20Z
  EXPECT_EQ(ParseRetryAfter("3", now), milliseconds(3000));
  EXPECT_EQ(ParseRetryAfter(" 1.5 ", now), milliseconds(1500));
  // Found by the fuzzer: a huge delay overflowed the conversion to milliseconds.
  EXPECT_EQ(
      ParseRetryAfter(
          "899999999999999999999999999999999999999999999999999999999999999999999999999999999", now),
      milliseconds(86400000));
  EXPECT_EQ(ParseRetryAfter("1e999", now), milliseconds(86400000));
  // An IMF-fixdate 90 s after `now`, and one in the past (no wait).
  EXPECT_EQ(ParseRetryAfter("Mon, 26 Oct 2026 07:34:50 GMT", now), milliseconds(90000));
  EXPECT_EQ(ParseRetryAfter("Mon, 26 Oct 2026 07:00:00 GMT", now), milliseconds(0));
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("-4", now));
  EXPECT_FALSE(ParseRetryAfter("Mon, 26 Oct 2026 07:34:50", now));  // no GMT
}

TEST(ProviderClient, BreakerOpensAfterConsecutiveFailuresThenProbes) {
  FixedClock clock(1000000);
  CircuitBreaker b("chat", "test-breaker", {3, milliseconds(1000), &clock});
  auto gauge = [] {
    return MetricsRegistry::Global()
        .GetGauge("lakehouse_provider_breaker_state", "", {"kind", "provider"},
                  {"chat", "test-breaker"})
        .Value();
  };
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.Allow());
    b.Failure();
  }
  ASSERT_TRUE(b.Allow());
  b.Success();  // a success in between: the count starts again
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.Allow());
    b.Failure();
  }
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(gauge(), 2);
  EXPECT_FALSE(b.Allow());
  EXPECT_EQ(b.ToJson()["retry_in_ms"], 1000);
  clock.Set(1000999);
  EXPECT_FALSE(b.Allow());
  clock.Set(1001000);
  EXPECT_TRUE(b.Allow());  // the probe
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  EXPECT_EQ(gauge(), 1);
  EXPECT_FALSE(b.Allow());  // one probe at a time
  b.Failure();              // the probe failed: open for another cooldown
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.Allow());
  clock.Set(1002000);
  EXPECT_TRUE(b.Allow());
  b.Neutral();  // a 4xx says nothing: the next call may probe
  EXPECT_TRUE(b.Allow());
  b.Success();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  EXPECT_EQ(gauge(), 0);
  EXPECT_EQ(b.ToJson()["state"], "closed");
}

TEST(ProviderClient, AHangingUpstreamFailsAtTheFirstByteTimeoutNotTheTotal) {
  SilentListener silent;
  HttpCallOptions o;
  o.total_timeout = milliseconds(20000);
  o.first_byte_timeout = milliseconds(300);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = HttpPostJson(silent.url() + "/chat/completions", "{}", o);
  const double ms = MsSince(t0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("no answer within the first-byte timeout of 300 ms"),
            std::string::npos)
      << r.status().message();
  EXPECT_GE(ms, 290);
  EXPECT_LT(ms, 5000);
}

// An upstream that sends its header, then one byte every `every` for `total`.
FakeProvider Dripping(milliseconds every, milliseconds total) {
  return FakeProvider([=](Router& r) {
    r.Add(
        "POST", "/drip",
        [=](HttpRequest&) {
          HttpResponse res;
          res.content_type = "text/event-stream";
          res.stream = [=](BodyWriter& w) {
            const auto end = std::chrono::steady_clock::now() + total;
            while (std::chrono::steady_clock::now() < end) {
              if (!w.Write(":")) return;
              std::this_thread::sleep_for(every);
            }
          };
          return res;
        },
        OnPool(WorkClass::kWaiting));
  });
}

TEST(ProviderClient, ADripIsBoundByTheTotalTimeoutAndAStallByTheFirstByteOne) {
  {
    FakeProvider drip = Dripping(milliseconds(50), milliseconds(3000));
    HttpCallOptions o;
    o.total_timeout = milliseconds(700);
    o.first_byte_timeout = milliseconds(300);  // each byte comes well within it
    const auto t0 = std::chrono::steady_clock::now();
    auto r = HttpPostJson(drip.url() + "/drip", "{}", o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded) << r.status().ToString();
    EXPECT_EQ(r.status().message().find("first-byte"), std::string::npos) << r.status().message();
    EXPECT_LT(MsSince(t0), 2500);
  }
  {
    // One byte, then silence: a stall, caught by the same bound.
    FakeProvider stall = Dripping(milliseconds(2000), milliseconds(2500));
    HttpCallOptions o;
    o.total_timeout = milliseconds(20000);
    o.first_byte_timeout = milliseconds(300);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = HttpPostJson(stall.url() + "/drip", "{}", o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kDeadlineExceeded);
    EXPECT_NE(r.status().message().find("the answer stalled"), std::string::npos)
        << r.status().message();
    EXPECT_LT(MsSince(t0), 1900);
  }
}

TEST(ProviderClient, KeepAliveConnectionsAreReusedAcrossCalls) {
  FakeProvider fake([](Router& r) {
    r.Add("POST", "/chat/completions", [](HttpRequest&) { return testing::OpenAiChatReply("ok"); });
  });
  HttpClientPool pool;
  for (int i = 0; i < 5; ++i) {
    auto r = pool.Request("POST", fake.url() + "/chat/completions", "{}", HttpCallOptions{});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->new_connection, i == 0) << i;
  }
  EXPECT_EQ(pool.connections_opened(), 1u);
}

Config OpenRouterAt(const std::string& url) {
  Config c;
  c.chat_openrouter_url = url;
  c.chat_openrouter_api_key = "sk-test";
  return c;
}

// openrouter at `primary`, falling back to kimi at `secondary`.
Config OpenRouterThenKimi(const std::string& primary, const std::string& secondary,
                          const std::string& fallback) {
  Config c = OpenRouterAt(primary);
  c.chat_kimi_url = secondary;
  c.chat_kimi_api_key = "k";
  c.chat_fallback = fallback;
  return c;
}

ChatRequest Hello(const std::string& model) {
  ChatRequest r;
  r.model = model;
  r.messages = {{"user", "hello"}};
  return r;
}

TEST(ChatDispatch, TheBreakerSkipsAFailingProviderThenProbesItBack) {
  std::atomic<int> calls{0};
  std::atomic<bool> down{true};
  FakeProvider primary([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      ++calls;
      if (down) return HttpResponse::FromJson(502, Json{{"error", "upstream down"}});
      return testing::OpenAiChatReply("primary");
    });
  });
  FakeProvider secondary([&](Router& r) {
    r.Add("POST", "/chat/completions",
          [&](HttpRequest&) { return testing::OpenAiChatReply("secondary"); });
  });
  Config c = OpenRouterThenKimi(primary.url(), secondary.url(), "kimi/moonshot");
  c.chat_max_retries = 0;
  c.providers_breaker_failures = 2;
  c.providers_breaker_cooldown_ms = 300;
  ChatDispatcher d(c, nullptr);
  for (int i = 0; i < 2; ++i) {
    auto out = d.Complete(Hello("openrouter/m"));
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->model, "kimi/moonshot");
  }
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(d.BreakerState("openrouter"), "open");
  // Open: skipped at once, without a call, and said so.
  auto skipped = d.Complete(Hello("openrouter/m"));
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(calls.load(), 2);
  EXPECT_NE(skipped->fallback_from[0]["error"].get<std::string>().find(
                "chat provider openrouter is failing: its circuit breaker is open"),
            std::string::npos)
      << skipped->fallback_from.dump();
  const Json providers = d.ProvidersJson()["providers"];
  for (const Json& p : providers) {
    if (p["name"] == "openrouter") {
      EXPECT_EQ(p["breaker"]["state"], "open") << p.dump();
    }
    if (p["name"] == "kimi") {
      EXPECT_EQ(p["breaker"]["state"], "closed") << p.dump();
    }
  }
  EXPECT_NE(MetricsRegistry::Global().RenderPrometheus().find(
                "lakehouse_provider_breaker_state{kind=\"chat\",provider=\"openrouter\"} 2"),
            std::string::npos);
  // After the cooldown one probe goes out; the provider is back, the breaker closes.
  down = false;
  std::this_thread::sleep_for(milliseconds(350));
  auto probed = d.Complete(Hello("openrouter/m"));
  ASSERT_TRUE(probed.ok());
  EXPECT_EQ(probed->model, "openrouter/m");
  EXPECT_EQ(d.BreakerState("openrouter"), "closed");
}

// An OpenAI-compatible upstream streaming SSE: `pieces`, `gap` apart; `fail_after` >= 0
// sends an error event after that many pieces instead of finishing.
FakeProvider StreamingUpstream(std::vector<std::string> pieces, milliseconds gap,
                               std::atomic<int>* calls, int fail_after = -1) {
  return FakeProvider([=](Router& r) {
    r.Add(
        "POST", "/chat/completions",
        [=](HttpRequest& req) {
          ++*calls;
          auto body = ParseJsonObject(req.body);
          EXPECT_TRUE(body.ok() && (*body)["stream"] == true &&
                      (*body)["stream_options"]["include_usage"] == true)
              << req.body;
          HttpResponse res;
          res.content_type = "text/event-stream";
          res.stream = [=](BodyWriter& w) {
            auto event = [&](const Json& j) { return w.Write("data: " + j.dump() + "\n\n"); };
            for (size_t i = 0; i < pieces.size(); ++i) {
              if (static_cast<int>(i) == fail_after) {
                event(Json{{"error", {{"message", "model overloaded"}}}});
                return;
              }
              if (i > 0) std::this_thread::sleep_for(gap);
              event(Json{{"choices", {{{"index", 0}, {"delta", {{"content", pieces[i]}}}}}}});
            }
            event(Json{{"choices",
                        {{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "stop"}}}}});
            event(Json{{"choices", Json::array()},
                       {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 4}}}});
            w.Write("data: [DONE]\n\n");
          };
          return res;
        },
        OnPool(WorkClass::kWaiting));
  });
}

TEST(ChatStream, TheProvidersStreamIsRelayedPieceByPieceAsItArrives) {
  std::atomic<int> calls{0};
  FakeProvider up =
      StreamingUpstream({"Two ", "forklift ", "operators"}, milliseconds(250), &calls);
  ChatDispatcher d(OpenRouterAt(up.url()), nullptr);
  std::vector<std::pair<std::string, double>> got;
  const auto t0 = std::chrono::steady_clock::now();
  auto out = d.Stream(Hello("openrouter/m"), {}, [&](std::string_view piece) {
    got.emplace_back(std::string(piece), MsSince(t0));
    return true;
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, "Two ");
  EXPECT_GE(got[2].second - got[0].second, 400);  // the first piece did not wait for the last
  EXPECT_EQ(out->reply.content, "Two forklift operators");
  EXPECT_EQ(out->reply.finish_reason, "stop");
  EXPECT_EQ(out->reply.usage.completion_tokens, 4);
}

TEST(ChatStream, RetriesAndFallbacksHappenOnlyBeforeTheFirstPiece) {
  std::atomic<int> broken_calls{0}, good_calls{0};
  FakeProvider broken([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      ++broken_calls;
      return HttpResponse::FromJson(503, Json{{"error", "overloaded"}});
    });
  });
  FakeProvider good = StreamingUpstream({"fine"}, milliseconds(0), &good_calls);
  Config c = OpenRouterThenKimi(broken.url(), good.url(), "kimi/m");
  c.chat_max_retries = 1;
  c.chat_retry_base_ms = 1;
  c.chat_retry_max_ms = 2;
  ChatDispatcher d(c, nullptr);
  std::string text;
  auto out = d.Stream(Hello("openrouter/m"), {}, [&](std::string_view p) {
    text += p;
    return true;
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(broken_calls.load(), 2);  // retried: nothing had been relayed
  EXPECT_EQ(out->model, "kimi/m");
  EXPECT_EQ(text, "fine");

  // A failure after the first piece: no retry, no fallback (half an answer was relayed).
  std::atomic<int> mid_calls{0};
  FakeProvider mid = StreamingUpstream({"half ", "an answer"}, milliseconds(0), &mid_calls, 1);
  Config c2 = OpenRouterThenKimi(mid.url(), good.url(), "kimi/m");
  c2.chat_max_retries = 2;
  ChatDispatcher d2(c2, nullptr);
  std::string partial;
  auto failed = d2.Stream(Hello("openrouter/m"), {}, [&](std::string_view p) {
    partial += p;
    return true;
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("failed mid-stream: model overloaded"),
            std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(partial, "half ");
  EXPECT_EQ(mid_calls.load(), 1);
}

TEST(ChatStream, OllamasNdjsonStreamIsRelayedToo) {
  FakeProvider up([](Router& r) {
    r.Add(
        "POST", "/api/chat",
        [](HttpRequest& req) {
          EXPECT_EQ(ParseJsonObject(req.body).value()["stream"], true);
          HttpResponse res;
          res.content_type = "application/x-ndjson";
          res.stream = [](BodyWriter& w) {
            for (const char* p : {"night ", "shift"})
              w.Write(Json{{"message", {{"role", "assistant"}, {"content", p}}}, {"done", false}}
                          .dump() +
                      "\n");
            w.Write(Json{{"message", {{"role", "assistant"}, {"content", ""}}},
                         {"done", true},
                         {"done_reason", "stop"},
                         {"prompt_eval_count", 5},
                         {"eval_count", 2}}
                        .dump() +
                    "\n");
          };
          return res;
        },
        OnPool(WorkClass::kWaiting));
  });
  Config c;
  c.chat_ollama_url = up.url();
  ChatDispatcher d(c, nullptr);
  std::vector<std::string> pieces;
  auto out = d.Stream(Hello("ollama/llama3.2"), {}, [&](std::string_view p) {
    pieces.emplace_back(p);
    return true;
  });
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(pieces, (std::vector<std::string>{"night ", "shift"}));
  EXPECT_EQ(out->reply.content, "night shift");
  EXPECT_EQ(out->reply.usage.prompt_tokens, 5);
}

TEST(EmbedProviders, RetriesThenABreakerLikeChats) {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{true};
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/v1/embeddings", [&](HttpRequest&) {
      // The first call of each pair fails: one retry always gets through.
      if (failing || ++calls % 2 == 1) {
        if (failing) ++calls;
        HttpResponse res = HttpResponse::FromJson(503, Json{{"error", "warming up"}});
        res.headers.emplace_back("Retry-After", "0");
        return res;
      }
      return HttpResponse::FromJson(200,
                                    Json{{"data", {{{"index", 0}, {"embedding", {0.6, 0.8}}}}}});
    });
  });
  RemoteEmbedderOptions o;
  o.base_url = fake.url();  // no path: the /v1 convention is added
  o.max_retries = 1;
  o.retry_base = milliseconds(1);
  o.retry_max = milliseconds(2);
  o.breaker.failures = 4;
  o.breaker.cooldown = milliseconds(60000);
  auto e = MakeOpenAIEmbedder("openai/test-embed", "test-embed", o);
  // Down: each Embed tries twice; the fourth consecutive failure opens the breaker.
  for (int i = 0; i < 2; ++i) {
    auto r = e->Embed(std::vector<std::string>{"forklift"});
    EXPECT_EQ(r.status().code(), ErrorCode::kBadGateway) << r.status().ToString();
  }
  EXPECT_EQ(calls.load(), 4);
  auto refused = e->Embed(std::vector<std::string>{"forklift"});
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("circuit breaker is open"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(calls.load(), 4);  // not called while open

  // A healthy provider whose first answer fails: the retry gets the vector.
  failing = false;
  calls = 0;
  auto fresh = MakeOpenAIEmbedder("openai/test-embed-2", "test-embed", o);
  auto ok = fresh->Embed(std::vector<std::string>{"forklift"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_FLOAT_EQ((*ok)[0][1], 0.8f);
}

}  // namespace
}  // namespace lakehouse
