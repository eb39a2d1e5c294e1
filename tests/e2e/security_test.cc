// The doors (docs/SECURITY.md), tried against the real server the way an attacker on the
// same machine, a web page in a coordinator's browser, or a greedy client would: API keys
// and scopes, revocation at once, cross-site and DNS-rebinding requests, media types, rate
// and concurrency limits, HTTPS with a certificate made here, refusing an open network,
// split services behind a gateway, and accountability (journal, metrics, no secret on disk).
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/keys.h"
#include "core/metrics.h"
#include "loadgen/parity.h"
#include "staffing/generator.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using testing::FakeProvider;
using ::testing::HasSubstr;
using testing::HttpClient;
using testing::HttpResult;
using testing::TempDir;
using testing::TestServer;

using Headers = std::map<std::string, std::string>;

Headers Bearer(const std::string& key, Headers more = {}) {
  more["authorization"] = "Bearer " + key;
  return more;
}

std::string ErrorCode(const HttpResult& r) {
  return r.json()["error"]["code"].get<std::string>();
}

std::string ErrorMessage(const HttpResult& r) {
  return r.json()["error"]["message"].get<std::string>();
}

std::unique_ptr<TestServer> AuthServer(const std::function<void(Config&)>& more = nullptr) {
  return std::make_unique<TestServer>(200, 40, 42, [&](Config& c) {
    c.auth = "required";
    if (more) more(c);
  });
}

std::string NewKey(TestServer& s, const std::string& scopes, double rate = 0,
                   int64_t concurrency = 0) {
  auto k =
      s.app().keys().Create("test-" + scopes, auth::ParseScopes(scopes).value(), rate, concurrency);
  if (!k.ok()) throw std::runtime_error(k.status().ToString());
  return k->secret;
}

double MetricValue(const std::string& text, const std::string& series) {
  for (size_t at = text.find(series); at != std::string::npos; at = text.find(series, at + 1)) {
    if (at > 0 && text[at - 1] != '\n') continue;
    const size_t sp = text.find(' ', at + series.size());
    if (sp == std::string::npos || text.compare(at, series.size(), series) != 0) continue;
    if (sp != at + series.size()) continue;
    return std::stod(text.substr(sp + 1, text.find('\n', sp) - sp - 1));
  }
  return 0;
}

std::string FilesUnder(const fs::path& root) {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) all += testing::ReadFile(e.path());
  return all;
}

TEST(Security, WithAuthRequiredEveryRouteButHealthNeedsAKey) {
  auto s = AuthServer();
  HttpClient c = s->Client();
  EXPECT_EQ(c.Get("/healthz").status, 200);
  EXPECT_EQ(c.Get("/readyz").status, 200);
  EXPECT_EQ(c.Get("/metrics").status, 200);  // server.metrics_public defaults to true
  EXPECT_EQ(c.Get("/").status, 200);         // the console's page asks for the key itself

  auto none = c.Get("/v1/datasets");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  EXPECT_THAT(ErrorMessage(none), HasSubstr("Authorization: Bearer"));
  EXPECT_THAT(ErrorMessage(none), HasSubstr("lakehouse keys create"));
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"lakehouse\"");

  auto basic = c.Request("GET", "/v1/datasets", "", {{"authorization", "Basic dXNlcjpwdw=="}});
  EXPECT_EQ(basic.status, 401);
  auto malformed = c.Request("GET", "/v1/datasets", "", Bearer("sk-anything"));
  EXPECT_EQ(malformed.status, 401);
  EXPECT_THAT(ErrorMessage(malformed), HasSubstr("malformed"));

  const std::string read = NewKey(*s, "read");
  std::string forged = read;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  auto wrong = c.Request("GET", "/v1/datasets", "", Bearer(forged));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorMessage(wrong), "the API key is not valid");

  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(read)).status, 200);
  // Unknown routes are 404 whoever asks.
  EXPECT_EQ(c.Get("/v1/nothing-here").status, 404);
}

