#include "core/config.h"

#include <unistd.h>

#include "core/redact.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <variant>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace lakehouse {
namespace {

struct Setting {
  const char* table;  // TOML table
  const char* key;    // TOML key inside the table
  const char* env;    // environment variable
  std::variant<std::string Config::*, int64_t Config::*, bool Config::*, double Config::*> field;
};

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"server", "root", "LAKEHOUSE_ROOT", &Config::root},
      {"server", "host", "LAKEHOUSE_HOST", &Config::host},
      {"server", "port", "LAKEHOUSE_PORT", &Config::port},
      {"server", "io_threads", "LAKEHOUSE_IO_THREADS", &Config::io_threads},
      {"server", "worker_threads", "LAKEHOUSE_WORKER_THREADS", &Config::worker_threads},
      {"server", "query_threads", "LAKEHOUSE_QUERY_THREADS", &Config::query_threads},
      {"server", "bulk_threads", "LAKEHOUSE_BULK_THREADS", &Config::bulk_threads},
      {"server", "waiting_threads", "LAKEHOUSE_WAITING_THREADS", &Config::waiting_threads},
      {"server", "queue_depth", "LAKEHOUSE_QUEUE_DEPTH", &Config::queue_depth},
      {"server", "max_body_bytes", "LAKEHOUSE_MAX_BODY_BYTES", &Config::max_body_bytes},
      {"server", "max_upload_bytes", "LAKEHOUSE_MAX_UPLOAD_BYTES", &Config::max_upload_bytes},
      {"server", "shutdown_grace_ms", "LAKEHOUSE_SHUTDOWN_GRACE_MS", &Config::shutdown_grace_ms},
      {"server", "access_log", "LAKEHOUSE_ACCESS_LOG", &Config::access_log},
      {"server", "log_level", "LAKEHOUSE_LOG_LEVEL", &Config::log_level},
      {"server", "log_format", "LAKEHOUSE_LOG_FORMAT", &Config::log_format},
      {"server", "auth", "LAKEHOUSE_AUTH", &Config::auth},
      {"server", "insecure", "LAKEHOUSE_INSECURE", &Config::insecure},
      {"server", "cors_origins", "LAKEHOUSE_CORS_ORIGINS", &Config::cors_origins},
      {"server", "allowed_hosts", "LAKEHOUSE_ALLOWED_HOSTS", &Config::allowed_hosts},
      {"server", "metrics_public", "LAKEHOUSE_METRICS_PUBLIC", &Config::metrics_public},
      {"server", "rate_limit", "LAKEHOUSE_RATE_LIMIT", &Config::rate_limit},
      {"server", "rate_burst", "LAKEHOUSE_RATE_BURST", &Config::rate_burst},
      {"server", "max_expensive_per_key", "LAKEHOUSE_MAX_EXPENSIVE_PER_KEY",
       &Config::max_expensive_per_key},
      {"server", "max_expensive_per_client", "LAKEHOUSE_MAX_EXPENSIVE_PER_CLIENT",
       &Config::max_expensive_per_client},
      {"server", "tls_cert", "LAKEHOUSE_TLS_CERT", &Config::tls_cert},
      {"server", "tls_key", "LAKEHOUSE_TLS_KEY", &Config::tls_key},
      {"sql", "timeout_ms", "LAKEHOUSE_SQL_TIMEOUT_MS", &Config::sql_timeout_ms},
      {"sql", "max_rows", "LAKEHOUSE_SQL_MAX_ROWS", &Config::sql_max_rows},
      {"datasets", "keep_versions", "LAKEHOUSE_DATASETS_KEEP_VERSIONS",
       &Config::datasets_keep_versions},
      {"datasets", "keep_days", "LAKEHOUSE_DATASETS_KEEP_DAYS", &Config::datasets_keep_days},
      {"sql", "max_answer_bytes", "LAKEHOUSE_SQL_MAX_ANSWER_BYTES", &Config::sql_max_answer_bytes},
      {"sql", "pool_size", "LAKEHOUSE_SQL_POOL_SIZE", &Config::sql_pool_size},
      {"sql", "duckdb_threads", "LAKEHOUSE_DUCKDB_THREADS", &Config::duckdb_threads},
      {"sql", "duckdb_memory_limit", "LAKEHOUSE_DUCKDB_MEMORY_LIMIT", &Config::duckdb_memory_limit},
      {"sql", "result_cache_bytes", "LAKEHOUSE_SQL_RESULT_CACHE_BYTES",
       &Config::sql_result_cache_bytes},
      {"storage", "cache_dir", "LAKEHOUSE_CACHE", &Config::cache_dir},
      {"storage", "cache_max_bytes", "LAKEHOUSE_CACHE_MAX_BYTES", &Config::cache_max_bytes},
      {"storage", "sync_interval_ms", "LAKEHOUSE_SYNC_INTERVAL_MS", &Config::sync_interval_ms},
      {"storage", "catalog", "LAKEHOUSE_CATALOG", &Config::catalog},
      {"storage", "lease_ms", "LAKEHOUSE_LEASE_MS", &Config::lease_ms},
      {"storage", "advertise_url", "LAKEHOUSE_ADVERTISE_URL", &Config::advertise_url},
      {"embed", "default_model", "LAKEHOUSE_EMBED_DEFAULT_MODEL", &Config::embed_default_model},
      {"embed", "hash_dims", "LAKEHOUSE_EMBED_HASH_DIMS", &Config::embed_hash_dims},
      {"embed", "cache_bytes", "LAKEHOUSE_EMBED_CACHE_BYTES", &Config::embed_cache_bytes},
      {"embed", "ollama_url", "LAKEHOUSE_EMBED_OLLAMA_URL", &Config::embed_ollama_url},
      {"embed", "openai_url", "LAKEHOUSE_EMBED_OPENAI_URL", &Config::embed_openai_url},
      {"embed", "openai_api_key", "LAKEHOUSE_EMBED_OPENAI_API_KEY", &Config::embed_openai_api_key},
      {"embed", "timeout_ms", "LAKEHOUSE_EMBED_TIMEOUT_MS", &Config::embed_timeout_ms},
      {"embed", "max_retries", "LAKEHOUSE_EMBED_MAX_RETRIES", &Config::embed_max_retries},
      {"validate", "radius_miles", "LAKEHOUSE_VALIDATE_RADIUS_MILES",
       &Config::validate_radius_miles},
      {"validate", "forbidden_phrases", "LAKEHOUSE_VALIDATE_FORBIDDEN_PHRASES",
       &Config::validate_forbidden_phrases},
      {"validate", "ledger_compact_rows", "LAKEHOUSE_LEDGER_COMPACT_ROWS",
       &Config::ledger_compact_rows},
      {"validate", "ledger_compact_age_ms", "LAKEHOUSE_LEDGER_COMPACT_AGE_MS",
       &Config::ledger_compact_age_ms},
      {"validate", "ledger_compact_nice", "LAKEHOUSE_LEDGER_COMPACT_NICE",
       &Config::ledger_compact_nice},
      {"vectors", "workers_quantization", "LAKEHOUSE_VECTORS_WORKERS_QUANTIZATION",
       &Config::vectors_workers_quantization},
      {"vectors", "populate_mb", "LAKEHOUSE_VECTORS_POPULATE_MB", &Config::vectors_populate_mb},
      {"memory", "update_threshold", "LAKEHOUSE_MEMORY_UPDATE_THRESHOLD",
       &Config::memory_update_threshold},
      {"journal", "flush_interval_ms", "LAKEHOUSE_JOURNAL_FLUSH_INTERVAL_MS",
       &Config::journal_flush_interval_ms},
      {"journal", "segment_bytes", "LAKEHOUSE_JOURNAL_SEGMENT_BYTES",
       &Config::journal_segment_bytes},
      {"journal", "retention_bytes", "LAKEHOUSE_JOURNAL_RETENTION_BYTES",
       &Config::journal_retention_bytes},
      {"journal", "retention_hours", "LAKEHOUSE_JOURNAL_RETENTION_HOURS",
       &Config::journal_retention_hours},
      {"observer", "queue_capacity", "LAKEHOUSE_OBSERVER_QUEUE_CAPACITY",
       &Config::observer_queue_capacity},
      {"observer", "enabled", "LAKEHOUSE_OBSERVER_ENABLED", &Config::observer_enabled},
      {"truth", "source_priority", "LAKEHOUSE_TRUTH_SOURCE_PRIORITY",
       &Config::truth_source_priority},
      {"chat", "default_model", "LAKEHOUSE_CHAT_DEFAULT_MODEL", &Config::chat_default_model},
      {"chat", "fallback", "LAKEHOUSE_CHAT_FALLBACK", &Config::chat_fallback},
      {"chat", "max_retries", "LAKEHOUSE_CHAT_MAX_RETRIES", &Config::chat_max_retries},
      {"chat", "retry_base_ms", "LAKEHOUSE_CHAT_RETRY_BASE_MS", &Config::chat_retry_base_ms},
      {"chat", "retry_max_ms", "LAKEHOUSE_CHAT_RETRY_MAX_MS", &Config::chat_retry_max_ms},
      {"providers", "first_byte_timeout_ms", "LAKEHOUSE_PROVIDERS_FIRST_BYTE_TIMEOUT_MS",
       &Config::providers_first_byte_timeout_ms},
      {"providers", "breaker_failures", "LAKEHOUSE_PROVIDERS_BREAKER_FAILURES",
       &Config::providers_breaker_failures},
      {"providers", "breaker_cooldown_ms", "LAKEHOUSE_PROVIDERS_BREAKER_COOLDOWN_MS",
       &Config::providers_breaker_cooldown_ms},
      {"chat.ollama", "url", "LAKEHOUSE_CHAT_OLLAMA_URL", &Config::chat_ollama_url},
      {"chat.ollama", "api_key", "LAKEHOUSE_CHAT_OLLAMA_API_KEY", &Config::chat_ollama_api_key},
      {"chat.ollama", "models", "LAKEHOUSE_CHAT_OLLAMA_MODELS", &Config::chat_ollama_models},
      {"chat.ollama", "timeout_ms", "LAKEHOUSE_CHAT_OLLAMA_TIMEOUT_MS",
       &Config::chat_ollama_timeout_ms},
      {"chat.ollama_cloud", "url", "LAKEHOUSE_CHAT_OLLAMA_CLOUD_URL",
       &Config::chat_ollama_cloud_url},
      {"chat.ollama_cloud", "api_key", "LAKEHOUSE_CHAT_OLLAMA_CLOUD_API_KEY",
       &Config::chat_ollama_cloud_api_key},
      {"chat.ollama_cloud", "models", "LAKEHOUSE_CHAT_OLLAMA_CLOUD_MODELS",
       &Config::chat_ollama_cloud_models},
      {"chat.ollama_cloud", "timeout_ms", "LAKEHOUSE_CHAT_OLLAMA_CLOUD_TIMEOUT_MS",
       &Config::chat_ollama_cloud_timeout_ms},
      {"chat.openrouter", "url", "LAKEHOUSE_CHAT_OPENROUTER_URL", &Config::chat_openrouter_url},
      {"chat.openrouter", "api_key", "LAKEHOUSE_CHAT_OPENROUTER_API_KEY",
       &Config::chat_openrouter_api_key},
      {"chat.openrouter", "models", "LAKEHOUSE_CHAT_OPENROUTER_MODELS",
       &Config::chat_openrouter_models},
      {"chat.openrouter", "timeout_ms", "LAKEHOUSE_CHAT_OPENROUTER_TIMEOUT_MS",
       &Config::chat_openrouter_timeout_ms},
      {"chat.kimi", "url", "LAKEHOUSE_CHAT_KIMI_URL", &Config::chat_kimi_url},
      {"chat.kimi", "api_key", "LAKEHOUSE_CHAT_KIMI_API_KEY", &Config::chat_kimi_api_key},
      {"chat.kimi", "models", "LAKEHOUSE_CHAT_KIMI_MODELS", &Config::chat_kimi_models},
      {"chat.kimi", "timeout_ms", "LAKEHOUSE_CHAT_KIMI_TIMEOUT_MS", &Config::chat_kimi_timeout_ms},
      {"chat.opencode", "url", "LAKEHOUSE_CHAT_OPENCODE_URL", &Config::chat_opencode_url},
      {"chat.opencode", "api_key", "LAKEHOUSE_CHAT_OPENCODE_API_KEY",
       &Config::chat_opencode_api_key},
      {"chat.opencode", "models", "LAKEHOUSE_CHAT_OPENCODE_MODELS", &Config::chat_opencode_models},
      {"chat.opencode", "timeout_ms", "LAKEHOUSE_CHAT_OPENCODE_TIMEOUT_MS",
       &Config::chat_opencode_timeout_ms},
  };
  return settings;
}

