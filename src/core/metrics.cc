#include "core/metrics.h"

#include <cmath>
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
    static constexpr const char* kTypes[] = {"counter", "gauge", "histogram", "gauge"};
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

}  // namespace lakehouse
