#include "core/circuit_breaker.h"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace lakehouse {
namespace {

Gauge& StateGauge(const std::string& kind, const std::string& provider) {
  return MetricsRegistry::Global().GetGauge(
      "lakehouse_provider_breaker_state",
      "circuit breaker of each model provider: 0 closed, 1 half-open (probing), 2 open",
      {"kind", "provider"}, {kind, provider});
}

}  // namespace

CircuitBreaker::CircuitBreaker(std::string kind, std::string provider, Options options)
    : kind_(std::move(kind)), provider_(std::move(provider)), options_(options) {
  StateGauge(kind_, provider_).Set(0);
}

std::string_view CircuitBreaker::StateName(State s) {
  switch (s) {
    case State::kClosed:
      return "closed";
    case State::kHalfOpen:
      return "half_open";
    case State::kOpen:
      return "open";
  }
  return "closed";
}

void CircuitBreaker::SetState(State s) {
  if (s == state_) return;
  state_ = s;
  StateGauge(kind_, provider_).Set(static_cast<int64_t>(s));
  if (s == State::kOpen) {
    MetricsRegistry::Global()
        .GetCounter("lakehouse_provider_breaker_opened_total",
                    "times a provider's circuit breaker opened", {"kind", "provider"},
                    {kind_, provider_})
        .Inc();
    spdlog::warn(
        "{} provider {}: circuit open after {} consecutive failures; probing again in {} ms", kind_,
        provider_, consecutive_, options_.cooldown.count());
  } else if (s == State::kClosed) {
    spdlog::info("{} provider {}: circuit closed (the probe succeeded)", kind_, provider_);
  }
}

bool CircuitBreaker::Allow() {
  MutexLock lock(mu_);
  if (state_ == State::kClosed) return true;
  if (state_ == State::kOpen) {
    if (options_.clock->NowMillis() - opened_at_ms_ < options_.cooldown.count()) return false;
    SetState(State::kHalfOpen);
  }
  if (probe_out_) return false;  // half-open: one probe at a time
  probe_out_ = true;
  return true;
}

void CircuitBreaker::Success() {
  MutexLock lock(mu_);
  consecutive_ = 0;
  probe_out_ = false;
  SetState(State::kClosed);
}

void CircuitBreaker::Failure() {
  MutexLock lock(mu_);
  ++consecutive_;
  const bool probe_failed = state_ == State::kHalfOpen;
  probe_out_ = false;
  if (probe_failed || (options_.failures > 0 && consecutive_ >= options_.failures)) {
    opened_at_ms_ = options_.clock->NowMillis();
    SetState(State::kOpen);
  }
}

void CircuitBreaker::Neutral() {
  MutexLock lock(mu_);
  probe_out_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
  MutexLock lock(mu_);
  return state_;
}

std::chrono::milliseconds CircuitBreaker::RetryIn() const {
  MutexLock lock(mu_);
  return RetryInLocked();
}

std::chrono::milliseconds CircuitBreaker::RetryInLocked() const {
  if (state_ != State::kOpen) return std::chrono::milliseconds(0);
  const int64_t left = options_.cooldown.count() - (options_.clock->NowMillis() - opened_at_ms_);
  return std::chrono::milliseconds(std::max<int64_t>(0, left));
}

std::chrono::milliseconds JitteredBackoff(int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds max) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double cap = std::min<double>(
      static_cast<double>(max.count()),
      static_cast<double>(base.count()) * static_cast<double>(1LL << std::min(attempt, 30)));
  std::uniform_real_distribution<double> jitter(0.0, cap);
  return std::chrono::milliseconds(static_cast<int64_t>(jitter(rng)));
}

Json CircuitBreaker::ToJson() const {
  MutexLock lock(mu_);
  const auto retry_in = RetryInLocked();
  Json j = Json::object();
  j["state"] = StateName(state_);
  j["consecutive_failures"] = consecutive_;
  j["failures_to_open"] = options_.failures;
  if (state_ == State::kOpen) j["retry_in_ms"] = retry_in.count();
  return j;
}

}  // namespace lakehouse
