// Tests of src/gateway/http: route matching, parameters, 405 detection, URL decoding.
#include <gtest/gtest.h>

#include "gateway/http.h"

namespace lakehouse {
namespace {

HttpHandler Named(std::string name) {
  return [name](HttpRequest&) { return HttpResponse::Text(200, name); };
}

TEST(RouterTest, MatchesLiteralsBeforeParameters) {
  Router r;
  r.Add("GET", "/v1/datasets", Named("list"));
  r.Add("GET", "/v1/datasets/{name}", Named("one"));
  r.Add("POST", "/v1/datasets/{name}/ingest", Named("ingest"));
  r.Add("GET", "/v1/datasets/special", Named("special"));
  auto m = r.Find("GET", "/v1/datasets/workers");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/datasets/{name}");
  EXPECT_EQ(m.params.at("name"), "workers");
  EXPECT_EQ(r.Find("GET", "/v1/datasets/special").route->pattern, "/v1/datasets/special");
  EXPECT_EQ(r.Find("GET", "/v1/datasets/").route->pattern, "/v1/datasets");
  EXPECT_EQ(r.Find("POST", "/v1/datasets/a%20b/ingest").params.at("name"), "a b");
  EXPECT_EQ(r.Find("GET", "/v2/x").route, nullptr);
  EXPECT_THROW(r.Add("GET", "/v1/datasets", Named("dup")), std::logic_error);
}

TEST(RouterTest, ReportsAllowedMethodsForWrongMethod) {
  Router r;
  r.Add("POST", "/v1/sql", Named("sql"));
  auto m = r.Find("GET", "/v1/sql");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed_methods, std::vector<std::string>{"POST"});
}

TEST(HttpTest, QueryStringAndPercentDecoding) {
  auto q = ParseQueryString("format=csv&filename=my%20file.csv&x=a+b&flag");
  EXPECT_EQ(q.at("format"), "csv");
  EXPECT_EQ(q.at("filename"), "my file.csv");
  EXPECT_EQ(q.at("x"), "a b");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

TEST(HttpTest, ErrorResponsesUseTheEnvelope) {
  auto r = HttpResponse::Error(Status::PayloadTooLarge("too big"));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"too big\"}}\n");
}

}  // namespace
}  // namespace lakehouse
