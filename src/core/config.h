// src/core/config.h: process configuration.
//
// Precedence, lowest to highest: built-in defaults < `lakehouse.toml` (the file named by
// --config, else ./lakehouse.toml when present) < LAKEHOUSE_* environment variables <
// command-line flags (applied by the CLI after Load). Every setting has one row in the
// table in config.cc that names its TOML key and its environment variable, so the three
// sources cannot drift apart; docs/CONFIG.md lists them.
//
// Thread-safety: a Config is a plain value, read-only once the server starts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lakehouse {

struct Config {
  // [server]
  std::string root = "./data";  // data root: a directory, or s3://bucket/prefix (docs/SCALE.md)
  std::string host = "127.0.0.1";
  int64_t port = 3100;
  int64_t io_threads = 2;  // Asio threads that parse HTTP and run fast handlers
  // Worker pools by route class (gateway/http.h WorkClass): each has its own threads and
  // a queue of queue_depth requests; past that, 503 with Retry-After.
  int64_t worker_threads = 4;    // interactive: memory, fills, validate, datasets
  int64_t query_threads = 4;     // SQL, vector and matrix searches
  int64_t bulk_threads = 2;      // ingest, index snapshots, playbook replay
  int64_t waiting_threads = 16;  // journal follow, chat and iterate (they wait on a provider)
  int64_t queue_depth = 64;
  int64_t max_body_bytes = 16LL << 20;   // JSON request bodies
  int64_t max_upload_bytes = 8LL << 30;  // ingest bodies, streamed to disk
  int64_t shutdown_grace_ms = 5000;
  bool access_log = true;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json (one JSON object per line)
  // [server] security (docs/SECURITY.md)
  std::string auth = "off";    // off | required: API keys (auth/keys.h) on every route
  bool insecure = false;       // serve a non-loopback address with auth off anyway
  std::string cors_origins;    // comma-separated origins allowed cross-site; "*" any
  std::string allowed_hosts;   // comma-separated Host names besides loopback's; "*" any
  bool metrics_public = true;  // false: /metrics needs a read key when auth is required
  double rate_limit = 0;  // requests/s per key without its own, per address when anonymous; 0 off
  double rate_burst = 0;  // token bucket size; 0: one second's worth
  // Concurrent SQL, search, chat and iterate requests per key; 0: query_threads.
  int64_t max_expensive_per_key = 0;
  int64_t max_expensive_per_client = 0;  // the same per address for anonymous clients; 0: unbounded
  std::string tls_cert, tls_key;         // PEM files: serve HTTPS
  // [sql]
  int64_t sql_timeout_ms = 30000;
  int64_t sql_max_rows = 10000;                 // cap on rows a /v1/sql answer carries
  int64_t sql_max_answer_bytes = 32LL << 20;    // cap on a /v1/sql answer's rows, in bytes
  int64_t sql_pool_size = 8;                    // DuckDB connections shared by concurrent requests
  int64_t duckdb_threads = 0;                   // 0: DuckDB's default (one per core)
  std::string duckdb_memory_limit;              // empty: 40% of the machine's (or cgroup's) memory
  int64_t sql_result_cache_bytes = 64LL << 20;  // answers kept until a dataset changes; 0 off
  // [datasets] retention (catalog/catalog.h Retention): applied after each commit
  int64_t datasets_keep_versions = 0;  // the newest N versions of each dataset stay; 0: all
  int64_t datasets_keep_days = 0;      // versions younger than D days stay; 0: no bound
  // [storage]: an s3:// root keeps a local copy (storage/s3_object_store.h)
  std::string cache_dir;                 // --cache; empty: ~/.cache/lakehouse/<bucket>/<prefix>
  int64_t cache_max_bytes = 20LL << 30;  // dataset parts kept locally (least recently used go)
  int64_t sync_interval_ms = 1000;       // local logs and indexes reach the bucket this often
  std::string
      catalog;  // --catalog: postgresql://... (Iceberg JDBC tables); empty: files in the root
  int64_t lease_ms = 10000;  // with a catalog: a component owner's lease, renewed every third
  // With a catalog: the URL other nodes reach this server at (they forward component routes
  // to the owner); empty: http://<host>:<port>, the machine's name when host is 0.0.0.0.
  std::string advertise_url;
  // [embed]
  std::string embed_default_model = "hash/default";
  int64_t embed_hash_dims = 384;
  int64_t embed_cache_bytes = 256LL << 20;
  std::string embed_ollama_url;      // empty: provider off
  std::string embed_openai_url;      // empty: provider off
  std::string embed_openai_api_key;  // prefer the environment variable; never logged
  int64_t embed_timeout_ms = 30000;
  int64_t embed_max_retries = 2;  // retryable failures (5xx, transport), backoff as chat's
  // [validate]
  int64_t validate_radius_miles = 50;
  // The fills ledger (validate/ledger.h) folds its commits into a new `fills` version when
  // this many are pending, or when the oldest pending one is this old.
  int64_t ledger_compact_rows = 1000;
  int64_t ledger_compact_age_ms = 300000;
  // The nice value a compaction writes its Parquet at (0: the compactor's own priority), so
  // a compaction of a large ledger yields the cores to requests (core/background_thread.h).
  int64_t ledger_compact_nice = 19;
  std::string validate_forbidden_phrases;  // comma-separated, added to the built-in list
  // [vectors]
  // The workers index's storage (vector/quantize.h): none | int8 (int8 codes in memory, the
  // graph on them, float rerank) | auto (int8 for a new index; an existing one keeps the
  // storage it was built with); a change to none or int8 rebuilds the index at the next start.
  std::string vectors_workers_quantization = "auto";
  // MB of the columns searches read (codes, else float rows), all indexes together, made
  // resident before /readyz says 200 (VectorColumn::Populate); an index whose column does
  // not fit what is left is skipped. 0: none (the first searches fault them in).
  int64_t vectors_populate_mb = 512;
  // [memory]
  double memory_update_threshold = 0.7;  // cosine at which a subject's memory is updated, not added
  // [journal]
  int64_t journal_flush_interval_ms = 5;  // group commit window when nobody waits
  int64_t journal_segment_bytes = 64LL << 20;
  int64_t journal_retention_bytes = 1LL << 30;
  int64_t journal_retention_hours = 24 * 7;
  // [observer]
  int64_t observer_queue_capacity = 65536;
  bool observer_enabled = true;  // false: no rolling metrics (benchmarks measure its cost)
  // [truth]
  std::string truth_source_priority = "roster,coordinator,email,memory,model";
  // [chat]: "" picks local/planner unless a remote provider is configured
  std::string chat_default_model;
  std::string chat_fallback;  // comma-separated provider/model chain tried after a failure
  int64_t chat_max_retries = 2;
  int64_t chat_retry_base_ms = 250;
  int64_t chat_retry_max_ms = 4000;
  // [providers]: every remote chat and embedding provider
  int64_t providers_first_byte_timeout_ms = 20000;  // no byte this long: a failed call (0: off)
  int64_t providers_breaker_failures = 5;           // consecutive failures that open the breaker
  int64_t providers_breaker_cooldown_ms = 30000;    // open this long before a probe
  // [chat.<provider>]: url, api_key (prefer the environment; never logged), models
  // (comma-separated; empty accepts any), timeout_ms. ollama is on when its url is set;
  // the others when their api_key is set.
  std::string chat_ollama_url, chat_ollama_api_key, chat_ollama_models;
  int64_t chat_ollama_timeout_ms = 120000;
  std::string chat_ollama_cloud_url = "https://ollama.com", chat_ollama_cloud_api_key,
              chat_ollama_cloud_models;
  int64_t chat_ollama_cloud_timeout_ms = 120000;
  std::string chat_openrouter_url = "https://openrouter.ai/api/v1", chat_openrouter_api_key,
              chat_openrouter_models;
  int64_t chat_openrouter_timeout_ms = 120000;
  std::string chat_kimi_url = "https://api.moonshot.ai/v1", chat_kimi_api_key, chat_kimi_models;
  int64_t chat_kimi_timeout_ms = 120000;
  std::string chat_opencode_url = "https://opencode.ai/zen/v1", chat_opencode_api_key,
              chat_opencode_models;
  int64_t chat_opencode_timeout_ms = 120000;

