#include "chat/dispatcher.h"

#include <cstdlib>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "chat/providers.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/metrics.h"

namespace lakehouse {
namespace {

constexpr std::chrono::milliseconds kMaxRetryAfter{30000};

struct ProviderSettings {
  const char* name;
  ChatWire wire;
  const std::string Config::*url;
  const std::string Config::*api_key;
  const std::string Config::*models;
  const int64_t Config::*timeout_ms;
  const char* standard_key_env;  // the provider's usual variable, read when ours is unset
  bool needs_key;
};

const std::vector<ProviderSettings>& Settings() {
  static const std::vector<ProviderSettings> s = {
      {"ollama", ChatWire::kOllama, &Config::chat_ollama_url, &Config::chat_ollama_api_key,
       &Config::chat_ollama_models, &Config::chat_ollama_timeout_ms, nullptr, false},
      {"ollama_cloud", ChatWire::kOllama, &Config::chat_ollama_cloud_url,
       &Config::chat_ollama_cloud_api_key, &Config::chat_ollama_cloud_models,
       &Config::chat_ollama_cloud_timeout_ms, "OLLAMA_API_KEY", true},
      {"openrouter", ChatWire::kOpenAi, &Config::chat_openrouter_url,
       &Config::chat_openrouter_api_key, &Config::chat_openrouter_models,
       &Config::chat_openrouter_timeout_ms, "OPENROUTER_API_KEY", true},
      {"kimi", ChatWire::kOpenAi, &Config::chat_kimi_url, &Config::chat_kimi_api_key,
       &Config::chat_kimi_models, &Config::chat_kimi_timeout_ms, "MOONSHOT_API_KEY", true},
      {"opencode", ChatWire::kOpenAi, &Config::chat_opencode_url, &Config::chat_opencode_api_key,
       &Config::chat_opencode_models, &Config::chat_opencode_timeout_ms, "OPENCODE_API_KEY", true},
  };
  return s;
}

std::string HowToConfigure(const std::string& provider) {
  for (const auto& s : Settings()) {
    if (provider != s.name) continue;
    std::string upper;
    for (char c : provider) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!s.needs_key)
      return fmt::format("set chat.{}.url (LAKEHOUSE_CHAT_{}_URL)", provider, upper);
    return fmt::format("set LAKEHOUSE_CHAT_{}_API_KEY (or {})", upper, s.standard_key_env);
  }
  return "";
}

std::chrono::milliseconds Backoff(const Config& c, int attempt) {
  return JitteredBackoff(attempt, std::chrono::milliseconds(c.chat_retry_base_ms),
                         std::chrono::milliseconds(c.chat_retry_max_ms));
}

}  // namespace

const std::vector<std::string>& KnownChatProviders() {
  static const std::vector<std::string> names = {"ollama", "ollama_cloud", "openrouter",
                                                 "kimi",   "opencode",     "local"};
  return names;
}

ChatDispatcher::ChatDispatcher(const Config& config, KbLog* kb) : config_(config), kb_(kb) {
  sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  for (const auto& s : Settings()) {
    RemoteProviderConfig rc;
    rc.name = s.name;
    rc.url = config.*s.url;
    rc.api_key = config.*s.api_key;
    if (rc.api_key.empty() && s.standard_key_env != nullptr) {
      if (const char* v = std::getenv(s.standard_key_env)) rc.api_key = v;
    }
    rc.models = SplitList(config.*s.models);
    rc.timeout = std::chrono::milliseconds(config.*s.timeout_ms);
    rc.first_byte_timeout = std::chrono::milliseconds(config.providers_first_byte_timeout_ms);
    if (rc.url.empty() || (s.needs_key && rc.api_key.empty())) continue;
    AddProvider(MakeRemoteChatProvider(s.wire, std::move(rc)));
  }
  fallback_ = SplitList(config.chat_fallback);
}

ChatDispatcher::~ChatDispatcher() = default;

