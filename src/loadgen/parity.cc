#include "loadgen/parity.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/http_client.h"
#include "loadgen/loadgen.h"

namespace lakehouse::loadgen {
namespace {

namespace fs = std::filesystem;

Json RoundNumbers(Json j, double scale) {
  if (j.is_number_float()) return std::round(j.get<double>() * scale) / scale;
  if (j.is_array() || j.is_object()) {
    for (auto& v : j) v = RoundNumbers(v, scale);
  }
  return j;
}

void DiffInto(const Json& a, const Json& b, const std::string& path, std::vector<std::string>& out,
              size_t max) {
  if (out.size() >= max || a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, _] : a.items()) keys.insert(k);
    for (const auto& [k, _] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      const Json none = "<absent>";
      DiffInto(a.contains(k) ? a[k] : none, b.contains(k) ? b[k] : none, path + "." + k, out, max);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      DiffInto(a[i], b[i], fmt::format("{}[{}]", path, i), out, max);
    return;
  }
  auto shown = [](const Json& v) {
    std::string s = v.dump();
    return s.size() > 160 ? s.substr(0, 157) + "..." : s;
  };
  out.push_back(fmt::format("{}: {} -> {}", path.empty() ? "." : path, shown(a), shown(b)));
}

struct Answer {
  int status = 0;
  std::string content_type;
  Json body;  // normalised; the raw text as a string when it is not JSON
  bool operator==(const Answer& o) const {
    return status == o.status && content_type == o.content_type && body == o.body;
  }
  Json ToJson() const {
    return Json{{"status", status}, {"content_type", content_type}, {"body", body}};
  }
};

// Reads that may be asked again while split services catch up with each other.
bool IsRead(const Json& req) {
  const std::string method = req.value("method", "GET");
  if (method == "GET") return true;
  const std::string path = req.value("path", "");
  return method == "POST" &&
         (path == "/v1/sql" || path == "/v1/embed" || path == "/v1/matrix/retrieve" ||
          path == "/v1/memory/search" || path.ends_with("/search"));
}

class Side {
 public:
  Side(std::string base, std::chrono::milliseconds timeout, const std::string& api_key)
      : base_(std::move(base)) {
    call_.total_timeout = timeout;
    if (!api_key.empty()) call_.headers.emplace_back("Authorization", "Bearer " + api_key);
  }
  Result<Answer> Send(const Json& req) {
    HttpCallOptions o = call_;
    std::string body;
    if (req.contains("body")) {
      body = req["body"].dump();
    } else if (req.contains("body_text")) {
      body = req["body_text"].get<std::string>();
    }
    if (req.contains("headers")) {
      for (auto& [k, v] : req["headers"].items()) {
        if (k == "content-type") {
          o.content_type = v.get<std::string>();
        } else {
          o.headers.emplace_back(k, v.get<std::string>());
        }
      }
    }
    LH_ASSIGN_OR_RETURN(auto r, session_.Request(req.value("method", "GET"),
                                                 base_ + req.value("path", "/"), body, o));
    Answer a;
    a.status = r.status;
    a.content_type = r.Header("content-type");
    auto parsed = ParseJson(r.body);
    a.body = parsed.ok() ? NormalizeVolatile(std::move(parsed).value(), ParityVolatileKeys(),
                                             /*round_floats=*/false)
                         : Json(r.body);
    return a;
  }

 private:
  std::string base_;
  HttpCallOptions call_;
  HttpSession session_;
};

}  // namespace

const KeySet& VolatileKeys() {
  static const KeySet keys = {"elapsed_ms", "updated_at", "created_at", "quarantine", "latency_ms",
                              "created", "recorded_at", "at", "request_id", "ts", "trace_id",
                              "fill_id", "email_id", "feedback_id", "committed_at", "changed_at",
                              // Iceberg metadata: ids, times and the root's file URIs
                              "table-uuid", "last-updated-ms", "timestamp-ms", "location",
                              "metadata-location", "manifest-list", "metadata-file"};
  return keys;
}

const KeySet& ParityVolatileKeys() {
  static const KeySet keys = [] {
    KeySet k = VolatileKeys();
    for (const char* journal : {"seq", "last_seq", "next_after_seq", "first_seq"})
      k.insert(journal);
    return k;
  }();
  return keys;
}

Json NormalizeVolatile(Json j, const KeySet& keys, bool round_floats) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (keys.count(k) && !v.is_null()) {
        v = "<volatile>";
      } else if (round_floats && (k == "vector" || k == "embeddings" || k == "embedding")) {
        v = RoundNumbers(v, 1e5);
      } else if (round_floats && (k == "score" || k == "similarity") && v.is_number()) {
        v = std::round(v.get<double>() * 1000.0) / 1000.0;
      } else {
        v = NormalizeVolatile(std::move(v), keys, round_floats);
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) v = NormalizeVolatile(std::move(v), keys, round_floats);
  }
  return j;
}