TEST(Security, ScopesDecideWhatAKeyMayDo) {
  auto s = AuthServer();
  HttpClient c = s->Client();
  const std::string read = NewKey(*s, "read"), write = NewKey(*s, "write"),
                    admin = NewKey(*s, "admin");
  const std::string csv = "worker_id,name\nW1,Ann\n";
  const Headers csv_type = {{"content-type", "text/csv"}};

  // read: GETs and the read-only POSTs.
  EXPECT_EQ(c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1 AS x"})", Bearer(read)).status, 200);
  EXPECT_EQ(c.Request("POST", "/v1/embed", R"({"input":"forklift"})", Bearer(read)).status, 200);
  // ... but never a change: a read key is refused on ingest, naming the scope.
  auto ingest = c.Request("POST", "/v1/datasets/notes/ingest", csv, Bearer(read, csv_type));
  EXPECT_EQ(ingest.status, 403);
  EXPECT_EQ(ErrorCode(ingest), "permission_denied");
  EXPECT_THAT(ErrorMessage(ingest), HasSubstr("lacks the 'write' scope"));
  EXPECT_THAT(ErrorMessage(ingest), HasSubstr("POST /v1/datasets/{name}/ingest"));
  EXPECT_EQ(c.Request("GET", "/v1/datasets/notes", "", Bearer(read)).status, 404);  // not landed

  // write: changes, but not reads (scopes are independent) nor administration.
  EXPECT_EQ(c.Request("POST", "/v1/datasets/notes/ingest", csv, Bearer(write, csv_type)).status,
            201);
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(write)).status, 403);
  auto drop = c.Request("DELETE", "/v1/indexes/workers", "", Bearer(write));
  EXPECT_EQ(drop.status, 403);
  EXPECT_THAT(ErrorMessage(drop), HasSubstr("'admin'"));
  EXPECT_EQ(c.Request("POST", "/v1/fills/compact", "", Bearer(write)).status, 403);
  EXPECT_EQ(c.Request("GET", "/v1/admin/keys", "", Bearer(read)).status, 403);

  // admin: keys. A key made through the API works at once and dies at once.
  auto made = c.Request("POST", "/v1/admin/keys", R"({"name":"etl","scopes":["read","write"]})",
                        Bearer(admin));
  ASSERT_EQ(made.status, 201) << made.body;
  const Json k = made.json();
  const std::string etl = k["key"].get<std::string>();
  EXPECT_EQ(k["scopes"], Json::array({"read", "write"}));
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(etl)).status, 200);
  auto list = c.Request("GET", "/v1/admin/keys", "", Bearer(admin));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(etl), std::string::npos);  // never a secret again
  EXPECT_EQ(list.json()["keys"].size(), 4u);
  auto revoked =
      c.Request("DELETE", "/v1/admin/keys/" + k["id"].get<std::string>(), "", Bearer(admin));
  ASSERT_EQ(revoked.status, 200);
  EXPECT_FALSE(revoked.json()["revoked_at"].is_null());
  auto after = c.Request("GET", "/v1/datasets", "", Bearer(etl));
  EXPECT_EQ(after.status, 401);
  EXPECT_THAT(ErrorMessage(after), HasSubstr("revoked"));
  EXPECT_EQ(c.Request("DELETE", "/v1/admin/keys/ffffffffffff", "", Bearer(admin)).status, 404);
  auto bad =
      c.Request("POST", "/v1/admin/keys", R"({"name":"x","scopes":["root"]})", Bearer(admin));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(ErrorMessage(bad), HasSubstr("'root'"));
}

