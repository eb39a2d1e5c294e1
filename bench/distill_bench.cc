// bench/distill_bench.cc: the distillation pipeline over N `_kb` lines (default 1M).
//
// The lines are the golden fixture's (contracts/distill/kb: real lines of all 12 sources as
// the server writes them), repeated with fresh ids and times spread over 30 days, so sizes
// and shapes are the server's. Measured: materialize cold (lines/s, MB/s of input), a
// no-op re-run, an incremental run after 10k appended lines, then score and each export.
// Peak RSS shows the memory bound. Usage: distill_bench [lines]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "bench_temp_dir.h"
#include "core/json.h"
#include "distill/exports.h"
#include "distill/materializer.h"
#include "distill/scorer.h"

namespace fs = std::filesystem;
using namespace lakehouse;

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

struct Template {
  std::string source;
  Json line;
};

// Writes `n` lines starting at line number `from` into <root>/_kb; returns the bytes.
int64_t Generate(const fs::path& root, const std::vector<Template>& templates, int64_t from,
                 int64_t n, int64_t total) {
  std::map<std::string, std::string> out;
  int64_t bytes = 0;
  for (int64_t i = from; i < from + n; ++i) {
    const Template& t = templates[static_cast<size_t>(i) % templates.size()];
    Json j = t.line;
    const std::string tag = fmt::format("b{:08d}", i);
    for (const char* k : {"request_id", "id", "run_id", "fill_id", "email_id"})
      if (j.contains(k) && j[k].is_string()) j[k] = j[k].get<std::string>() + "-" + tag;
    const int day = 1 + static_cast<int>(i * 30 / std::max<int64_t>(total, 1));
    const std::string at =
        fmt::format("2026-10-{:02d}T{:02d}:{:02d}:00.000Z", day, (i / 60) % 24, i % 60);
    for (const char* k : {"at", "recorded_at", "window_start"})
      if (j.contains(k)) j[k] = at;
    std::string& buf = out[t.source];
    buf += DumpJson(j);
    buf += '\n';
    if ((i + 1 - from) % 20000 == 0 || i + 1 == from + n) {  // bounded generator memory
      for (auto& [source, text] : out) {
        std::ofstream(root / "_kb" / (source + ".jsonl"), std::ios::app) << text;
        bytes += static_cast<int64_t>(text.size());
        text.clear();
      }
    }
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t lines = argc > 1 ? std::atoll(argv[1]) : 1000000;
  std::vector<Template> templates;
  for (const auto& e :
       fs::directory_iterator(fs::path(LAKEHOUSE_SOURCE_DIR) / "contracts/distill/kb")) {
    std::ifstream in(e.path());
    for (std::string l; std::getline(in, l);) {
      auto j = ParseJson(l);
      if (j.ok() && j->is_object() && j->contains("schema") && j->contains("request_id"))
        templates.push_back({e.path().stem().string(), *j});
    }
  }
  bench::TempDir dir;
  const char* keep = std::getenv("DISTILL_BENCH_ROOT");  // generate here and keep it
  const fs::path root = keep ? fs::path(keep) : fs::path(dir.path);
  fs::create_directories(root / "_kb");
  const int64_t bytes = Generate(root, templates, 0, lines, lines);
  fmt::print("{} lines, {:.1f} MB of _kb ({} templates from contracts/distill/kb)\n", lines,
             bytes / 1e6, templates.size());

  if (std::getenv("DISTILL_BENCH_ONLY_GENERATE")) return 0;  // then profile a CLI run on it
  auto t0 = std::chrono::steady_clock::now();
  auto m = distill::Materialize({root});
  const double cold = Seconds(t0);
  if (!m.ok()) return fmt::print("materialize: {}\n", m.status().ToString()), 1;
  fmt::print(
      "materialize cold: {:.2f} s = {:.0f} lines/s, {:.0f} MB/s; {} evidence, {} quarantined; "
      "peak RSS {:.0f} MB\n",
      cold, lines / cold, bytes / 1e6 / cold, (*m)["counts"]["evidence_added"].get<int64_t>(),
      (*m)["counts"]["quarantined"].get<int64_t>(), PeakRssMb());
  t0 = std::chrono::steady_clock::now();
  auto again = distill::Materialize({root});
  fmt::print("materialize again (nothing new, prefix CRC check): {:.3f} s\n", Seconds(t0));
  const int64_t more = Generate(root, templates, lines, 10000, lines);
  t0 = std::chrono::steady_clock::now();
  auto inc = distill::Materialize({root});
  fmt::print("materialize after 10k appended lines ({:.1f} MB): {:.3f} s\n", more / 1e6,
             Seconds(t0));
  t0 = std::chrono::steady_clock::now();
  auto s = distill::Score(root);
  if (!s.ok()) return fmt::print("score: {}\n", s.status().ToString()), 1;
  fmt::print("score: {:.2f} s = {:.0f} records/s\n", Seconds(t0),
             (*s)["counts"]["records_scored"].get<int64_t>() / Seconds(t0));
  for (const char* kind : {"sft", "rag", "preference"}) {
    t0 = std::chrono::steady_clock::now();
    auto e = distill::Export({root, kind});
    if (!e.ok()) return fmt::print("export {}: {}\n", kind, e.status().ToString()), 1;
    fmt::print("export {}: {:.2f} s, {} written, {} dropped\n", kind, Seconds(t0),
               (*e)["counts"]["written"].get<int64_t>(), (*e)["counts"]["dropped"].get<int64_t>());
  }
  fmt::print("peak RSS {:.0f} MB\n", PeakRssMb());
  return 0;
}
