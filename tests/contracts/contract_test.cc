// The golden-fixture driver: every file under contracts/http/ is a request and the exact
// response it must get from a server over generated data (seed 42, 200 workers, 40 orders).
// A fixture with "setup" (a list of {method, path, body} requests sent first, each of which
// must succeed; [] for a request that itself changes what others could see) gets a fresh
// server of its own, so the state it builds (memories, traces, playbooks) never depends on
// which fixtures ran before it, even when all run in one process. A fixture with "auth"
// ({"scopes": "read"}, or {} for none) gets a server with auth required, and its requests
// carry a key with those scopes. Fields that differ by nature
// (timings, timestamps, request ids) are replaced by "<volatile>" before the comparison.
// A change of wire shape shows up as a fixture diff in review.
//
// To regenerate after an intended change: LAKEHOUSE_UPDATE_CONTRACTS=1 build/lakehouse_tests
// --gtest_filter='Contracts*', then read the diff.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "auth/keys.h"
#include "loadgen/parity.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using testing::ContractsDir;
using testing::HttpClient;
using testing::TestServer;

// The volatile keys and the float rounding are the parity probe's (loadgen/parity.h).
Json Normalize(Json j) {
  return loadgen::NormalizeVolatile(std::move(j), loadgen::VolatileKeys(), /*round_floats=*/true);
}

std::vector<fs::path> Fixtures() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(ContractsDir() / "http"))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class ContractsTest : public ::testing::TestWithParam<fs::path> {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(200, 40, 42); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static TestServer* server_;
};
TestServer* ContractsTest::server_ = nullptr;

testing::HttpResult Send(HttpClient& c, const Json& req, const std::string& key = "") {
  std::string body;
  std::map<std::string, std::string> headers;
  if (!key.empty()) headers["authorization"] = "Bearer " + key;
  if (req.contains("body")) {
    body = req["body"].dump();
    headers["content-type"] = "application/json";
  } else if (req.contains("body_text")) {
    body = req["body_text"].get<std::string>();
  }
  if (req.contains("headers")) {
    for (auto& [k, v] : req["headers"].items()) headers[k] = v.get<std::string>();
  }
  return c.Request(req["method"], req["path"], body, headers);
}

TEST_P(ContractsTest, ResponseMatchesFixture) {
  Json fixture = Json::parse(testing::ReadFile(GetParam()));
  std::unique_ptr<TestServer> own;
  std::string key;
  if (fixture.contains("auth")) {
    // A server with auth required, and a key with the fixture's scopes (none: no key).
    own = std::make_unique<TestServer>(200, 40, 42, [](Config& c) { c.auth = "required"; });
    if (const Json scopes = fixture["auth"].value("scopes", Json()); !scopes.is_null()) {
      auto bits = auth::ParseScopesJson(scopes);
      ASSERT_TRUE(bits.ok()) << bits.status().ToString();
      auto created = own->app().keys().Create("contract", *bits);
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      key = created->secret;
    }
  } else if (fixture.contains("setup")) {
    own = std::make_unique<TestServer>(200, 40, 42);
  }
  HttpClient c = own ? own->Client() : server_->Client();
  for (const Json& step : fixture.value("setup", Json::array())) {
    auto r = Send(c, step, key);
    ASSERT_LT(r.status, 300) << "setup " << step.dump() << " -> " << r.body;
  }
  auto res = Send(c, fixture["request"], key);
  // The key's id is random: messages name it as <key_id>.
  if (const std::string id = auth::KeyIdOf(key); !id.empty()) {
    for (size_t at = res.body.find(id); at != std::string::npos; at = res.body.find(id, at))
      res.body.replace(at, id.size(), "<key_id>");
  }
  Json actual = Json::object();
  actual["status"] = res.status;
  actual["body"] = Normalize(Json::parse(res.body));
  if (std::getenv("LAKEHOUSE_UPDATE_CONTRACTS") != nullptr) {
    fixture["response"] = actual;
    std::ofstream(GetParam()) << fixture.dump(2) << "\n";
    GTEST_SKIP() << "fixture rewritten: " << GetParam();
  }
  EXPECT_EQ(actual["status"], fixture["response"]["status"]) << GetParam();
  EXPECT_EQ(actual["body"], fixture["response"]["body"])
      << GetParam() << "\nactual:   " << actual["body"].dump()
      << "\nexpected: " << fixture["response"]["body"].dump();
}

INSTANTIATE_TEST_SUITE_P(Http, ContractsTest, ::testing::ValuesIn(Fixtures()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           std::string name = info.param.stem().string();
                           for (auto& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace lakehouse