Status ParseInto(Config& cfg, const Setting& s, const std::string& text,
                 const std::string& origin) {
  return std::visit(
      [&](auto member) -> Status {
        using T = std::remove_reference_t<decltype(cfg.*member)>;
        if constexpr (std::is_same_v<T, std::string>) {
          cfg.*member = text;
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "1" || text == "true" || text == "yes" || text == "on") {
            cfg.*member = true;
          } else if (text == "0" || text == "false" || text == "no" || text == "off") {
            cfg.*member = false;
          } else {
            return Status::InvalidArgument(
                fmt::format("{}: expected a boolean, got '{}'", origin, text));
          }
        } else if constexpr (std::is_same_v<T, double>) {
          char* end = nullptr;
          errno = 0;
          double v = std::strtod(text.c_str(), &end);
          if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(v)) {
            return Status::InvalidArgument(
                fmt::format("{}: expected a number, got '{}'", origin, text));
          }
          cfg.*member = v;
        } else {
          char* end = nullptr;
          errno = 0;
          long long v = std::strtoll(text.c_str(), &end, 10);
          if (text.empty() || *end != '\0' || errno != 0) {
            return Status::InvalidArgument(
                fmt::format("{}: expected an integer, got '{}'", origin, text));
          }
          cfg.*member = v;
        }
        return Status::OK();
      },
      s.field);
}

}  // namespace