void ChatDispatcher::AddProvider(std::unique_ptr<ChatProvider> provider) {
  std::string name(provider->name());
  providers_[name] = std::move(provider);
  if (name == "local") return;  // in process: nothing to break
  CircuitBreaker::Options bo;
  bo.failures = static_cast<int>(config_.providers_breaker_failures);
  bo.cooldown = std::chrono::milliseconds(config_.providers_breaker_cooldown_ms);
  breakers_[name] = std::make_unique<CircuitBreaker>("chat", name, bo);
}

CircuitBreaker* ChatDispatcher::BreakerOf(const std::string& provider) const {
  auto it = breakers_.find(provider);
  return it == breakers_.end() ? nullptr : it->second.get();
}

std::string ChatDispatcher::BreakerState(const std::string& provider) const {
  const CircuitBreaker* b = BreakerOf(provider);
  return b == nullptr ? "" : std::string(CircuitBreaker::StateName(b->state()));
}

std::string ChatDispatcher::DefaultModel() const {
  if (!config_.chat_default_model.empty()) return config_.chat_default_model;
  for (const auto& s : Settings()) {
    auto it = providers_.find(s.name);
    if (it == providers_.end()) continue;
    auto models = it->second->models();
    if (!models.empty()) return fmt::format("{}/{}", s.name, models.front());
  }
  return "local/planner";
}

Json ChatDispatcher::ProvidersJson() const {
  Json list = Json::array();
  for (const auto& name : KnownChatProviders()) {
    auto it = providers_.find(name);
    Json models = Json::array();
    if (it != providers_.end())
      for (const auto& m : it->second->models()) models.push_back(m);
    Json entry{{"name", name}, {"configured", it != providers_.end()}, {"models", models}};
    if (const CircuitBreaker* b = BreakerOf(name)) entry["breaker"] = b->ToJson();
    list.push_back(std::move(entry));
  }
  for (const auto& [name, p] : providers_) {  // providers added beyond the known ones
    if (std::find(KnownChatProviders().begin(), KnownChatProviders().end(), name) !=
        KnownChatProviders().end())
      continue;
    Json models = Json::array();
    for (const auto& m : p->models()) models.push_back(m);
    Json entry{{"name", name}, {"configured", true}, {"models", models}};
    if (const CircuitBreaker* b = BreakerOf(name)) entry["breaker"] = b->ToJson();
    list.push_back(std::move(entry));
  }
  Json fallback = Json::array();
  for (const auto& f : fallback_) fallback.push_back(f);
  return Json{{"default_model", DefaultModel()}, {"fallback", fallback}, {"providers", list}};
}

Result<ChatDispatcher::Resolved> ChatDispatcher::Resolve(const std::string& full) const {
  const size_t slash = full.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == full.size()) {
    return Status::InvalidArgument(fmt::format(
        "model '{}' must be provider/model, e.g. local/planner or openrouter/openai/gpt-4o-mini",
        full));
  }
  const std::string provider = full.substr(0, slash), model = full.substr(slash + 1);
  auto it = providers_.find(provider);
  if (it == providers_.end()) {
    const auto& known = KnownChatProviders();
    if (std::find(known.begin(), known.end(), provider) != known.end()) {
      return Status::Unavailable(fmt::format("chat provider '{}' is not configured: {}", provider,
                                             HowToConfigure(provider)));
    }
    std::string names;
    for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
    return Status::InvalidArgument(
        fmt::format("unknown chat provider '{}' in model '{}'; known: {}", provider, full, names));
  }
  const auto models = it->second->models();
  if (!models.empty() && std::find(models.begin(), models.end(), model) == models.end()) {
    std::string names;
    for (const auto& m : models) names += (names.empty() ? "" : ", ") + provider + "/" + m;
    return Status::InvalidArgument(fmt::format(
        "model '{}' is not configured for provider {}; configured: {}", model, provider, names));
  }
  return Resolved{it->second.get(), model};
}

