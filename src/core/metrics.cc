#include "core/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace lakehouse {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0)
    sum_nanos_.fetch_add(static_cast<uint64_t>(value * 1e9), std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

double Histogram::Sum() const {
  return static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
}

std::vector<double> DefaultLatencyBounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
}

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* registry = new MetricsRegistry();  // never destroyed: used at exit
  return *registry;
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name, Kind kind,
                                                    const std::string& help,
                                                    const Labels& label_names) {
  auto [it, inserted] = families_.try_emplace(name);
  Family& f = it->second;
  if (inserted) {
    f.kind = kind;
    f.help = help;
    f.label_names = label_names;
  } else if (f.kind != kind || f.label_names != label_names) {
    // A programming error: two call sites disagree on a metric's shape.
    throw std::logic_error("metric " + name + " registered twice with different shapes");
  }
  return f;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& label_names, const Labels& label_values) {
  MutexLock lock(mu_);
  auto& slot = FamilyFor(name, Kind::kCounter, help, label_names).counters[label_values];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const Labels& label_names, const Labels& label_values) {
  MutexLock lock(mu_);
  auto& slot = FamilyFor(name, Kind::kGauge, help, label_names).gauges[label_values];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const Labels& label_names, const Labels& label_values,
                                         const std::vector<double>& bounds) {
  MutexLock lock(mu_);
  Family& f = FamilyFor(name, Kind::kHistogram, help, label_names);
  if (f.bounds.empty()) f.bounds = bounds;
  auto& slot = f.histograms[label_values];
  if (!slot) slot = std::make_unique<Histogram>(f.bounds);
  return *slot;
}

void MetricsRegistry::RegisterCallbackGauge(const std::string& name, const std::string& help,
                                            std::function<double()> read) {
  MutexLock lock(mu_);
  Family& f = FamilyFor(name, Kind::kCallback, help, {});
  f.callback = std::move(read);
}

void MetricsRegistry::RegisterCallbackCounter(const std::string& name, const std::string& help,
                                              std::function<double()> read) {
  MutexLock lock(mu_);
  Family& f = FamilyFor(name, Kind::kCallbackCounter, help, {});
  f.callback = std::move(read);
}

namespace {
std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string LabelSet(const Labels& names, const Labels& values, const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ',';
    out += names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ',';
    out += extra;
  }
  return out.empty() ? "" : "{" + out + "}";
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}
}  // namespace

std::string MetricsRegistry::RenderPrometheus() const {
  MutexLock lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    static constexpr const char* kTypes[] = {"counter", "gauge", "histogram", "gauge", "counter"};
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name,
                       kTypes[static_cast<int>(f.kind)]);
    switch (f.kind) {
      case Kind::kCounter:
        for (const auto& [labels, c] : f.counters)
          out += fmt::format("{}{} {}\n", name, LabelSet(f.label_names, labels), c->Value());
        break;
      case Kind::kGauge:
        for (const auto& [labels, g] : f.gauges)
          out += fmt::format("{}{} {}\n", name, LabelSet(f.label_names, labels), g->Value());
        break;
      case Kind::kCallback:
      case Kind::kCallbackCounter:
        out += fmt::format("{} {}\n", name, FormatValue(f.callback ? f.callback() : 0.0));
        break;
      case Kind::kHistogram:
        for (const auto& [labels, h] : f.histograms) {
          const auto counts = h->BucketCounts();
          uint64_t cumulative = 0;
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            const std::string le =
                i < h->bounds().size() ? FormatValue(h->bounds()[i]) : std::string("+Inf");
            out += fmt::format("{}_bucket{} {}\n", name,
                               LabelSet(f.label_names, labels, "le=\"" + le + "\""), cumulative);
          }
          out += fmt::format("{}_sum{} {}\n", name, LabelSet(f.label_names, labels),
                             FormatValue(h->Sum()));
          out += fmt::format("{}_count{} {}\n", name, LabelSet(f.label_names, labels), cumulative);
        }
        break;
    }
  }
  return out;
}

namespace {

// /proc/self/stat's fields from the third on (after "pid (comm)", whose comm may hold spaces).
std::vector<std::string> ProcStat() {
  std::ifstream in("/proc/self/stat");
  std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) out.push_back(f);
  return out;
}

// Field n of proc(5)'s numbering (1-based: 3 is the state, 14 utime, ...).
double StatField(const std::vector<std::string>& f, size_t n) {
  return n >= 3 && n - 3 < f.size() ? std::strtod(f[n - 3].c_str(), nullptr) : 0.0;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

void RegisterProcessMetrics(MetricsRegistry& r) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  r.RegisterCallbackCounter("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", [ticks] {
                              const auto f = ProcStat();
                              return (StatField(f, 14) + StatField(f, 15)) / ticks;
                            });
  r.RegisterCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                          [page] { return StatField(ProcStat(), 24) * page; });
  r.RegisterCallbackGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                          [] { return StatField(ProcStat(), 23); });
  const double start = BootTimeSeconds() + StatField(ProcStat(), 22) / ticks;
  r.RegisterCallbackGauge("process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.",
                          [start] { return start; });
  r.RegisterCallbackGauge("process_open_fds", "Number of open file descriptors.", [] {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++n;
    return n;
  });
  r.RegisterCallbackGauge("process_max_fds", "Maximum number of open file descriptors.", [] {
    rlimit l{};
    return getrlimit(RLIMIT_NOFILE, &l) == 0 ? static_cast<double>(l.rlim_cur) : 0.0;
  });
}

}  // namespace lakehouse
