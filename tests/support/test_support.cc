#include "support/test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/ids.h"
#include "server/services.h"
#include "staffing/generator.h"

namespace lakehouse::testing {
namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

TempDir::TempDir() {
  path_ = fs::temp_directory_path() / ("lakehouse-test-" + RandomHex(6));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool DropPageCache(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool dropped = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  ::close(fd);
  return dropped;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct HttpClient::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  int port = 0;
  bool closed = false;  // the server said Connection: close: reconnect before the next request

  void Connect() {
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           static_cast<unsigned short>(port)));
  }
};

HttpClient::HttpClient(int port) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->Connect();
}

HttpClient::~HttpClient() {
  beast::error_code ec;
  impl_->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  if (impl_->closed) {
    beast::error_code ec;
    impl_->stream.socket().close(ec);
    impl_->buffer.clear();
    impl_->Connect();
    impl_->closed = false;
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(true);
  // A body is JSON unless the test says otherwise (the server refuses untyped bodies).
  if (!body.empty() && headers.find("content-type") == headers.end())
    req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(impl_->stream, req);
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 30);
  http::read(impl_->stream, impl_->buffer, parser);
  HttpResult out;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = parser.get().body();
  impl_->closed = !parser.get().keep_alive();
  return out;
}

Config TestConfig(const std::string& root) {
  Config cfg;
  cfg.root = root;
  cfg.port = 0;
  cfg.access_log = false;
  cfg.io_threads = 2;
  cfg.worker_threads = 4;
  cfg.sql_pool_size = 4;
  cfg.duckdb_threads = 2;
  cfg.shutdown_grace_ms = 2000;
  return cfg;
}

std::unique_ptr<App> StartReadyApp(const Config& cfg, const ServeOptions& serve) {
  auto app = App::Create(cfg, serve);
  if (!app.ok()) throw std::runtime_error(app.status().ToString());
  if (Status st = (*app)->Start(); !st.ok()) throw std::runtime_error(st.ToString());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!(*app)->Ready() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return std::move(app).value();
}

TestServer::TestServer(int64_t workers, int64_t orders, uint64_t seed,
                       const std::function<void(Config&)>& adjust) {
  Config cfg = TestConfig(root_.str());
  if (adjust) adjust(cfg);
  if (workers > 0 || orders > 0) {
    auto services = Services::Open(cfg);
    if (!services.ok()) throw std::runtime_error(services.status().ToString());
    staffing::GenOptions o;
    o.workers = workers;
    o.orders = orders;
    o.seed = seed;
    auto rep = staffing::Generate(*(*services)->workspace, o);
    if (!rep.ok()) throw std::runtime_error(rep.status().ToString());
  }
  auto app = App::Create(cfg);
  if (!app.ok()) throw std::runtime_error(app.status().ToString());
  app_ = std::move(app).value();
  Status st = app_->Start();
  if (!st.ok()) throw std::runtime_error(st.ToString());
  // Background work (the workers vector index) finishes before a test talks to the server.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!app_->Ready() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!app_->Ready()) {
    // Thrown from SetUpTestSuite, an exception makes gtest report the suite as skipped;
    // a server that cannot get ready is a failure, so say so and stop the process.
    std::fprintf(stderr, "FATAL: test server did not become ready within 2 minutes\n");
    std::abort();
  }
}

TestServer::~TestServer() {
  app_->Stop();
}

CommandResult RunCli(const std::string& args) {
  // No progress lines in the output a test parses, unless the test asks for them.
  const std::string cmd = "LAKEHOUSE_PROGRESS=${LAKEHOUSE_PROGRESS:-off} " +
                          std::string(LAKEHOUSE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int rc = pclose(pipe);
  return {WEXITSTATUS(rc), out};
}

fs::path ContractsDir() {
  return fs::path(LAKEHOUSE_SOURCE_DIR) / "contracts";
}

std::vector<Json> KbLines(const std::filesystem::path& root, const std::string& source) {
  std::vector<Json> out;
  const auto path = root / "_kb" / (source + ".jsonl");
  if (!std::filesystem::exists(path)) return out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

HttpResponse OpenAiChatReply(const std::string& content) {
  return HttpResponse::FromJson(
      200, Json{{"id", "fake"},
                {"choices",
                 {{{"index", 0},
                   {"message", {{"role", "assistant"}, {"content", content}}},
                   {"finish_reason", "stop"}}}},
                {"usage", {{"prompt_tokens", 100}, {"completion_tokens", 20}}}});
}

FakeProvider::FakeProvider(const std::function<void(Router&)>& routes) {
  routes(router_);
  HttpServerOptions o;
  o.port = 0;
  o.access_log = false;
  o.shutdown_grace_ms = 100;
  server_ = std::make_unique<HttpServer>(o, router_);
  if (!server_->Start().ok()) throw std::runtime_error("fake provider did not start");
}

FakeProvider::~FakeProvider() = default;

std::string FakeProvider::url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

}  // namespace lakehouse::testing

namespace lakehouse::testing {

int KillDuringWrites(const std::function<bool(int)>& write_one, std::chrono::milliseconds run_for,
                     int min_acks) {
  int ack[2];
  if (pipe(ack) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(ack[0]);
    for (int i = 0;; ++i) {
      if (!write_one(i)) _exit(3);
      if (write(ack[1], &i, sizeof(i)) != sizeof(i)) _exit(5);
    }
  }
  close(ack[1]);
  int last = -1, v;
  // Sanitizer builds write far slower: the storm lasts until enough writes were acked.
  const auto start = std::chrono::steady_clock::now();
  while (read(ack[0], &v, sizeof(v)) == sizeof(v)) {
    last = v;
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if ((elapsed >= run_for && last + 1 >= min_acks) || elapsed > std::chrono::seconds(60)) break;
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  while (read(ack[0], &v, sizeof(v)) == sizeof(v)) last = v;
  close(ack[0]);
  return last;
}

}  // namespace lakehouse::testing