Result<ChatOutcome> ChatDispatcher::Complete(const ChatRequest& request,
                                             const ChatCallContext& context) {
  return Run(request, context, nullptr);
}

Result<ChatOutcome> ChatDispatcher::Stream(const ChatRequest& request,
                                           const ChatCallContext& context,
                                           const ChatDeltaSink& sink) {
  return Run(request, context, &sink);
}

Result<ChatOutcome> ChatDispatcher::Run(const ChatRequest& request, const ChatCallContext& context,
                                        const ChatDeltaSink* sink) {
  const auto start = std::chrono::steady_clock::now();
  auto& metrics = MetricsRegistry::Global();
  std::vector<std::string> chain = {request.model.empty() ? DefaultModel() : request.model};
  for (const auto& f : fallback_)
    if (std::find(chain.begin(), chain.end(), f) == chain.end()) chain.push_back(f);

  ChatOutcome out;
  std::vector<std::pair<std::string, Status>> failures;
  Result<ChatReply> answer = Status::Internal("no chat model tried");
  bool relayed = false;        // a streamed piece reached the receiver: no retry, no fallback
  bool receiver_gone = false;  // the receiver left mid-answer
  for (size_t i = 0; i < chain.size() && !answer.ok() && !relayed; ++i) {
    const std::string& full = chain[i];
    auto resolved = Resolve(full);
    if (!resolved.ok()) {
      // A malformed or unknown requested model is the caller's error: no fallback.
      if (i == 0 && resolved.status().code() == ErrorCode::kInvalidArgument)
        return resolved.status();
      failures.emplace_back(full, resolved.status());
      continue;
    }
    ChatRequest call_req = request;
    call_req.model = resolved->model;
    const std::string provider(resolved->provider->name());
    CircuitBreaker* breaker = BreakerOf(provider);
    for (int attempt = 0;; ++attempt) {
      if (breaker != nullptr && !breaker->Allow()) {
        failures.emplace_back(
            full, Status::Unavailable(fmt::format(
                      "chat provider {} is failing: its circuit breaker is open (probing again "
                      "in {} ms)",
                      provider, breaker->RetryIn().count())));
        break;
      }
      const auto t0 = std::chrono::steady_clock::now();
      ProviderCall call;
      if (sink != nullptr) {
        // Relayed as it arrives; the first piece also marks the time to first byte.
        call = resolved->provider->Stream(call_req, [&](std::string_view delta) {
          if (!relayed) {
            relayed = true;
            metrics
                .GetHistogram("lakehouse_chat_first_byte_seconds",
                              "provider call: time to the first streamed piece", {"provider"},
                              {provider}, DefaultLatencyBounds())
                .Observe(static_cast<double>(MicrosSince(t0)) / 1e6);
          }
          receiver_gone = receiver_gone || !(*sink)(delta);
          return !receiver_gone;
        });
      } else {
        call = resolved->provider->Complete(call_req);
      }
      ++out.attempts;
      if (breaker != nullptr) {
        const ErrorCode code = call.result.ok() ? ErrorCode::kOk : call.result.status().code();
        if (call.result.ok())
          breaker->Success();
        else if (call.retryable && code != ErrorCode::kRateLimited && !receiver_gone)
          breaker->Failure();  // transport, timeout, 5xx, a malformed answer
        else
          breaker->Neutral();  // the request's fault, a quota, or a client that left
      }
      metrics
          .GetHistogram("lakehouse_chat_latency_seconds", "provider call latency", {"provider"},
                        {provider}, DefaultLatencyBounds())
          .Observe(static_cast<double>(MicrosSince(t0)) / 1e6);
      metrics
          .GetCounter("lakehouse_chat_calls_total", "provider calls by outcome",
                      {"provider", "outcome"}, {provider, call.result.ok() ? "ok" : "error"})
          .Inc();
      if (call.result.ok()) {
        answer = std::move(call.result);
        out.model = full;
        out.provider = provider;
        break;
      }
      const Status st = call.result.status();
      if (!call.retryable || attempt >= config_.chat_max_retries || relayed ||
          (breaker != nullptr && breaker->state() == CircuitBreaker::State::kOpen)) {
        failures.emplace_back(full, st);
        break;
      }
      std::chrono::milliseconds wait = Backoff(config_, attempt);
      if (call.retry_after) {
        if (*call.retry_after > kMaxRetryAfter) {
          failures.emplace_back(full, st);
          break;
        }
        wait = *call.retry_after;
      }
      metrics
          .GetCounter("lakehouse_chat_retries_total", "provider calls retried", {"provider"},
                      {provider})
          .Inc();
      spdlog::warn("chat {} attempt {} failed ({}); retrying in {} ms", full, attempt + 1,
                   st.ToString(), wait.count());
      sleep(wait);
    }
  }
  out.latency_ms = static_cast<double>(MicrosSince(start)) / 1000.0;
  for (const auto& [model, st] : failures)
    out.fallback_from.push_back(Json{{"model", model}, {"error", st.ToString()}});

  Status final_status = Status::OK();
  if (!answer.ok()) {
    if (failures.size() == 1) {
      final_status = failures[0].second;
    } else {
      bool none_reachable = true;
      std::string list;
      for (const auto& [model, st] : failures) {
        none_reachable = none_reachable && st.code() == ErrorCode::kUnavailable;
        list += (list.empty() ? "" : "; ") + model + ": " + st.message();
      }
      final_status = none_reachable ? Status::Unavailable("no chat provider reachable: " + list)
                                    : Status(failures.back().second.code(),
                                             "every chat model failed: " + list);
    }
  } else {
    out.reply = std::move(*answer);
    metrics
        .GetCounter("lakehouse_chat_tokens_total", "tokens by provider and kind",
                    {"provider", "kind"}, {out.provider, "prompt"})
        .Inc(static_cast<uint64_t>(std::max<int64_t>(0, out.reply.usage.prompt_tokens)));
    metrics
        .GetCounter("lakehouse_chat_tokens_total", "tokens by provider and kind",
                    {"provider", "kind"}, {out.provider, "completion"})
        .Inc(static_cast<uint64_t>(std::max<int64_t>(0, out.reply.usage.completion_tokens)));
  }

  if (kb_ != nullptr) {
    Json j = Json::object();
    j["schema"] = KbSchema(KbSource::kChatTurns);
    j["id"] = "chat_" + NextRequestId();
    j["at"] = FormatRfc3339Millis(SystemClock::Get().NowMillis());
    j["request_id"] = context.request_id;
    j["origin"] = context.origin;
    j["run_id"] = context.run_id.empty() ? Json(nullptr) : Json(context.run_id);
    j["requested_model"] = chain.front();
    j["model"] = answer.ok() ? Json(out.model) : Json(nullptr);
    j["provider"] = answer.ok() ? Json(out.provider) : Json(nullptr);
    j["messages"] = ChatMessagesJson(request.messages);
    j["response"] = answer.ok() ? Json(out.reply.content) : Json(nullptr);
    j["finish_reason"] = answer.ok() ? Json(out.reply.finish_reason) : Json(nullptr);
    j["usage"] = ChatUsageJson(out.reply.usage);
    j["latency_ms"] = std::round(out.latency_ms * 1000) / 1000;
    j["attempts"] = out.attempts;
    j["fallback_from"] = out.fallback_from;
    j["ok"] = answer.ok();
    j["error"] = final_status.ok() ? Json(nullptr) : ErrorJson(final_status)["error"];
    kb_->Append(KbSource::kChatTurns, j);
  }
  if (!final_status.ok()) return final_status;
  return out;
}

}  // namespace lakehouse