Status Config::ApplyEnvironment() {
  for (const Setting& s : Settings()) {
    if (const char* v = std::getenv(s.env)) {
      LH_RETURN_IF_ERROR(ParseInto(*this, s, v, s.env));
      sources[fmt::format("{}.{}", s.table, s.key)] = std::string("environment ") + s.env;
    }
  }
  return Status::OK();
}

Status Config::ApplyToml(const std::string& toml_text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", origin, e.description()));
  }
  // Tables nest one level for providers: [chat.openrouter] is table "chat.openrouter".
  std::function<Status(const std::string&, const toml::table&)> apply_table =
      [&](const std::string& table_name, const toml::table& table) -> Status {
    for (auto&& [key, value] : table) {
      if (const toml::table* sub = value.as_table()) {
        LH_RETURN_IF_ERROR(apply_table(table_name + "." + std::string(key.str()), *sub));
        continue;
      }
      const Setting* match = nullptr;
      for (const Setting& s : Settings()) {
        if (table_name == s.table && key.str() == s.key) match = &s;
      }
      const std::string where = fmt::format("{}: {}.{}", origin, table_name, key.str());
      if (match == nullptr) return Status::InvalidArgument(where + ": unknown setting");
      std::string text;
      if (auto s = value.value<std::string>(); s && value.is_string()) {
        text = *s;
      } else if (auto b = value.value<bool>(); b && value.is_boolean()) {
        text = *b ? "true" : "false";
      } else if (auto i = value.value<int64_t>(); i && value.is_integer()) {
        text = std::to_string(*i);
      } else if (auto d = value.value<double>(); d && value.is_floating_point()) {
        text = fmt::format("{}", *d);
      } else if (const toml::array* arr = value.as_array()) {
        // A list of strings is stored comma-separated (models, fallback, phrases).
        for (const auto& item : *arr) {
          auto str = item.value<std::string>();
          if (!str || !item.is_string())
            return Status::InvalidArgument(where + ": expected an array of strings");
          if (!text.empty()) text += ',';
          text += *str;
        }
      } else {
        return Status::InvalidArgument(where + ": expected a string, integer, boolean or list");
      }
      LH_RETURN_IF_ERROR(ParseInto(*this, *match, text, where));
      sources[fmt::format("{}.{}", match->table, match->key)] = "file " + origin;
    }
    return Status::OK();
  };
  for (auto&& [table_name, node] : doc) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return Status::InvalidArgument(
          fmt::format("{}: top-level key '{}' must be a table ([server], [sql], [embed], "
                      "[validate], [memory], [chat])",
                      origin, table_name.str()));
    }
    LH_RETURN_IF_ERROR(apply_table(std::string(table_name.str()), *table));
  }
  return Status::OK();
}

