// Tests of src/embed: the hash embedder, the cache, the service's batching, and the
// ollama/openai clients against in-test HTTP servers speaking their wire formats.
#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "embed/embed_cache.h"
#include "embed/embed_service.h"
#include "gateway/http_server.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

float Cosine(const Embedding& a, const Embedding& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return static_cast<float>(dot / std::sqrt(na * nb));
}

TEST(HashEmbedderTest, DeterministicNormalisedAndSized) {
  HashEmbedder e("hash/default", 384);
  auto a = e.EmbedOne("Forklift operator, night shift");
  auto b = e.EmbedOne("Forklift operator, night shift");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 384u);
  double norm = 0;
  for (float x : a) norm += x * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  HashEmbedder small("hash/x", 64);
  EXPECT_EQ(small.EmbedOne("x").size(), 64u);
  auto empty = e.EmbedOne("");
  EXPECT_EQ(empty, Embedding(384, 0.0f));
}

// Similar texts score higher than unrelated ones: the property retrieval relies on.
TEST(HashEmbedderTest, SimilarTextsScoreHigher) {
  HashEmbedder e("hash/default", 384);
  const auto q = e.EmbedOne("forklift operator night shift Dayton OH");
  const auto near1 = e.EmbedOne("forklift operators nights in Dayton Ohio");
  const auto near2 = e.EmbedOne("forklift operator osha forklift pallet jack Dayton OH night");
  const auto far1 = e.EmbedOne("registered nurse ICU telemetry Houston TX");
  const auto far2 = e.EmbedOne("line cook grill saute food safety Miami FL");
  EXPECT_GT(Cosine(q, near1), Cosine(q, far1));
  EXPECT_GT(Cosine(q, near1), Cosine(q, far2));
  EXPECT_GT(Cosine(q, near2), Cosine(q, far1));
  EXPECT_GT(Cosine(q, near1), 0.3f);
  EXPECT_LT(Cosine(q, far1), 0.2f);
  // Character trigrams make plurals and inflections close.
  EXPECT_GT(Cosine(e.EmbedOne("welder"), e.EmbedOne("welders")),
            Cosine(e.EmbedOne("welder"), e.EmbedOne("cashier")));
}

TEST(EmbedCacheTest, HitsMissesAndLruEviction) {
  // 16 shards share the capacity; entries of 8 floats are ~200 bytes each.
  EmbedCache cache(16 * 700);
  EXPECT_EQ(cache.Get("m", "a"), nullptr);
  cache.Put("m", "a", Embedding(8, 1.0f));
  auto hit = cache.Get("m", "a");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->vector, Embedding(8, 1.0f));
  EXPECT_EQ(hit->json, "[1,1,1,1,1,1,1,1]");
  EXPECT_EQ(cache.Get("other-model", "a"), nullptr);  // keyed by model too
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
  for (int i = 0; i < 500; ++i) cache.Put("m", "text " + std::to_string(i), Embedding(8, 0.5f));
  EXPECT_GT(cache.evictions(), 0u);
  EXPECT_LE(cache.bytes(), 16u * 700u);
  EXPECT_EQ(cache.Get("m", "text 0"), nullptr);    // oldest gone
  EXPECT_NE(cache.Get("m", "text 499"), nullptr);  // newest kept
}