std::string JsonDiff(const Json& a, const Json& b, size_t max) {
  std::vector<std::string> lines;
  DiffInto(a, b, "", lines, max);
  return fmt::format("{}", fmt::join(lines, "\n"));
}

Result<Json> RunParity(const ParityOptions& options) {
  for (const auto& url : {options.a, options.b})
    LH_RETURN_IF_ERROR(CheckLoopbackTarget(url).WithContext("parity"));
  std::vector<fs::path> fixtures;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options.fixtures_dir, ec))
    if (e.path().extension() == ".json") fixtures.push_back(e.path());
  if (ec || fixtures.empty())
    return Status::InvalidArgument(
        fmt::format("no fixtures (*.json) in '{}'", options.fixtures_dir));
  std::sort(fixtures.begin(), fixtures.end());

  Side a(options.a, options.timeout, options.api_key),
      b(options.b, options.timeout,
        options.api_key_b.empty() ? options.api_key : options.api_key_b);
  Json rows = Json::array(), skipped = Json::array();
  int64_t matched = 0;
  for (const auto& path : fixtures) {
    if (options.skip.count(path.stem().string()) != 0) {
      skipped.push_back(path.stem().string());
      continue;
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    Json row = Json::object();
    row["fixture"] = path.stem().string();
    auto fixture = ParseJson(text.str());
    if (!fixture.ok() || !fixture->contains("request")) {
      return Status::InvalidArgument(
          fmt::format("{}: not a fixture (a JSON object with \"request\")", path.string()));
    }
    if (fixture->contains("auth")) {  // needs a server with auth required of its own
      skipped.push_back(path.stem().string());
      continue;
    }
    std::vector<Json> steps;
    for (const Json& s : fixture->value("setup", Json::array())) steps.push_back(s);
    steps.push_back((*fixture)["request"]);
    std::string diff;
    int64_t settle_ms = 0;
    Answer last_a, last_b;
    for (size_t i = 0; i < steps.size() && diff.empty(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      for (int attempt = 0;; ++attempt) {
        auto ra = a.Send(steps[i]);
        if (!ra.ok()) return ra.status().WithContext("parity: " + options.a);
        auto rb = b.Send(steps[i]);
        if (!rb.ok()) return rb.status().WithContext("parity: " + options.b);
        last_a = std::move(ra).value();
        last_b = std::move(rb).value();
        const auto waited = std::chrono::steady_clock::now() - start;
        if (last_a == last_b) {
          if (attempt > 0)  // agreed only after asking again: how long the catch-up took
            settle_ms = std::max<int64_t>(
                {settle_ms, 1,
                 std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()});
          break;
        }
        if (!IsRead(steps[i]) || waited > options.settle) {
          diff = JsonDiff(last_a.ToJson(), last_b.ToJson());
          if (i + 1 < steps.size()) diff = fmt::format("setup step {}:\n{}", i, diff);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    row["match"] = diff.empty();
    row["status_a"] = last_a.status;
    row["status_b"] = last_b.status;
    row["settle_ms"] = settle_ms;
    row["diff"] = diff;
    if (diff.empty()) ++matched;
    rows.push_back(std::move(row));
  }
  Json report = Json::object();
  report["schema"] = "parity_report.v1";
  report["a"] = options.a;
  report["b"] = options.b;
  report["fixtures"] = rows.size();
  report["matched"] = matched;
  report["skipped"] = std::move(skipped);
  report["rows"] = std::move(rows);
  return report;
}

std::string ParityTable(const Json& report) {
  std::string out;
  int64_t settled = 0;
  for (const auto& row : report["rows"]) {
    if (row["match"].get<bool>()) {
      if (row["settle_ms"].get<int64_t>() > 0) ++settled;
      continue;
    }
    out += fmt::format("DIFF {} (status {} vs {})\n", row["fixture"].get<std::string>(),
                       row["status_a"].get<int>(), row["status_b"].get<int>());
    std::istringstream lines(row["diff"].get<std::string>());
    for (std::string line; std::getline(lines, line);) out += "  " + line + "\n";
  }
  out += fmt::format("{}/{} match ({} after waiting for the split services to catch up)\n",
                     report["matched"].get<int64_t>(), report["fixtures"].get<int64_t>(), settled);
  out +=
      fmt::format("a: {}\nb: {}\n", report["a"].get<std::string>(), report["b"].get<std::string>());
  return out;
}

}  // namespace lakehouse::loadgen
