// tests/support/test_support.h: temp directories, a real HTTP client and a real server
// for tests. No mocks: TestServer runs the App (every module) on an ephemeral loopback
// port over a fresh data root.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/json.h"
#include "gateway/http.h"
#include "gateway/http_server.h"
#include "server/app.h"

namespace lakehouse::testing {

//! A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

//! Writes `text` to `path` (creating parents).
void WriteFile(const std::filesystem::path& path, const std::string& text);
std::string ReadFile(const std::filesystem::path& path);
//! Drops `path`'s clean pages from the page cache (posix_fadvise DONTNEED after the writer's
//! sync), so that the next read goes to the disk; false when the file cannot be opened or
//! the kernel refused the advice.
bool DropPageCache(const std::filesystem::path& path);

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  Json json() const { return Json::parse(body); }
};

//! One keep-alive HTTP/1.1 connection to 127.0.0.1:port (Boost.Beast, synchronous); a new
//! one when the server closed the last (Connection: close).
class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  HttpResult Get(const std::string& target) { return Request("GET", target); }
  HttpResult PostJson(const std::string& target, const Json& body) {
    return Request("POST", target, body.dump(), {{"content-type", "application/json"}});
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! A config for tests: the given root, port 0, quiet.
Config TestConfig(const std::string& root);

//! An App on `cfg`'s root as it is (nothing generated), started, and ready (its background
//! work done; at most 2 minutes). Throws when it cannot start.
std::unique_ptr<App> StartReadyApp(const Config& cfg, const ServeOptions& serve = {});

//! The real server over a temp root, optionally with generated staffing data.
class TestServer {
 public:
  explicit TestServer(int64_t workers = 0, int64_t orders = 0, uint64_t seed = 42,
                      const std::function<void(Config&)>& adjust = nullptr);
  ~TestServer();
  int port() const { return app_->port(); }
  App& app() { return *app_; }
  const TempDir& root() const { return root_; }
  HttpClient Client() const { return HttpClient(port()); }

 private:
  TempDir root_;
  std::unique_ptr<App> app_;
};

//! An in-test HTTP server speaking a provider's wire format (embeddings, chat): the
//! routes are the test's; the real client talks to it over loopback.
class FakeProvider {
 public:
  explicit FakeProvider(const std::function<void(Router&)>& routes);
  ~FakeProvider();
  std::string url() const;

 private:
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

//! The lines of `<root>/_kb/<source>.jsonl`, parsed (empty when the file does not exist).
std::vector<Json> KbLines(const std::filesystem::path& root, const std::string& source);

//! An OpenAI chat-completions answer with `content` and some usage, as a fake provider
//! would send it.
HttpResponse OpenAiChatReply(const std::string& content);

//! kill -9 during a write storm: forks a child that runs `write(i)` for i = 0, 1, 2, ...
//! (each returning true once write i is acknowledged, false to give up), kills it once
//! `run_for` has passed and at least `min_acks` writes were acknowledged (or after 60 s, or
//! when the child gives up), and answers the last acknowledged i (-1 if none). Setup the
//! child needs (opening the store) goes inside `write`'s first call.
int KillDuringWrites(const std::function<bool(int)>& write, std::chrono::milliseconds run_for,
                     int min_acks = 50);

//! Runs build/lakehouse with `args` (a shell command line), stdout and stderr together;
//! progress lines off unless LAKEHOUSE_PROGRESS is set.
struct CommandResult {
  int exit_code;
  std::string out;
};
CommandResult RunCli(const std::string& args);

//! The repository's contracts/ directory.
std::filesystem::path ContractsDir();

}  // namespace lakehouse::testing