TEST(Security, ARevocationFromTheCommandLineIsRefusedByTheNextRequest) {
  auto s = AuthServer();
  HttpClient c = s->Client();
  // `lakehouse keys` beside the running server: the same root, its own open of the store.
  auto cli = std::move(auth::KeyStore::Open(s->root().str()).value());
  auto k = cli->Create("ops", auth::kRead).value();
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(k.secret)).status, 200);
  ASSERT_TRUE(cli->Revoke(k.key.id).ok());
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(k.secret)).status, 401);
}

TEST(Security, FailuresAreCountedAndJournaledAndWritesNameTheirKey) {
  auto s = AuthServer();
  HttpClient c = s->Client();
  const std::string rw = NewKey(*s, "read,write");
  const std::string id = auth::KeyIdOf(rw);
  const auto before = MetricsRegistry::Global().RenderPrometheus();
  std::string forged = rw;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(forged)).status, 401);
  EXPECT_EQ(c.Get("/v1/datasets").status, 401);
  const auto after = MetricsRegistry::Global().RenderPrometheus();
  EXPECT_EQ(MetricValue(after, "lakehouse_auth_failures_total{reason=\"unknown\"}") -
                MetricValue(before, "lakehouse_auth_failures_total{reason=\"unknown\"}"),
            1);
  EXPECT_EQ(MetricValue(after, "lakehouse_auth_failures_total{reason=\"missing\"}") -
                MetricValue(before, "lakehouse_auth_failures_total{reason=\"missing\"}"),
            1);

  auto mem = c.Request(
      "POST", "/v1/memory",
      R"({"subject":"W0000001","text":"prefers night shifts","source":"coordinator"})", Bearer(rw));
  ASSERT_LT(mem.status, 300) << mem.body;
  const std::string rid = mem.headers["x-request-id"];

  // The journal: the failure (with the key's id, never its secret) and the write, naming its
  // key. Events reach it within its flush window.
  Json failed, wrote;
  for (int i = 0; i < 100 && (failed.is_null() || wrote.is_null()); ++i) {
    auto j = c.Request("GET", "/v1/journal?limit=1000", "", Bearer(rw));
    ASSERT_EQ(j.status, 200) << j.body;
    const Json events = j.json()["events"];
    for (const Json& e : events) {
      if (e["type"] == "auth.failed" && e["payload"]["reason"] == "unknown") failed = e;
      if (e["type"] == "http.request" && e["trace_id"] == rid) wrote = e;
    }
    if (failed.is_null() || wrote.is_null())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(failed.is_null());
  EXPECT_EQ(failed["payload"]["key_id"], id);
  EXPECT_EQ(failed["payload"]["route"], "/v1/datasets");
  ASSERT_FALSE(wrote.is_null());
  EXPECT_EQ(wrote["payload"]["key_id"], id);

  // No secret anywhere under the root: keys are stored hashed, journals carry ids.
  const std::string disk = FilesUnder(s->root().path());
  EXPECT_EQ(disk.find(rw), std::string::npos);
  EXPECT_EQ(disk.find(rw.substr(16)), std::string::npos);
}

