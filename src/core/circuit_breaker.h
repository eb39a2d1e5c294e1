// src/core/circuit_breaker.h: stop calling an upstream that keeps failing; probe it later.
//
// A model provider that is down makes every call wait for its timeout, and retries make
// that worse. The breaker is per upstream (a chat or embedding provider):
//   closed     calls go out; `failures` consecutive failures open it;
//   open       calls are refused at once (the dispatcher moves on to a fallback) for
//              `cooldown`;
//   half-open  after the cooldown one call, the probe, goes out: its success closes the
//              breaker, its failure opens it for another cooldown; other calls are refused
//              while it is out.
// What counts as a failure is the caller's call: transport errors, timeouts, 5xx and
// malformed answers do; a 4xx (the request's fault) or a 429 (a quota) does not.
// State changes are logged and exported as lakehouse_provider_breaker_state{kind,provider}
// (0 closed, 1 half-open, 2 open) and lakehouse_provider_breaker_opened_total.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "core/thread_annotations.h"

namespace lakehouse {

class CircuitBreaker {
 public:
  struct Options {
    int failures = 5;  // consecutive failures that open it (<= 0: never opens)
    std::chrono::milliseconds cooldown{30000};
    const Clock* clock = &SystemClock::Get();
  };
  enum class State { kClosed, kHalfOpen, kOpen };

  //! `kind` ("chat", "embed") and `provider` label its metrics and log lines.
  CircuitBreaker(std::string kind, std::string provider, Options options);

  //! True when a call may go out now (the half-open probe included). A caller that got
  //! true reports the outcome with Success or Failure (or Neutral).
  bool Allow();
  void Success();
  void Failure();
  //! An outcome that says nothing about the upstream's health (a 4xx, a 429, a receiver
  //! that left): frees the half-open probe slot without deciding.
  void Neutral();

  State state() const;
  //! {state: closed|half_open|open, consecutive_failures, failures_to_open, retry_in_ms?}
  Json ToJson() const;
  //! How long until an open breaker lets a probe out (0 when not open).
  std::chrono::milliseconds RetryIn() const;

  static std::string_view StateName(State s);

 private:
  void SetState(State s) LH_REQUIRES(mu_);
  std::chrono::milliseconds RetryInLocked() const LH_REQUIRES(mu_);

  const std::string kind_, provider_;
  const Options options_;
  mutable Mutex mu_;
  State state_ LH_GUARDED_BY(mu_) = State::kClosed;
  int consecutive_ LH_GUARDED_BY(mu_) = 0;
  int64_t opened_at_ms_ LH_GUARDED_BY(mu_) = 0;
  bool probe_out_ LH_GUARDED_BY(mu_) = false;
};

//! Full-jitter exponential backoff before retry `attempt` (0-based): uniform in
//! 0..min(max, base * 2^attempt), so clients that failed together do not retry together.
std::chrono::milliseconds JitteredBackoff(int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds max);

}  // namespace lakehouse
