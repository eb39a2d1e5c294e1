// The OpenAI- and Ollama-compatible routes' streaming and provider health on the real
// server (the official SDKs judge the shapes in tests/sdk; these pin what they cannot
// see): a chunked event stream that ends with [DONE], an error before the first byte as an
// ordinary answer in OpenAI's shape, NDJSON for Ollama, the time to first byte in /metrics
// and the access log, and the breaker's state in /v1/chat/providers and /v1/models.
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

int Events(const std::string& body) {
  int n = 0;
  for (size_t at = body.find("data: {"); at != std::string::npos; at = body.find("data: {", at + 1))
    ++n;
  return n;
}

TEST(OpenAiWire, AStreamIsChunkedEventsEndingWithDone) {
  testing::TestServer server(200, 40);
  auto c = server.Client();
  const Json ask{{"model", "local/planner"},
                 {"stream", true},
                 {"stream_options", {{"include_usage", true}}},
                 {"messages", {{{"role", "user"}, {"content", "need 2 forklift operators"}}}}};
  auto r = c.PostJson("/v1/chat/completions", ask);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/event-stream");
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(r.headers["cache-control"], "no-cache");
  EXPECT_GE(Events(r.body), 4);  // pieces, the finish chunk, the usage chunk
  EXPECT_EQ(r.body.substr(r.body.size() - 14), "data: [DONE]\n\n");
  const Json first = Json::parse(r.body.substr(6, r.body.find("\n\n") - 6));
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  const size_t usage_at = r.body.rfind("data: {");
  const Json usage =
      Json::parse(r.body.substr(usage_at + 6, r.body.find("\n\n", usage_at) - usage_at - 6));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_GT(usage["usage"]["total_tokens"].get<int>(), 0);
  // The connection stays usable after a streamed answer.
  EXPECT_EQ(c.Get("/healthz").status, 200);
  const std::string metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("lakehouse_http_first_byte_seconds_count{method=\"POST\",route=\"/v1/"
                         "chat/completions\"} 1"),
            std::string::npos);
}

TEST(OpenAiWire, AFailureBeforeTheFirstByteIsAnOrdinaryErrorAnswer) {
  testing::TestServer server;
  auto c = server.Client();
  auto r = c.PostJson("/v1/chat/completions",
                      Json{{"model", "kimi/moonshot-v1-8k"},
                           {"stream", true},
                           {"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  const Json e = r.json();
  EXPECT_NE(e["error"]["message"].get<std::string>().find("chat provider 'kimi' is not configured"),
            std::string::npos)
      << r.body;
  EXPECT_TRUE(e["error"].contains("type"));
}

TEST(OllamaWire, AStreamIsNdjsonEndingWithDone) {
  testing::TestServer server(200, 40);
  auto r = server.Client().PostJson(
      "/api/chat",
      Json{{"model", "local/planner"},
           {"messages", {{{"role", "user"}, {"content", "need 2 forklift operators"}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/x-ndjson");
  std::vector<Json> lines;
  for (size_t at = 0, nl; (nl = r.body.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(Json::parse(r.body.substr(at, nl - at)));
  ASSERT_GE(lines.size(), 3u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i]["done"], false);
  EXPECT_EQ(lines.back()["done"], true);
  EXPECT_EQ(lines.back()["model"], "local/planner");
}

TEST(OpenAiWire, ProviderHealthIsInProvidersAndModels) {
  testing::FakeProvider fake([](Router& r) {
    r.Add("POST", "/chat/completions", [](HttpRequest&) { return testing::OpenAiChatReply("ok"); });
  });
  testing::TestServer server(0, 0, 42, [&](Config& c) {
    c.chat_openrouter_url = fake.url();
    c.chat_openrouter_api_key = "sk-test";
    c.chat_openrouter_models = "vendor/m1";
  });
  auto c = server.Client();
  const Json providers = c.Get("/v1/chat/providers").json();
  bool seen = false;
  for (const Json& p : providers["providers"]) {
    if (p["name"] != "openrouter") continue;
    seen = true;
    EXPECT_EQ(p["breaker"]["state"], "closed");
    EXPECT_EQ(p["breaker"]["failures_to_open"], 5);
  }
  EXPECT_TRUE(seen) << providers.dump();
  const Json models = c.Get("/v1/models").json();
  bool listed = false;
  for (const Json& m : models["data"]) {
    if (m["id"] != "openrouter/vendor/m1") continue;
    listed = true;
    EXPECT_EQ(m["lakehouse"]["breaker"], "closed") << m.dump();
  }
  EXPECT_TRUE(listed) << models.dump();
}

}  // namespace
}  // namespace lakehouse
