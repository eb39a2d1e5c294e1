#include "core/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  std::variant<std::string Config::*, int64_t Config::*, bool Config::*> field;
};

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"server", "root", "LAKEHOUSE_ROOT", &Config::root},
      {"server", "host", "LAKEHOUSE_HOST", &Config::host},
      {"server", "port", "LAKEHOUSE_PORT", &Config::port},
      {"server", "io_threads", "LAKEHOUSE_IO_THREADS", &Config::io_threads},
      {"server", "worker_threads", "LAKEHOUSE_WORKER_THREADS", &Config::worker_threads},
      {"server", "max_body_bytes", "LAKEHOUSE_MAX_BODY_BYTES", &Config::max_body_bytes},
      {"server", "max_upload_bytes", "LAKEHOUSE_MAX_UPLOAD_BYTES", &Config::max_upload_bytes},
      {"server", "shutdown_grace_ms", "LAKEHOUSE_SHUTDOWN_GRACE_MS", &Config::shutdown_grace_ms},
      {"server", "access_log", "LAKEHOUSE_ACCESS_LOG", &Config::access_log},
      {"server", "log_level", "LAKEHOUSE_LOG_LEVEL", &Config::log_level},
      {"sql", "timeout_ms", "LAKEHOUSE_SQL_TIMEOUT_MS", &Config::sql_timeout_ms},
      {"sql", "max_rows", "LAKEHOUSE_SQL_MAX_ROWS", &Config::sql_max_rows},
      {"sql", "pool_size", "LAKEHOUSE_SQL_POOL_SIZE", &Config::sql_pool_size},
      {"sql", "duckdb_threads", "LAKEHOUSE_DUCKDB_THREADS", &Config::duckdb_threads},
      {"sql", "duckdb_memory_limit", "LAKEHOUSE_DUCKDB_MEMORY_LIMIT", &Config::duckdb_memory_limit},
      {"embed", "default_model", "LAKEHOUSE_EMBED_DEFAULT_MODEL", &Config::embed_default_model},
      {"embed", "hash_dims", "LAKEHOUSE_EMBED_HASH_DIMS", &Config::embed_hash_dims},
      {"embed", "cache_bytes", "LAKEHOUSE_EMBED_CACHE_BYTES", &Config::embed_cache_bytes},
      {"embed", "ollama_url", "LAKEHOUSE_EMBED_OLLAMA_URL", &Config::embed_ollama_url},
      {"embed", "openai_url", "LAKEHOUSE_EMBED_OPENAI_URL", &Config::embed_openai_url},
      {"embed", "openai_api_key", "LAKEHOUSE_EMBED_OPENAI_API_KEY", &Config::embed_openai_api_key},
      {"embed", "timeout_ms", "LAKEHOUSE_EMBED_TIMEOUT_MS", &Config::embed_timeout_ms},
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
    if (const char* v = std::getenv(s.env)) LH_RETURN_IF_ERROR(ParseInto(*this, s, v, s.env));
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
  for (auto&& [table_name, node] : doc) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      return Status::InvalidArgument(
          fmt::format("{}: top-level key '{}' must be a table ([server], [sql] or [embed])", origin,
                      table_name.str()));
    }
    for (auto&& [key, value] : *table) {
      const Setting* match = nullptr;
      for (const Setting& s : Settings()) {
        if (table_name.str() == s.table && key.str() == s.key) match = &s;
      }
      const std::string where = fmt::format("{}: {}.{}", origin, table_name.str(), key.str());
      if (match == nullptr) return Status::InvalidArgument(where + ": unknown setting");
      std::string text;
      if (auto s = value.value<std::string>(); s && value.is_string()) {
        text = *s;
      } else if (auto b = value.value<bool>(); b && value.is_boolean()) {
        text = *b ? "true" : "false";
      } else if (auto i = value.value<int64_t>(); i && value.is_integer()) {
        text = std::to_string(*i);
      } else {
        return Status::InvalidArgument(where + ": expected a string, integer or boolean");
      }
      LH_RETURN_IF_ERROR(ParseInto(*this, *match, text, where));
    }
  }
  return Status::OK();
}

Status Config::Validate() const {
  if (port < 0 || port > 65535)
    return Status::InvalidArgument(fmt::format("port {} is not in 0..65535", port));
  if (io_threads < 1 || io_threads > 256)
    return Status::InvalidArgument("io_threads must be 1..256");
  if (worker_threads < 1 || worker_threads > 1024)
    return Status::InvalidArgument("worker_threads must be 1..1024");
  if (sql_pool_size < 1 || sql_pool_size > 256)
    return Status::InvalidArgument("sql.pool_size must be 1..256");
  if (sql_max_rows < 1) return Status::InvalidArgument("sql.max_rows must be positive");
  if (sql_timeout_ms < 1) return Status::InvalidArgument("sql.timeout_ms must be positive");
  if (max_body_bytes < 1024) return Status::InvalidArgument("max_body_bytes must be at least 1024");
  if (root.empty()) return Status::InvalidArgument("root must not be empty");
  if (embed_hash_dims < 8 || embed_hash_dims > 8192)
    return Status::InvalidArgument("embed.hash_dims must be 8..8192");
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

}  // namespace lakehouse