TEST(EmbedCacheTest, ConcurrentUse) {
  EmbedCache cache(1 << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string text = "t" + std::to_string((i * 7 + t) % 300);
        if (!cache.Get("m", text)) cache.Put("m", text, Embedding(16, static_cast<float>(i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(cache.hits() + cache.misses(), 8000u);
  EXPECT_LE(cache.entries(), 300u);
}

Config EmbedConfig() {
  Config c;
  c.embed_hash_dims = 32;
  return c;
}

TEST(EmbedServiceTest, BatchKeepsOrderAndMarksCached) {
  EmbedService svc(EmbedConfig());
  std::vector<std::string> first = {"alpha", "beta"};
  auto r1 = svc.Embed("", first);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->model, "hash/default");
  EXPECT_EQ(r1->dims, 32);
  EXPECT_EQ(r1->cached, (std::vector<bool>{false, false}));
  std::vector<std::string> second = {"gamma", "alpha", "gamma", "beta"};
  auto r2 = svc.Embed("hash/default", second);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->cached, (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(r2->items[1]->vector, r1->items[0]->vector);
  EXPECT_EQ(r2->items[0]->vector, r2->items[2]->vector);
  auto all_cached = svc.TryCached("", second);
  ASSERT_TRUE(all_cached.has_value());
  EXPECT_EQ(all_cached->cached, (std::vector<bool>(4, true)));
  std::vector<std::string> fresh = {"delta"};
  EXPECT_FALSE(svc.TryCached("", fresh).has_value());
  Json j = Json::parse(r2->ToJsonText());
  EXPECT_EQ(j["embeddings"].size(), 4u);
  EXPECT_EQ(j["embeddings"][0].size(), 32u);
}

TEST(EmbedServiceTest, ModelErrors) {
  EmbedService svc(EmbedConfig());
  std::vector<std::string> one = {"x"};
  EXPECT_EQ(svc.Embed("nomodel", one).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(svc.Embed("faiss/x", one).status().code(), ErrorCode::kInvalidArgument);
  auto ollama = svc.Embed("ollama/nomic-embed-text", one);
  EXPECT_EQ(ollama.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(ollama.status().message().find("embed.ollama_url"), std::string::npos);
  EXPECT_EQ(svc.Embed("", std::vector<std::string>{}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      svc.Embed("", std::vector<std::string>(EmbedService::kMaxInputs + 1, "x")).status().code(),
      ErrorCode::kInvalidArgument);
}

// An in-test provider: our own HTTP server with routes that speak the provider's wire.
using testing::FakeProvider;

TEST(RemoteEmbedderTest, OllamaBatchesMissesInOneCall) {
  std::atomic<int> calls{0};
  std::atomic<int> last_batch{0};
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/api/embed", [&](HttpRequest& req) {
      ++calls;
      Json body = Json::parse(req.body);
      EXPECT_EQ(body["model"], "nomic-embed-text");
      Json out = {{"model", "nomic-embed-text"}, {"embeddings", Json::array()}};
      last_batch = static_cast<int>(body["input"].size());
      for (const auto& t : body["input"]) {
        const float len = static_cast<float>(t.get<std::string>().size());
        out["embeddings"].push_back({len, 1.0f, 0.5f});
      }
      return HttpResponse::FromJson(200, out);
    });
  });
  Config c = EmbedConfig();
  c.embed_ollama_url = fake.url();
  EmbedService svc(c);
  std::vector<std::string> texts = {"a", "bbb", "a", "cc"};
  auto r = svc.Embed("ollama/nomic-embed-text", texts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(last_batch.load(), 3);  // duplicates sent once
  EXPECT_EQ(r->dims, 3);
  EXPECT_EQ(r->items[1]->vector, (Embedding{3.0f, 1.0f, 0.5f}));
  EXPECT_EQ(r->items[3]->vector, (Embedding{2.0f, 1.0f, 0.5f}));
  std::vector<std::string> again = {"cc", "dddd"};
  auto r2 = svc.Embed("ollama/nomic-embed-text", again);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(last_batch.load(), 1);
  EXPECT_EQ(r2->cached, (std::vector<bool>{true, false}));
}

TEST(RemoteEmbedderTest, OpenAIOrdersByIndexAndSendsKey) {
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/v1/embeddings", [&](HttpRequest& req) {
      EXPECT_EQ(req.Header("authorization"), "Bearer sk-test");
      Json body = Json::parse(req.body);
      Json data = Json::array();
      // Answer in reverse order: the client must place vectors by "index".
      for (int i = static_cast<int>(body["input"].size()) - 1; i >= 0; --i) {
        data.push_back(
            {{"object", "embedding"}, {"index", i}, {"embedding", {static_cast<float>(i), 0.0f}}});
      }
      return HttpResponse::FromJson(200, {{"object", "list"}, {"data", data}});
    });
  });
  Config c = EmbedConfig();
  c.embed_openai_url = fake.url();
  c.embed_openai_api_key = "sk-test";
  EmbedService svc(c);
  std::vector<std::string> texts = {"x", "y", "z"};
  auto r = svc.Embed("openai/text-embedding-3-small", texts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->items[0]->vector[0], 0.0f);
  EXPECT_EQ(r->items[2]->vector[0], 2.0f);
}

TEST(RemoteEmbedderTest, FailuresNameTheProvider) {
  FakeProvider fake([&](Router& r) {
    r.Add("POST", "/api/embed", [](HttpRequest&) {
      return HttpResponse::FromJson(500, {{"error", "model not loaded"}});
    });
    r.Add("POST", "/v1/embeddings", [](HttpRequest&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return HttpResponse::FromJson(200, Json::object());
    });
  });
  Config c = EmbedConfig();
  c.embed_ollama_url = fake.url();
  c.embed_openai_url = fake.url();
  c.embed_timeout_ms = 300;
  EmbedService svc(c);
  std::vector<std::string> one = {"x"};
  auto bad = svc.Embed("ollama/m", one);
  EXPECT_EQ(bad.status().code(), ErrorCode::kBadGateway);
  EXPECT_NE(bad.status().message().find("ollama answered HTTP 500"), std::string::npos);
  auto slow = svc.Embed("openai/m", one);
  EXPECT_EQ(slow.status().code(), ErrorCode::kDeadlineExceeded) << slow.status().ToString();
  Config down = EmbedConfig();
  down.embed_ollama_url = "http://127.0.0.1:1";  // nothing listens there
  EmbedService svc2(down);
  auto refused = svc2.Embed("ollama/m", one);
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("ollama unreachable"), std::string::npos);
}

TEST(EmbedHttpTest, EmbedEndpoint) {
  testing::TestServer server;
  auto c = server.Client();
  auto one = c.PostJson("/v1/embed", {{"input", "forklift operator"}});
  ASSERT_EQ(one.status, 200) << one.body;
  Json j = one.json();
  EXPECT_EQ(j["model"], "hash/default");
  EXPECT_EQ(j["dims"], 384);
  EXPECT_EQ(j["embeddings"][0].size(), 384u);
  EXPECT_EQ(j["cached"], Json::parse("[false]"));
  auto again = c.PostJson("/v1/embed", {{"input", Json::array({"forklift operator"})}});
  EXPECT_EQ(again.json()["cached"], Json::parse("[true]"));
  EXPECT_EQ(again.json()["embeddings"], j["embeddings"]);
  auto batch = c.PostJson("/v1/embed", {{"input", {"a", "forklift operator", "b"}}});
  EXPECT_EQ(batch.json()["cached"], Json::parse("[false,true,false]"));
  EXPECT_EQ(c.PostJson("/v1/embed", {{"input", 5}}).status, 400);
  EXPECT_EQ(c.PostJson("/v1/embed", {{"input", {"a", 1}}}).status, 400);
  EXPECT_EQ(c.PostJson("/v1/embed", Json::object()).status, 400);
  EXPECT_EQ(c.PostJson("/v1/embed", {{"input", "x"}, {"model", "ollama/x"}}).status, 503);
  auto metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("lakehouse_embed_cache_hits_total"), std::string::npos);
}

}  // namespace
}  // namespace lakehouse