TEST(Security, CrossSiteRequestsAndUntypedBodiesNeverRun) {
  TestServer s(200, 40, 42);  // auth off: the protection is always on
  HttpClient c = s.Client();
  const std::string host = "127.0.0.1:" + std::to_string(s.port());

  // A page elsewhere posting text/plain (a "simple" request: no preflight) to replace the
  // roster with ?format=csv, or to run SQL.
  const std::string roster = "worker_id,name\nW1,Mallory\n";
  auto plain_ingest = c.Request("POST", "/v1/datasets/workers/ingest?format=csv", roster,
                                {{"content-type", "text/plain"}});
  EXPECT_EQ(plain_ingest.status, 415);
  EXPECT_THAT(ErrorMessage(plain_ingest), HasSubstr("text/csv"));
  auto cross = c.Request("POST", "/v1/datasets/workers/ingest?format=csv", roster,
                         {{"content-type", "text/plain"}, {"origin", "https://evil.example"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_THAT(ErrorMessage(cross), HasSubstr("cross-site request refused"));
  auto cross_csv = c.Request("POST", "/v1/datasets/workers/ingest", roster,
                             {{"content-type", "text/csv"}, {"origin", "null"}});
  EXPECT_EQ(cross_csv.status, 403);
  auto workers = c.PostJson("/v1/sql", Json{{"sql", "SELECT count(*) AS n FROM workers"}});
  ASSERT_EQ(workers.status, 200);
  EXPECT_EQ(workers.json()["rows"][0][0], 200);  // the roster is untouched

  auto form = c.Request("POST", "/v1/sql", "sql=SELECT+1",
                        {{"content-type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415);
  EXPECT_EQ(ErrorCode(form), "unsupported_media");
  EXPECT_THAT(ErrorMessage(form), HasSubstr("application/json"));
  EXPECT_EQ(c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1"})",
                      {{"content-type", "application/json; charset=utf-8"}})
                .status,
            200);

  // The server's own pages (same origin) work.
  EXPECT_EQ(c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1"})",
                      {{"host", host}, {"origin", "http://" + host}})
                .status,
            200);
  EXPECT_EQ(c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1"})",
                      {{"host", host}, {"origin", "https://" + host}})
                .status,
            403);  // another scheme is another origin

  // DNS rebinding: evil.example resolving to 127.0.0.1 still says Host: evil.example.
  auto rebound =
      c.Request("GET", "/v1/datasets", "", {{"host", "evil.example:" + std::to_string(s.port())}});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_THAT(ErrorMessage(rebound), HasSubstr("server.allowed_hosts"));
  EXPECT_EQ(
      c.Request("GET", "/v1/datasets", "", {{"host", "localhost:" + std::to_string(s.port())}})
          .status,
      200);
}

TEST(Security, AConfiguredOriginGetsCorsAnswers) {
  TestServer s(200, 40, 42, [](Config& c) {
    c.cors_origins = "https://console.example.com";
    c.allowed_hosts = "lakehouse.internal";
  });
  HttpClient c = s.Client();
  auto pre = c.Request("OPTIONS", "/v1/sql", "",
                       {{"origin", "https://console.example.com"},
                        {"access-control-request-method", "POST"},
                        {"access-control-request-headers", "authorization, content-type"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.headers["access-control-allow-origin"], "https://console.example.com");
  EXPECT_THAT(pre.headers["access-control-allow-methods"], HasSubstr("POST"));
  EXPECT_THAT(pre.headers["access-control-allow-headers"], HasSubstr("authorization"));
  EXPECT_EQ(pre.headers["vary"], "Origin");

  auto post = c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1"})",
                        {{"origin", "https://console.example.com"}});
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(post.headers["access-control-allow-origin"], "https://console.example.com");

  auto other =
      c.Request("OPTIONS", "/v1/sql", "",
                {{"origin", "https://evil.example"}, {"access-control-request-method", "POST"}});
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", {{"host", "lakehouse.internal"}}).status, 200);
}

TEST(Security, ARateLimitAnswers429WithRetryAfter) {
  auto s = AuthServer();
  HttpClient c = s->Client();
  const std::string slow = NewKey(*s, "read", /*rate=*/1), fast = NewKey(*s, "read");
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(slow)).status, 200);
  auto limited = c.Request("GET", "/v1/datasets", "", Bearer(slow));
  ASSERT_EQ(limited.status, 429);
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  EXPECT_EQ(limited.headers["retry-after"], "1");
  EXPECT_THAT(ErrorMessage(limited), HasSubstr("1 requests/s"));
  // Another key has its own bucket (and no rate: the server's default is none).
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(fast)).status, 200);
  EXPECT_EQ(c.Get("/healthz").status, 200);  // health checks are never limited
}

