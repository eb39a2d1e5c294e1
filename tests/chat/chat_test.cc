// The chat dispatcher and its provider clients, each against an in-test HTTP server that
// speaks the provider's wire format (no network): success, usage, auth header, retries
// with Retry-After and backoff, non-retryable errors, timeouts, refused connections,
// fallbacks, and the _kb/chat_turns.jsonl line. Plus the offline local/planner.
#include "chat/dispatcher.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "chat/local_planner.h"
#include "support/test_support.h"
#include "validate/roster_fixture.h"

namespace lakehouse {
namespace {

using testing::FakeProvider;

ChatRequest Hello(const std::string& model) {
  ChatRequest r;
  r.model = model;
  r.messages = {{"system", "be brief"}, {"user", "hello"}};
  r.temperature = 0.2;
  return r;
}

// A dispatcher whose sleeps are recorded, not slept.
struct Harness {
  explicit Harness(Config c) : dispatcher(c, nullptr) {
    dispatcher.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d.count()); };
  }
  ChatDispatcher dispatcher;
  std::vector<int64_t> sleeps;
};

TEST(ChatProviders, OllamaWire) {
  FakeProvider fake([](Router& r) {
    r.Add("POST", "/api/chat", [](HttpRequest& req) {
      Json b = Json::parse(req.body);
      EXPECT_EQ(b["model"], "llama3.1");
      EXPECT_EQ(b["stream"], false);
      EXPECT_EQ(b["messages"][1]["content"], "hello");
      EXPECT_DOUBLE_EQ(b["options"]["temperature"].get<double>(), 0.2);
      EXPECT_TRUE(req.Header("authorization").empty());
      return HttpResponse::FromJson(200,
                                    Json{{"model", "llama3.1"},
                                         {"message", {{"role", "assistant"}, {"content", "hi"}}},
                                         {"done", true},
                                         {"done_reason", "stop"},
                                         {"prompt_eval_count", 9},
                                         {"eval_count", 2}});
    });
  });
  Config c;
  c.chat_ollama_url = fake.url();
  Harness h(c);
  auto out = h.dispatcher.Complete(Hello("ollama/llama3.1"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->reply.content, "hi");
  EXPECT_EQ(out->model, "ollama/llama3.1");
  EXPECT_EQ(out->provider, "ollama");
  EXPECT_EQ(out->reply.usage.prompt_tokens, 9);
  EXPECT_EQ(out->reply.usage.completion_tokens, 2);
  EXPECT_EQ(out->attempts, 1);
}

TEST(ChatProviders, OllamaCloudSendsTheKey) {
  FakeProvider fake([](Router& r) {
    r.Add("POST", "/api/chat", [](HttpRequest& req) {
      EXPECT_EQ(req.Header("authorization"), "Bearer cloud-key");
      return HttpResponse::FromJson(
          200, Json{{"message", {{"role", "assistant"}, {"content", "cloud"}}}, {"done", true}});
    });
  });
  Config c;
  c.chat_ollama_cloud_url = fake.url();
  c.chat_ollama_cloud_api_key = "cloud-key";
  Harness h(c);
  auto out = h.dispatcher.Complete(Hello("ollama_cloud/gpt-oss:120b"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->reply.content, "cloud");
}

class OpenAiCompatible : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenAiCompatible, WireAndKey) {
  const std::string provider = GetParam();
  FakeProvider fake([](Router& r) {
    r.Add("POST", "/v1/chat/completions", [](HttpRequest& req) {
      EXPECT_EQ(req.Header("authorization"), "Bearer sk-test");
      Json b = Json::parse(req.body);
      EXPECT_EQ(b["model"], "vendor/model-1");
      EXPECT_EQ(b["messages"].size(), 2u);
      return testing::OpenAiChatReply("compat " + b["model"].get<std::string>());
    });
  });
  Config c;
  const std::string url = fake.url() + "/v1";
  if (provider == "openrouter") c.chat_openrouter_url = url, c.chat_openrouter_api_key = "sk-test";
  if (provider == "kimi") c.chat_kimi_url = url, c.chat_kimi_api_key = "sk-test";
  if (provider == "opencode") c.chat_opencode_url = url, c.chat_opencode_api_key = "sk-test";
  Harness h(c);
  auto out = h.dispatcher.Complete(Hello(provider + "/vendor/model-1"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->reply.content, "compat vendor/model-1");
  EXPECT_EQ(out->reply.usage.prompt_tokens, 100);
  EXPECT_EQ(out->provider, provider);
}

INSTANTIATE_TEST_SUITE_P(Chat, OpenAiCompatible,
                         ::testing::Values("openrouter", "kimi", "opencode"));

Config OpenRouterAt(const std::string& url) {
  Config c;
  c.chat_openrouter_url = url;
  c.chat_openrouter_api_key = "sk-test";
  return c;
}

TEST(ChatDispatch, RetriesA429HonouringRetryAfter) {
  std::atomic<int> calls{0};
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      if (++calls == 1) {
        HttpResponse res = HttpResponse::FromJson(429, Json{{"error", {{"message", "slow down"}}}});
        res.headers.emplace_back("Retry-After", "2");
        return res;
      }
      return testing::OpenAiChatReply("ok");
    });
  });
  Harness h(OpenRouterAt(fake.url()));
  auto out = h.dispatcher.Complete(Hello("openrouter/m"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(out->attempts, 2);
  EXPECT_EQ(h.sleeps, (std::vector<int64_t>{2000}));
}

TEST(ChatDispatch, Retries5xxWithJitteredBackoffThenFallsBack) {
  std::atomic<int> calls{0};
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      ++calls;
      return HttpResponse::FromJson(503, Json{{"error", "overloaded"}});
    });
  });
  Config c = OpenRouterAt(fake.url());
  c.chat_max_retries = 2;
  c.chat_retry_base_ms = 100;
  c.chat_retry_max_ms = 150;
  c.chat_fallback = "local/planner";
  Harness h(c);
  testing::RosterFixture fixture;
  Validators validators;
  RosterStore store(*fixture.services().query, *fixture.services().catalog);
  ASSERT_TRUE(store.Reload().ok());
  h.dispatcher.AddProvider(std::make_unique<LocalPlanner>(store, validators));
  auto out = h.dispatcher.Complete(Hello("openrouter/m"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(calls.load(), 3);  // 1 + 2 retries
  EXPECT_EQ(out->model, "local/planner");
  EXPECT_EQ(out->attempts, 4);
  ASSERT_EQ(out->fallback_from.size(), 1u);
  EXPECT_EQ(out->fallback_from[0]["model"], "openrouter/m");
  EXPECT_NE(out->fallback_from[0]["error"].get<std::string>().find("failed (503): overloaded"),
            std::string::npos);
  ASSERT_EQ(h.sleeps.size(), 2u);
  EXPECT_LE(h.sleeps[0], 100);  // uniform in [0, base]
  EXPECT_LE(h.sleeps[1], 150);  // uniform in [0, min(max, 2 * base)]
}

TEST(ChatDispatch, ClientErrorsAreNotRetried) {
  std::atomic<int> calls{0};
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      ++calls;
      return HttpResponse::FromJson(401, Json{{"error", {{"message", "invalid api key"}}}});
    });
  });
  Harness h(OpenRouterAt(fake.url()));
  auto out = h.dispatcher.Complete(Hello("openrouter/m"));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(out.status().code(), ErrorCode::kBadGateway);
  EXPECT_EQ(out.status().message(),
            "chat provider openrouter rejected the request (401): invalid api key");
  EXPECT_TRUE(h.sleeps.empty());
}

