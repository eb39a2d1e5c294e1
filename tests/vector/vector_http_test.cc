// End-to-end tests of /v1/indexes... over real HTTP, and of the workers index built at start.
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TestServer;

TEST(VectorHttpTest, IndexLifecycle) {
  TestServer server;
  auto c = server.Client();
  auto created = c.PostJson("/v1/indexes", {{"name", "notes"}, {"dims", 3}, {"metric", "cosine"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["dims"], 3);
  EXPECT_EQ(created.json()["count"], 0);
  EXPECT_EQ(c.PostJson("/v1/indexes", {{"name", "notes"}, {"dims", 3}}).status, 409);
  EXPECT_EQ(c.PostJson("/v1/indexes", {{"name", "bad name"}, {"dims", 3}}).status, 400);
  EXPECT_EQ(c.PostJson("/v1/indexes", {{"name", "x"}, {"dims", 3}, {"metric", "hamming"}}).status,
            400);

  auto up = c.PostJson(
      "/v1/indexes/notes/upsert",
      {{"items",
        {{{"id", "a"}, {"vector", {1, 0, 0}}, {"payload", {{"role", "welder"}, {"state", "TX"}}}},
         {{"id", "b"}, {"vector", {0.9, 0.1, 0}}, {"payload", {{"role", "cna"}, {"state", "OH"}}}},
         {{"id", "c"},
          {"vector", {0, 1, 0}},
          {"payload", {{"role", "welder"}, {"state", "OH"}}}}}}});
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json()["count"], 3);
  auto wrong_dims =
      c.PostJson("/v1/indexes/notes/upsert", {{"items", {{{"id", "d"}, {"vector", {1, 0}}}}}});
  EXPECT_EQ(wrong_dims.status, 400);
  EXPECT_NE(wrong_dims.json()["error"]["message"].get<std::string>().find("2 dimensions"),
            std::string::npos);

  auto s = c.PostJson("/v1/indexes/notes/search", {{"vector", {1, 0, 0}}, {"k", 2}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.json()["results"][0]["id"], "a");
  EXPECT_EQ(s.json()["results"].size(), 2u);
  auto f = c.PostJson("/v1/indexes/notes/search",
                      {{"vector", {1, 0, 0}},
                       {"k", 5},
                       {"filter", {{"role", "welder"}, {"state", {{"in", {"OH"}}}}}}});
  ASSERT_EQ(f.status, 200) << f.body;
  ASSERT_EQ(f.json()["results"].size(), 1u);
  EXPECT_EQ(f.json()["results"][0]["id"], "c");
  EXPECT_EQ(c.PostJson("/v1/indexes/notes/search",
                       {{"vector", {1, 0, 0}}, {"filter", {{"x", {{"between", 1}}}}}})
                .status,
            400);

  EXPECT_EQ(c.Get("/v1/indexes/notes/items/b").json()["payload"]["role"], "cna");
  EXPECT_EQ(c.Request("DELETE", "/v1/indexes/notes/items/b").status, 200);
  EXPECT_EQ(c.Request("DELETE", "/v1/indexes/notes/items/b").status, 404);
  EXPECT_EQ(c.Get("/v1/indexes/notes/items/b").status, 404);
  auto snap = c.Request("POST", "/v1/indexes/notes/snapshot");
  EXPECT_EQ(snap.status, 200) << snap.body;
  EXPECT_EQ(snap.json()["count"], 2);
  EXPECT_EQ(c.PostJson("/v1/indexes/nope/search", {{"vector", {1, 0, 0}}}).status, 404);
  EXPECT_EQ(c.Request("DELETE", "/v1/indexes/notes").status, 200);
  EXPECT_EQ(c.Get("/v1/indexes/notes").status, 404);
}

// `quantization: int8` is declared at create and shown by the index; an unknown name is a
// 400 naming it; a quantized index answers with the float scores.
TEST(VectorHttpTest, AQuantizedIndexIsDeclaredAtCreate) {
  TestServer server;
  auto c = server.Client();
  auto bad = c.PostJson("/v1/indexes", {{"name", "q"}, {"dims", 3}, {"quantization", "int4"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("int4"), std::string::npos) << bad.body;
  auto created = c.PostJson("/v1/indexes", {{"name", "q"}, {"dims", 3}, {"quantization", "int8"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["quantization"], "int8");
  EXPECT_EQ(c.Get("/v1/indexes/q").json()["quantization"], "int8");
  auto up = c.PostJson(
      "/v1/indexes/q/upsert",
      {{"items",
        {{{"id", "a"}, {"vector", {1, 0, 0}}}, {{"id", "b"}, {"vector", {0.6, 0.8, 0}}}}}});
  ASSERT_EQ(up.status, 200) << up.body;
  auto s = c.PostJson("/v1/indexes/q/search", {{"vector", {1, 0, 0}}, {"k", 2}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.json()["results"][0]["id"], "a");
  EXPECT_NEAR(s.json()["results"][0]["score"].get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(s.json()["results"][1]["score"].get<double>(), 0.6, 1e-6);
  EXPECT_EQ(c.PostJson("/v1/indexes", {{"name", "plain"}, {"dims", 3}}).json()["quantization"],
            "none");
}

TEST(VectorHttpTest, TextItemsAndQueriesUseTheIndexModel) {
  TestServer server;
  auto c = server.Client();
  ASSERT_EQ(c.PostJson("/v1/indexes", {{"name", "docs"}}).status, 201);  // dims from hash/default
  auto up = c.PostJson("/v1/indexes/docs/upsert",
                       {{"items",
                         {{{"id", "1"}, {"text", "forklift operator night shift Dayton OH"}},
                          {{"id", "2"}, {"text", "registered nurse ICU Houston TX"}},
                          {{"id", "3"}, {"text", "line cook grill Miami FL"}}}}});
  ASSERT_EQ(up.status, 200) << up.body;
  auto s = c.PostJson("/v1/indexes/docs/search",
                      {{"text", "forklift driver nights in Dayton"}, {"k", 1}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.json()["results"][0]["id"], "1");
}

// `serve` builds the workers index in the background; searches filter on its payload.
TEST(VectorHttpTest, WorkersIndexIsBuiltAtStart) {
  TestServer server(1500, 50);
  auto c = server.Client();
  auto info = c.Get("/v1/indexes/workers");
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(info.json()["count"], 1500);
  auto s = c.PostJson("/v1/indexes/workers/search",
                      {{"text", "forklift operator osha forklift night shift Ohio"},
                       {"k", 10},
                       {"filter", {{"role", "forklift operator"}, {"status", "active"}}}});
  ASSERT_EQ(s.status, 200) << s.body;
  const Json body = s.json();
  ASSERT_EQ(body["results"].size(), 10u);
  for (const auto& r : body["results"]) {
    EXPECT_EQ(r["payload"]["role"], "forklift operator");
    EXPECT_EQ(r["payload"]["status"], "active");
  }
}

}  // namespace
}  // namespace lakehouse