TEST(Security, AnonymousClientsAreLimitedByAddressWhenConfigured) {
  TestServer s(200, 40, 42, [](Config& c) { c.rate_limit = 2; });
  HttpClient c = s.Client();
  int ok = 0, limited = 0;
  for (int i = 0; i < 6; ++i) {
    const int st = c.Get("/v1/datasets").status;
    ok += st == 200;
    limited += st == 429;
  }
  EXPECT_GE(ok, 2);
  EXPECT_GE(limited, 3);
}

TEST(Security, OneKeyCannotHoldEveryThreadWithExpensiveRequests) {
  FakeProvider fake([](Router& r) {
    r.Add("POST", "/chat/completions", [](HttpRequest&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return testing::OpenAiChatReply("slow answer");
    });
  });
  auto s = AuthServer([&](Config& c) {
    c.chat_openrouter_url = fake.url();
    c.chat_openrouter_api_key = "sk-test";
  });
  const std::string one = NewKey(*s, "read,write", 0, /*concurrency=*/1);
  const std::string other = NewKey(*s, "read,write", 0, 1);
  const std::string chat =
      R"({"model":"openrouter/m","messages":[{"role":"user","content":"hello"}]})";
  std::atomic<int> first_status{0};
  std::thread first([&] {
    HttpClient c1 = s->Client();
    first_status = c1.Request("POST", "/v1/chat", chat, Bearer(one)).status;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  HttpClient c = s->Client();
  auto second = c.Request("POST", "/v1/chat", chat, Bearer(one));
  EXPECT_EQ(second.status, 429);
  EXPECT_THAT(ErrorMessage(second), HasSubstr("expensive requests"));
  // Cheap requests of the same key, and another key's expensive ones, still go through.
  EXPECT_EQ(c.Request("GET", "/v1/datasets", "", Bearer(one)).status, 200);
  EXPECT_EQ(c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1"})", Bearer(other)).status, 200);
  first.join();
  EXPECT_EQ(first_status.load(), 200);
  // The slot came back with the first answer.
  EXPECT_EQ(c.Request("POST", "/v1/sql", R"({"sql":"SELECT 1"})", Bearer(one)).status, 200);
}

TEST(Security, AnOpenNetworkAddressNeedsAuthOrInsecure) {
  Config cfg = testing::TestConfig("/tmp/unused");
  cfg.host = "0.0.0.0";
  Status st = CheckExposure(cfg);
  EXPECT_EQ(st.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(st.message(), HasSubstr("lakehouse keys create"));
  EXPECT_THAT(st.message(), HasSubstr("--insecure"));
  cfg.insecure = true;
  EXPECT_TRUE(CheckExposure(cfg).ok());
  cfg.insecure = false;
  cfg.auth = "required";
  EXPECT_TRUE(CheckExposure(cfg).ok());
  cfg.auth = "off";
  cfg.host = "127.0.0.1";
  EXPECT_TRUE(CheckExposure(cfg).ok());
  cfg.auth = "sometimes";
  EXPECT_FALSE(cfg.Validate().ok());

  // The real command refuses before it opens anything.
  TempDir dir;
  auto serve = testing::RunCli("serve --root " + dir.str() + " --host 0.0.0.0 --port 0");
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_THAT(serve.out, HasSubstr("lakehouse keys create"));
}

TEST(Security, KeysFromTheCommandLine) {
  TempDir dir;
  const std::string root = " --root " + dir.str() + " --log-level warn";
  auto made = testing::RunCli("keys create --name loadgen --scopes read,write --rate 50" + root);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  const Json k = Json::parse(made.out);
  EXPECT_EQ(k["name"], "loadgen");
  EXPECT_EQ(k["scopes"], Json::array({"read", "write"}));
  EXPECT_EQ(k["rate"], 50);
  const std::string secret = k["key"].get<std::string>();
  EXPECT_TRUE(secret.starts_with("lh_"));

  auto list = testing::RunCli("keys list" + root);
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_EQ(list.out.find(secret), std::string::npos);
  EXPECT_EQ(Json::parse(list.out)["keys"][0]["id"], k["id"]);

  auto revoke = testing::RunCli("keys revoke " + k["id"].get<std::string>() + root);
  ASSERT_EQ(revoke.exit_code, 0) << revoke.out;
  EXPECT_FALSE(Json::parse(revoke.out)["revoked_at"].is_null());
  auto bad = testing::RunCli("keys create --name x --scopes sudo" + root);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.out, HasSubstr("unknown scope 'sudo'"));
}

// A self-signed certificate for 127.0.0.1 and localhost, made with OpenSSL here.
void MakeCertificate(const fs::path& cert, const fs::path& key) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  ASSERT_NE(pkey, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lakehouse test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(x, pkey, EVP_sha256()), 0);
  FILE* f = fopen(key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  fclose(f);
  f = fopen(cert.c_str(), "w");
  PEM_write_X509(f, x);
  fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

size_t AppendTo(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlAnswer {
  CURLcode code;
  long status = 0;
  std::string body;
};

// libcurl (OpenSSL underneath) as the client, verifying the certificate against `ca`.
CurlAnswer CurlRequest(const std::string& url, const std::string& ca, const std::string& body = "",
                       const std::string& key = "") {
  CURL* h = curl_easy_init();
  CurlAnswer a;
  curl_slist* headers = nullptr;
  if (!key.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + key).c_str());
  if (!body.empty()) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, AppendTo);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &a.body);
  a.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return a;
}