TEST(ChatDispatch, MalformedAnswerIsABadGateway) {
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      return HttpResponse::FromJson(200, Json{{"choices", Json::array()}});
    });
  });
  Config c = OpenRouterAt(fake.url());
  c.chat_max_retries = 0;
  Harness h(c);
  auto out = h.dispatcher.Complete(Hello("openrouter/m"));
  EXPECT_EQ(out.status().code(), ErrorCode::kBadGateway);
  EXPECT_NE(out.status().message().find("answered 200 with no choices"), std::string::npos);
}

TEST(ChatDispatch, TimeoutIsADeadlineNotAHang) {
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions", [&](HttpRequest&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return testing::OpenAiChatReply("late");
    });
  });
  Config c = OpenRouterAt(fake.url());
  c.chat_openrouter_timeout_ms = 200;
  c.chat_max_retries = 0;
  Harness h(c);
  const auto t0 = std::chrono::steady_clock::now();
  auto out = h.dispatcher.Complete(Hello("openrouter/m"));
  EXPECT_EQ(out.status().code(), ErrorCode::kDeadlineExceeded) << out.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400));
}

TEST(ChatDispatch, NothingReachableIsA503NamingEveryProvider) {
  Config c;
  c.chat_ollama_url = "http://127.0.0.1:1";
  c.chat_kimi_url = "http://127.0.0.1:1/v1";
  c.chat_kimi_api_key = "k";
  c.chat_fallback = "kimi/moonshot-v1-8k";
  c.chat_max_retries = 1;
  Harness h(c);
  auto out = h.dispatcher.Complete(Hello("ollama/llama3.1"));
  EXPECT_EQ(out.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(out.status().message().rfind("no chat provider reachable: ollama/llama3.1: chat "
                                         "provider ollama: POST http://127.0.0.1:1/api/chat",
                                         0),
            0u)
      << out.status().message();
  EXPECT_NE(out.status().message().find("kimi/moonshot-v1-8k: chat provider kimi"),
            std::string::npos);
  EXPECT_EQ(h.sleeps.size(), 2u);  // one retry each
}

TEST(ChatDispatch, RoutingErrors) {
  Config c;
  c.chat_openrouter_api_key = "k";
  c.chat_openrouter_models = "openai/gpt-4o-mini, anthropic/claude-3.5-haiku";
  Harness h(c);
  auto r = h.dispatcher.Complete(Hello("nosuch/model"));
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unknown chat provider 'nosuch'"), std::string::npos);
  r = h.dispatcher.Complete(Hello("planner"));
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  r = h.dispatcher.Complete(Hello("kimi/moonshot-v1-8k"));
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "chat provider 'kimi' is not configured: set LAKEHOUSE_CHAT_KIMI_API_KEY (or "
            "MOONSHOT_API_KEY)");
  r = h.dispatcher.Complete(Hello("openrouter/other"));
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(
                "configured: openrouter/openai/gpt-4o-mini, openrouter/anthropic/claude-3.5-haiku"),
            std::string::npos);
  // The first configured model is the default when none is set.
  EXPECT_EQ(h.dispatcher.DefaultModel(), "openrouter/openai/gpt-4o-mini");
  EXPECT_EQ(ChatDispatcher(Config{}, nullptr).DefaultModel(), "local/planner");
}

