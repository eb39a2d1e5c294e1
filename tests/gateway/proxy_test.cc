// Tests of src/gateway/proxy: what a client of the gateway sees of a split service that
// answers, is slow, or is gone. The upstream is a real in-test HTTP server.
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/proxy.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using ::testing::HasSubstr;

HttpRequest Request(std::string method, std::string target, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.request_id = "req-proxy-1";
  r.headers = {{"content-type", "text/csv"}, {"authorization", "Bearer t"}};
  return r;
}

TEST(Upstream, ForwardsTheRequestAsItCameAndTheAnswerAsItWent) {
  testing::FakeProvider service([](Router& r) {
    r.Add("GET", "/readyz", [](HttpRequest&) { return HttpResponse::FromJsonText(200, "{}"); });
    r.Add("POST", "/v1/echo", [](HttpRequest& req) {
      Json j = Json::object();
      j["query"] = req.Query("x").value_or("");
      j["body"] = req.body;
      j["content_type"] = std::string(req.Header("content-type"));
      j["authorization"] = std::string(req.Header("authorization"));
      j["request_id"] = req.request_id;
      HttpResponse out = HttpResponse::FromJson(207, j);
      out.headers.emplace_back("X-Service", "echo");
      return out;
    });
  });
  UpstreamOptions o;
  o.service = "sql";
  o.base_url = service.url();
  Upstream up(o);
  up.Start();
  EXPECT_TRUE(up.healthy());
  auto res = Buffered(up.Forward(Request("POST", "/v1/echo?x=1", "a,b\n1,2\n")));
  EXPECT_EQ(res.status, 207);
  EXPECT_EQ(res.content_type, "application/json");
  auto body = Json::parse(res.body);
  EXPECT_EQ(body["query"], "1");
  EXPECT_EQ(body["body"], "a,b\n1,2\n");
  EXPECT_EQ(body["content_type"], "text/csv");
  EXPECT_EQ(body["authorization"], "Bearer t");
  EXPECT_EQ(body["request_id"], "req-proxy-1");  // one id across the hop
  bool header = false;
  for (const auto& [k, v] : res.headers) header = header || (k == "x-service" && v == "echo");
  EXPECT_TRUE(header);
}

TEST(Upstream, ASlowServiceIs504AndAGoneOneIs502Then503) {
  auto service = std::make_unique<testing::FakeProvider>([](Router& r) {
    r.Add("GET", "/readyz", [](HttpRequest&) { return HttpResponse::FromJsonText(200, "{}"); });
    r.Add("GET", "/slow", [](HttpRequest&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      return HttpResponse::FromJsonText(200, "{}");
    });
  });
  UpstreamOptions o;
  o.service = "vector";
  o.base_url = service->url();
  o.timeout = std::chrono::milliseconds(200);
  o.health_interval = std::chrono::milliseconds(60000);  // only requests find out here
  Upstream up(o);
  up.Start();
  auto slow = Buffered(up.Forward(Request("GET", "/slow")));
  EXPECT_EQ(slow.status, 504);
  EXPECT_THAT(slow.body, HasSubstr("the vector service"));
  EXPECT_THAT(slow.body, HasSubstr("did not answer within 200 ms"));
  EXPECT_TRUE(up.healthy());  // slow is not down

  service.reset();
  auto gone = Buffered(up.Forward(Request("GET", "/slow")));
  EXPECT_EQ(gone.status, 502) << gone.body;
  EXPECT_THAT(gone.body, HasSubstr("bad_gateway"));
  EXPECT_FALSE(up.healthy());
  auto next = Buffered(up.Forward(Request("GET", "/slow")));
  EXPECT_EQ(next.status, 503) << next.body;
  EXPECT_THAT(next.body, HasSubstr("is down"));
  EXPECT_EQ(up.StatusJson()["healthy"], false);
}

TEST(UpstreamSet, NodesAreTakenInTurnAndADownOneIsSkipped) {
  auto node = [](std::string name) {
    return std::make_unique<testing::FakeProvider>([name](Router& r) {
      r.Add("GET", "/readyz", [](HttpRequest&) { return HttpResponse::FromJsonText(200, "{}"); });
      r.Add("GET", "/who", [name](HttpRequest&) {
        return HttpResponse::FromJson(200, Json{{"node", name}});
      });
    });
  };
  auto a = node("a"), b = node("b"), c = node("c");
  std::vector<std::unique_ptr<Upstream>> ups;
  std::vector<Upstream*> members;
  for (auto* n : {a.get(), b.get(), c.get()}) {
    UpstreamOptions o;
    o.service = "sql";
    o.base_url = n->url();
    o.health_interval = std::chrono::milliseconds(60000);
    ups.push_back(std::make_unique<Upstream>(o));
    ups.back()->Start();
    members.push_back(ups.back().get());
  }
  UpstreamSet set(members);
  std::map<std::string, int> seen;
  for (int i = 0; i < 9; ++i)
    ++seen[Json::parse(Buffered(set.Forward(Request("GET", "/who"))).body)["node"]];
  EXPECT_EQ(seen, (std::map<std::string, int>{{"a", 3}, {"b", 3}, {"c", 3}}));

  b.reset();  // a node goes away: its one failed request marks it down, then it is skipped
  int failed = 0;
  seen.clear();
  for (int i = 0; i < 12; ++i) {
    auto res = Buffered(set.Forward(Request("GET", "/who")));
    if (res.status != 200) {
      ++failed;
      continue;
    }
    ++seen[Json::parse(res.body)["node"]];
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(seen["b"], 0);
  EXPECT_EQ(seen["a"] + seen["c"], 11);
  EXPECT_LE(std::abs(seen["a"] - seen["c"]), 1);  // its share spread evenly
}

}  // namespace
}  // namespace lakehouse