TEST(Security, ServesHttpsWithItsCertificate) {
  TempDir certs;
  const fs::path cert = certs.path() / "cert.pem", key = certs.path() / "key.pem";
  MakeCertificate(cert, key);
  auto s = AuthServer([&](Config& c) {
    c.tls_cert = cert.string();
    c.tls_key = key.string();
  });
  const std::string read = NewKey(*s, "read");
  const std::string base = "https://127.0.0.1:" + std::to_string(s->port());
  auto health = CurlRequest(base + "/healthz", cert.string());
  ASSERT_EQ(health.code, CURLE_OK) << curl_easy_strerror(health.code);
  EXPECT_EQ(health.status, 200);
  auto sql = CurlRequest(base + "/v1/sql", cert.string(), R"({"sql":"SELECT 41 + 1 AS x"})", read);
  ASSERT_EQ(sql.code, CURLE_OK);
  EXPECT_EQ(sql.status, 200) << sql.body;
  EXPECT_EQ(Json::parse(sql.body)["rows"][0][0], 42);
  EXPECT_EQ(CurlRequest(base + "/v1/datasets", cert.string()).status, 401);
  // By name too (the certificate names localhost), and a client that does not trust the
  // certificate is refused by its own check.
  EXPECT_EQ(
      CurlRequest("https://localhost:" + std::to_string(s->port()) + "/healthz", cert.string())
          .status,
      200);
  EXPECT_NE(CurlRequest(base + "/healthz", "/dev/null").code, CURLE_OK);
  // Plain HTTP to the HTTPS port gets no answer.
  EXPECT_NE(CurlRequest("http://127.0.0.1:" + std::to_string(s->port()) + "/healthz", "").status,
            200);
  // Still answering after all that.
  EXPECT_EQ(CurlRequest(base + "/healthz", cert.string()).status, 200);
}

std::unique_ptr<App> StartAuthApp(const std::string& root, const ServeOptions& serve) {
  Config cfg = testing::TestConfig(root);
  cfg.auth = "required";
  auto app = App::Create(cfg, serve);
  if (!app.ok()) throw std::runtime_error(app.status().ToString());
  if (Status st = (*app)->Start(); !st.ok()) throw std::runtime_error(st.ToString());
  return std::move(app).value();
}