TEST(ChatDispatch, EveryCallIsAKbLine) {
  testing::TempDir dir;
  KbLog kb(dir.path());
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions",
          [&](HttpRequest&) { return testing::OpenAiChatReply("logged"); });
  });
  ChatDispatcher d(OpenRouterAt(fake.url()), &kb);
  ASSERT_TRUE(d.Complete(Hello("openrouter/m"), {"req-1", "chat", ""}).ok());
  EXPECT_FALSE(d.Complete(Hello("kimi/x"), {"req-2", "iterate", "run_7"}).ok());
  std::istringstream lines(testing::ReadFile(dir.path() / "chat_turns.jsonl"));
  std::string a, b;
  std::getline(lines, a);
  std::getline(lines, b);
  Json ok = Json::parse(a), bad = Json::parse(b);
  EXPECT_EQ(ok["schema"], "chat_turn.v1");
  EXPECT_EQ(ok["request_id"], "req-1");
  EXPECT_EQ(ok["model"], "openrouter/m");
  EXPECT_EQ(ok["response"], "logged");
  EXPECT_EQ(ok["usage"]["total_tokens"], 120);
  EXPECT_EQ(ok["messages"][1]["content"], "hello");
  EXPECT_EQ(ok["ok"], true);
  EXPECT_EQ(bad["ok"], false);
  EXPECT_EQ(bad["origin"], "iterate");
  EXPECT_EQ(bad["run_id"], "run_7");
  EXPECT_EQ(bad["error"]["code"], "unavailable");
  // The key never reaches the log.
  EXPECT_EQ(testing::ReadFile(dir.path() / "chat_turns.jsonl").find("sk-test"), std::string::npos);
}

// ---- local/planner ----

class LocalPlannerTest : public ::testing::Test {
 protected:
  LocalPlannerTest() : store_(*fixture_.services().query, *fixture_.services().catalog) {
    EXPECT_TRUE(store_.Reload().ok());
  }
  testing::RosterFixture fixture_;
  Validators validators_;
  RosterStore store_;
};

TEST_F(LocalPlannerTest, FillPicksEligibleWorkersUpToTheOpenHeadcount) {
  LocalPlanner planner(store_, validators_);
  auto plan = planner.Plan("fill", Json{{"order_id", "O001"}});
  ASSERT_TRUE(plan.ok());
  // Eligible: W001, W002, W012 (same place, rating, reliability: worker_id order); W011 is
  // already on the order, so 2 of the 3 slots are open.
  EXPECT_EQ(plan->dump(), R"({"order_id":"O001","worker_ids":["W001","W002"]})");
  EXPECT_TRUE(validators_.Fill(*store_.Current(), *plan).valid());
}

TEST_F(LocalPlannerTest, EmailAndPlaybookPassTheirValidators) {
  LocalPlanner planner(store_, validators_);
  auto email = planner.Plan("email", Json{{"order_id", "O001"}, {"worker_id", "W002"}});
  ASSERT_TRUE(email.ok());
  auto v = validators_.Email(*store_.Current(), *email);
  EXPECT_TRUE(v.valid()) << v.ToJson().dump() << "\n" << (*email)["body"];
  EXPECT_EQ((*email)["to"], "Ben.Cole@example.com");
  auto playbook = planner.Plan("playbook", Json{{"order_id", "O001"}});
  ASSERT_TRUE(playbook.ok());
  EXPECT_TRUE(validators_.Playbook(*playbook).valid()) << playbook->dump();
}

TEST_F(LocalPlannerTest, AnswersInTheChatShapeWithAFencedBlock) {
  LocalPlanner planner(store_, validators_);
  ChatRequest r;
  r.messages = {
      {"user", "Task:\n```json\n{\"kind\": \"fill\", \"task\": {\"order_id\": \"O001\"}}\n```"}};
  auto call = planner.Complete(r);
  ASSERT_TRUE(call.result.ok());
  EXPECT_EQ(call.result->content.rfind("```json\n", 0), 0u);
  EXPECT_GT(call.result->usage.completion_tokens, 0);
  r.messages = {{"user", "what can you do?"}};
  EXPECT_NE(planner.Complete(r).result->content.find("local/planner"), std::string::npos);
}

}  // namespace
}  // namespace lakehouse