Status Config::Validate() const {
  if (port < 0 || port > 65535)
    return Status::InvalidArgument(fmt::format("port {} is not in 0..65535", port));
  if (io_threads < 1 || io_threads > 256)
    return Status::InvalidArgument("io_threads must be 1..256");
  for (auto [name, n] :
       {std::pair{"worker_threads", worker_threads}, std::pair{"query_threads", query_threads},
        std::pair{"bulk_threads", bulk_threads}, std::pair{"waiting_threads", waiting_threads}}) {
    if (n < 1 || n > 1024) return Status::InvalidArgument(fmt::format("{} must be 1..1024", name));
  }
  if (ledger_compact_rows < 1) return Status::InvalidArgument("ledger_compact_rows must be >= 1");
  if (ledger_compact_age_ms < 1000)
    return Status::InvalidArgument("ledger_compact_age_ms must be >= 1000");
  if (ledger_compact_nice < 0 || ledger_compact_nice > 19)
    return Status::InvalidArgument("ledger_compact_nice must be 0..19");
  if (queue_depth < 0 || queue_depth > 100000)
    return Status::InvalidArgument("queue_depth must be 0..100000");
  if (sql_max_answer_bytes < 1024)
    return Status::InvalidArgument("sql.max_answer_bytes must be at least 1024");
  if (sql_pool_size < 1 || sql_pool_size > 256)
    return Status::InvalidArgument("sql.pool_size must be 1..256");
  if (sql_max_rows < 1) return Status::InvalidArgument("sql.max_rows must be positive");
  if (datasets_keep_versions < 0 || datasets_keep_days < 0)
    return Status::InvalidArgument(
        "datasets.keep_versions and datasets.keep_days must be 0 (keep all) or positive");
  if (sql_result_cache_bytes < 0)
    return Status::InvalidArgument("sql.result_cache_bytes must be 0 (off) or positive");
  if (sql_timeout_ms < 1) return Status::InvalidArgument("sql.timeout_ms must be positive");
  if (max_body_bytes < 1024) return Status::InvalidArgument("max_body_bytes must be at least 1024");
  if (root.empty()) return Status::InvalidArgument("root must not be empty");
  if (cache_max_bytes < (1LL << 20))
    return Status::InvalidArgument("storage.cache_max_bytes must be at least 1048576 (1 MiB)");
  if (!catalog.empty() && catalog.rfind("postgresql://", 0) != 0 &&
      catalog.rfind("postgres://", 0) != 0)
    return Status::InvalidArgument(
        "storage.catalog (--catalog, LAKEHOUSE_CATALOG) must be a postgresql:// URI");
  if (lease_ms < 1000) return Status::InvalidArgument("storage.lease_ms must be >= 1000");
  if (!advertise_url.empty() &&
      (advertise_url.rfind("http://", 0) != 0 || advertise_url.size() <= 7))
    return Status::InvalidArgument(
        "storage.advertise_url (--advertise-url, LAKEHOUSE_ADVERTISE_URL) must be an "
        "http://host:port URL other nodes can reach");
  if (sync_interval_ms < 50)
    return Status::InvalidArgument("storage.sync_interval_ms must be >= 50");
  if (auth != "off" && auth != "required")
    return Status::InvalidArgument(
        fmt::format("server.auth must be off or required, not '{}'", auth));
  if (!(rate_limit >= 0) || !(rate_burst >= 0))
    return Status::InvalidArgument("server.rate_limit and rate_burst must be >= 0 (0: off)");
  if (max_expensive_per_key < 0 || max_expensive_per_client < 0)
    return Status::InvalidArgument("server.max_expensive_per_key/_per_client must be >= 0");
  if (tls_cert.empty() != tls_key.empty())
    return Status::InvalidArgument("HTTPS needs both server.tls_cert and server.tls_key");
  if (embed_hash_dims < 8 || embed_hash_dims > 8192)
    return Status::InvalidArgument("embed.hash_dims must be 8..8192");
  if (validate_radius_miles < 1)
    return Status::InvalidArgument("validate.radius_miles must be >= 1");
  if (vectors_workers_quantization != "none" && vectors_workers_quantization != "int8" &&
      vectors_workers_quantization != "auto") {
    return Status::InvalidArgument(
        fmt::format("vectors.workers_quantization '{}' is not one of auto, none, int8",
                    vectors_workers_quantization));
  }
  if (vectors_populate_mb < 0) return Status::InvalidArgument("vectors.populate_mb must be >= 0");
  if (!(memory_update_threshold > 0 && memory_update_threshold <= 1))
    return Status::InvalidArgument("memory.update_threshold must be in (0, 1]");
  if (journal_flush_interval_ms < 0 || journal_flush_interval_ms > 10000)
    return Status::InvalidArgument("journal.flush_interval_ms must be 0..10000");
  if (journal_segment_bytes < 4096)
    return Status::InvalidArgument("journal.segment_bytes must be >= 4096");
  if (journal_retention_bytes < journal_segment_bytes)
    return Status::InvalidArgument("journal.retention_bytes must be >= journal.segment_bytes");
  if (journal_retention_hours < 1)
    return Status::InvalidArgument("journal.retention_hours must be >= 1");
  if (observer_queue_capacity < 16 || observer_queue_capacity > (1 << 24))
    return Status::InvalidArgument("observer.queue_capacity must be 16..16777216");
  if (chat_max_retries < 0 || chat_max_retries > 10)
    return Status::InvalidArgument("chat.max_retries must be 0..10");
  if (chat_retry_base_ms < 0 || chat_retry_max_ms < chat_retry_base_ms)
    return Status::InvalidArgument("chat.retry_base_ms must be >= 0 and <= chat.retry_max_ms");
  if (embed_max_retries < 0 || embed_max_retries > 10)
    return Status::InvalidArgument("embed.max_retries must be 0..10");
  if (providers_first_byte_timeout_ms < 0)
    return Status::InvalidArgument("providers.first_byte_timeout_ms must be >= 0 (0: off)");
  if (providers_breaker_failures < 0)
    return Status::InvalidArgument("providers.breaker_failures must be >= 0 (0: never opens)");
  if (providers_breaker_cooldown_ms < 1)
    return Status::InvalidArgument("providers.breaker_cooldown_ms must be >= 1");
  if (!chat_default_model.empty() && chat_default_model.find('/') == std::string::npos) {
    return Status::InvalidArgument(
        "chat.default_model must be provider/model, e.g. local/planner or "
        "openrouter/openai/gpt-4o");
  }
  if (embed_default_model.find('/') == std::string::npos) {
    return Status::InvalidArgument("embed.default_model must be provider/model, e.g. hash/default");
  }
  return Status::OK();
}