  //! Defaults, then the TOML file, then LAKEHOUSE_* variables. `config_path` empty means
  //! ./lakehouse.toml if it exists. Unknown keys and malformed values are errors.
  static Result<Config> Load(const std::string& config_path = "");
  //! Applies LAKEHOUSE_* variables from the environment.
  Status ApplyEnvironment();
  //! Applies a parsed TOML document's text (exposed for tests).
  Status ApplyToml(const std::string& toml_text, const std::string& origin);
  //! Checks ranges ("port must be 0..65535").
  Status Validate() const;

  //! One row per setting: "sql.timeout_ms  LAKEHOUSE_SQL_TIMEOUT_MS".
  static std::vector<std::string> Describe();

  //! Where each setting that is not its default came from, by "table.key": "file
  //! lakehouse.toml", "environment LAKEHOUSE_SQL_TIMEOUT_MS", "flag --root" (set by
  //! ApplyToml, ApplyEnvironment and the CLI's SetFromFlag).
  std::map<std::string, std::string> sources;
  //! The local directory that holds the root's files: the root itself, or for an s3://
  //! root the cache (cache_dir, or its default under $XDG_CACHE_HOME or ~/.cache).
  std::string LocalRoot() const;
  //! Where other nodes reach this server: advertise_url, else http://<host>:<port> (the
  //! host's name for a wildcard address) with port 0 meaning `bound_port`; "" while unknown.
  std::string AdvertiseUrl(int64_t bound_port = 0) const;
  //! A command-line flag's value for setting `key` ("server.root"), recorded as its source.
  Status SetFromFlag(const std::string& key, const std::string& value, const std::string& flag);
  //! `lakehouse config`: one row per setting, "key  VARIABLE  value  source", the value
  //! as this configuration has it and secrets (API keys) masked: "sk-…(51 chars)".
  std::vector<std::string> Effective() const;
};

//! "a, b,,c " -> {"a", "b", "c"}: list settings are stored comma-separated.
std::vector<std::string> SplitList(std::string_view comma_separated);

}  // namespace lakehouse