TEST(Security, SplitServicesBehindAGatewayCheckTheSameKeys) {
  TempDir root;
  {
    auto services = Services::Open(testing::TestConfig(root.str()));
    ASSERT_TRUE(services.ok()) << services.status().ToString();
    staffing::GenOptions o;
    o.workers = 50;
    o.orders = 10;
    ASSERT_TRUE(staffing::Generate(*(*services)->workspace, o).ok());
  }
  // The sql service on its own port, a gateway in front of it; both read the root's keys.
  auto sql = StartAuthApp(root.str(), {"sql", {}});
  auto gateway =
      StartAuthApp(root.str(), {"", {{"sql", "http://127.0.0.1:" + std::to_string(sql->port())}}});
  auto store = std::move(auth::KeyStore::Open(root.str()).value());
  const std::string reader = store->Create("reader", auth::kRead).value().secret;
  const std::string query = R"({"sql":"SELECT count(*) AS n FROM workers"})";

  HttpClient g(gateway->port());
  auto through = g.Request("POST", "/v1/sql", query, Bearer(reader));
  ASSERT_EQ(through.status, 200) << through.body;  // the service checked the forwarded key too
  EXPECT_EQ(through.json()["rows"][0][0], 50);
  EXPECT_EQ(g.Request("POST", "/v1/sql", query).status, 401);
  EXPECT_EQ(g.Request("POST", "/v1/datasets/notes/ingest", "a\n1\n",
                      Bearer(reader, {{"content-type", "text/csv"}}))
                .status,
            403);
  // The browser's origin is the gateway's: allowed there, and not forwarded.
  const std::string host = "127.0.0.1:" + std::to_string(gateway->port());
  EXPECT_EQ(g.Request("POST", "/v1/sql", query,
                      Bearer(reader, {{"host", host}, {"origin", "http://" + host}}))
                .status,
            200);
  // The service itself is no open side door.
  HttpClient direct(sql->port());
  EXPECT_EQ(direct.Request("POST", "/v1/sql", query).status, 401);
  EXPECT_EQ(direct.Request("POST", "/v1/sql", query, Bearer(reader)).status, 200);
  // A revocation reaches both processes at once.
  ASSERT_TRUE(store->Revoke(auth::KeyIdOf(reader)).ok());
  EXPECT_EQ(g.Request("POST", "/v1/sql", query, Bearer(reader)).status, 401);
  EXPECT_EQ(direct.Request("POST", "/v1/sql", query, Bearer(reader)).status, 401);
}

}  // namespace
}  // namespace lakehouse

namespace lakehouse {
namespace {

// The parity probe with auth on: two deployments over the same data, each with its own key
// store, every contract fixture answered the same through keys holding every scope.
TEST(Security, TheParityProbeWorksWithAuthOn) {
  auto a = AuthServer();
  auto b = AuthServer();
  loadgen::ParityOptions po;
  po.a = "http://127.0.0.1:" + std::to_string(a->port());
  po.b = "http://127.0.0.1:" + std::to_string(b->port());
  po.fixtures_dir = (testing::ContractsDir() / "http").string();
  po.api_key = NewKey(*a, "read,write,admin");
  po.api_key_b = NewKey(*b, "read,write,admin");
  auto report = loadgen::RunParity(po);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["matched"], (*report)["fixtures"]) << loadgen::ParityTable(*report);
  EXPECT_GE((*report)["fixtures"].get<int>(), 70);
  EXPECT_THAT((*report)["skipped"].dump(), HasSubstr("auth_missing_key"));
  // Without keys both sides refuse alike: 401s (404 for unknown routes, 403 cross-site).
  po.api_key.clear();
  po.api_key_b.clear();
  auto refused = loadgen::RunParity(po);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)["matched"], (*refused)["fixtures"]);
  int unauthenticated = 0;
  for (const Json& row : (*refused)["rows"]) unauthenticated += row["status_a"] == 401;
  EXPECT_GE(unauthenticated, 60);
}

}  // namespace
}  // namespace lakehouse