Result<Config> Config::Load(const std::string& config_path) {
  Config cfg;
  std::string path = config_path;
  if (path.empty() && std::filesystem::exists("lakehouse.toml")) path = "lakehouse.toml";
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return Status::NotFound(fmt::format("config file '{}' cannot be read", path));
    std::stringstream ss;
    ss << in.rdbuf();
    LH_RETURN_IF_ERROR(cfg.ApplyToml(ss.str(), path));
  }
  LH_RETURN_IF_ERROR(cfg.ApplyEnvironment());
  return cfg;
}

std::vector<std::string> Config::Describe() {
  std::vector<std::string> rows;
  for (const Setting& s : Settings())
    rows.push_back(fmt::format("{}.{}\t{}", s.table, s.key, s.env));
  return rows;
}

std::string Config::AdvertiseUrl(int64_t bound_port) const {
  std::string url = advertise_url;
  if (url.empty()) {
    const int64_t p = port != 0 ? port : bound_port;
    if (p == 0) return "";
    std::string h = host;
    if (h.empty() || h == "0.0.0.0" || h == "::") {
      char name[256] = {0};
      h = ::gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
    } else if (h.find(':') != std::string::npos && h.front() != '[') {
      h = "[" + h + "]";  // an IPv6 literal
    }
    url = fmt::format("http://{}:{}", h, p);
  }
  while (url.size() > 7 && url.back() == '/') url.pop_back();
  return url;
}

std::string Config::LocalRoot() const {
  if (root.rfind("s3://", 0) != 0) return root;
  if (!cache_dir.empty()) return cache_dir;
  std::string base;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    base = std::string(h) + "/.cache";
  } else {
    base = "/var/cache";
  }
  std::string tail = root.substr(5);  // bucket/prefix
  while (!tail.empty() && tail.back() == '/') tail.pop_back();
  return base + "/lakehouse/" + tail;
}

Status Config::SetFromFlag(const std::string& key, const std::string& value,
                           const std::string& flag) {
  for (const Setting& s : Settings()) {
    if (fmt::format("{}.{}", s.table, s.key) != key) continue;
    LH_RETURN_IF_ERROR(ParseInto(*this, s, value, flag));
    sources[key] = "flag " + flag;
    return Status::OK();
  }
  return Status::InvalidArgument("no setting '" + key + "'");
}

std::vector<std::string> Config::Effective() const {
  std::vector<std::string> rows;
  for (const Setting& s : Settings()) {
    const std::string key = fmt::format("{}.{}", s.table, s.key);
    std::string value = std::visit(
        [this](auto field) -> std::string {
          const auto& v = this->*field;
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>)
            return v;
          else if constexpr (std::is_same_v<T, bool>)
            return v ? "true" : "false";
          else
            return fmt::format("{}", v);
        },
        s.field);
    // Secrets are named, never shown: the first 3 characters and the length say which one.
    const std::string_view k = s.key;
    if (!value.empty() &&
        (k.ends_with("api_key") || k.find("secret") != std::string_view::npos ||
         k.find("token") != std::string_view::npos || k.find("password") != std::string_view::npos))
      value = fmt::format("{}…({} chars)", value.substr(0, std::min<size_t>(3, value.size() / 4)),
                          value.size());
    if (k == "catalog") value = RedactUriPassword(value);
    auto src = sources.find(key);
    rows.push_back(fmt::format("{}\t{}\t{}\t{}", key, s.env, value.empty() ? "\"\"" : value,
                               src == sources.end() ? "default" : src->second));
  }
  return rows;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    pos = comma + 1;
  }
  return out;
}

}  // namespace lakehouse
