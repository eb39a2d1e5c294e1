// apps/lakehouse/main.cc: the `lakehouse` command line. Only argument handling lives here;
// every command is a thin call into the subsystems (server/services.h).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "auth/keys.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/process_lock.h"
#include "core/progress.h"
#include "distill/audit.h"
#include "distill/exports.h"
#include "distill/materializer.h"
#include "distill/replay.h"
#include "distill/scorer.h"
#include "distill/scoring.h"
#include "loadgen/loadgen.h"
#include "loadgen/parity.h"
#include "ops/backup.h"
#include "ops/doctor.h"
#include "query/iceberg_migrate.h"
#include "query/ingest.h"
#include "retrieve/workers_index.h"
#include "server/app.h"
#include "server/component_lease.h"
#include "server/services.h"
#include "staffing/generator.h"
#include "storage/s3_object_store.h"
#include "validate/extract_json.h"

namespace lakehouse {
namespace {

struct GlobalFlags {
  std::string config_path;
  std::string root;
  std::string cache;
  std::string catalog;
  std::string log_level;
  std::string log_format;
};

// Config: file and environment first, then the flags given on the command line.
Result<Config> LoadConfig(const GlobalFlags& g) {
  LH_ASSIGN_OR_RETURN(Config cfg, Config::Load(g.config_path));
  if (!g.root.empty()) LH_RETURN_IF_ERROR(cfg.SetFromFlag("server.root", g.root, "--root"));
  if (!g.cache.empty())
    LH_RETURN_IF_ERROR(cfg.SetFromFlag("storage.cache_dir", g.cache, "--cache"));
  if (!g.catalog.empty())
    LH_RETURN_IF_ERROR(cfg.SetFromFlag("storage.catalog", g.catalog, "--catalog"));
  if (!g.log_level.empty())
    LH_RETURN_IF_ERROR(cfg.SetFromFlag("server.log_level", g.log_level, "--log-level"));
  if (!g.log_format.empty())
    LH_RETURN_IF_ERROR(cfg.SetFromFlag("server.log_format", g.log_format, "--log-format"));
  LH_RETURN_IF_ERROR(InitLogging(cfg.log_level, cfg.log_format));
  return cfg;
}

int Fail(const Status& st) {
  std::cerr << "lakehouse: " << st.ToString() << "\n";
  return st.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

void PrintJson(const Json& j) {
  std::cout << j.dump(2) << "\n";
}

// Long work draws its progress on stderr (core/progress.h): `work(&progress)` runs under a
// line for `task` that ends when the work does.
template <class F>
auto WithProgress(const std::string& task, F&& work) {
  Progress progress;
  ProgressLine line(task, progress);
  auto out = work(&progress);
  line.Finish();
  return out;
}

// Ctrl-C or SIGTERM during `index-workers`: the build stops at its next batch and removes
// what it wrote, instead of leaving a half-built index.
std::atomic<Progress*> g_cancel_on_signal{nullptr};
extern "C" void CancelOnSignal(int) {
  if (Progress* p = g_cancel_on_signal.load()) p->Cancel();
}

// An s3:// root's local copy for commands that work on files, with the components' lease
// when a shared catalog says other nodes may be writing: the last upload happens while the
// lease is still held.
struct RootMirror {
  std::unique_ptr<PgCatalog> catalog;
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<ComponentLease> lease;
  ~RootMirror() {
    if (lease) lease->Stop();
    store.reset();
    lease.reset();
    catalog.reset();
  }
};

}  // namespace
}  // namespace lakehouse

int main(int argc, char** argv) {
  using namespace lakehouse;
  // A write past a file-size limit (ulimit -f) must fail with EFBIG and be answered as a
  // full disk (507), not kill the server; a peer that closes its socket is an error
  // code, not a signal.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App cli{"lakehouse: the data and AI substrate of a staffing business (see README.md)"};
  cli.set_version_flag(
      "--version", [] { return VersionText(); },
      "print the version, git commit, build and library versions, and exit");
  cli.require_subcommand(1);
  GlobalFlags g;
  auto add_globals = [&](CLI::App* sub) {
    sub->add_option("--root", g.root,
                    "data root: a directory (default ./data) or s3://bucket/prefix (env "
                    "LAKEHOUSE_ROOT)");
    sub->add_option("--cache", g.cache,
                    "an s3:// root's local copy (default ~/.cache/lakehouse/<bucket>/<prefix>, "
                    "env LAKEHOUSE_CACHE)");
    sub->add_option("--catalog", g.catalog,
                    "the catalog many nodes share: postgresql://user@host/db (env "
                    "LAKEHOUSE_CATALOG; docs/SCALE.md)");
    sub->add_option("--config", g.config_path,
                    "TOML config file (default ./lakehouse.toml if present)");
    sub->add_option("--log-level", g.log_level, "trace, debug, info, warn, error, off");
    sub->add_option("--log-format", g.log_format,
                    "text (default) or json: one JSON object per line (env LAKEHOUSE_LOG_FORMAT)");
  };

  // serve
  auto* serve = cli.add_subcommand("serve", "run every service in one process: HTTP on host:port");
  add_globals(serve);
  std::string host;
  int64_t port = -1, io_threads = 0, worker_threads = 0;
  bool demo = false, no_access_log = false;
  int64_t demo_workers = 100000, demo_orders = 5000;
  serve->add_option("--host", host, "listen address (default 127.0.0.1)");
  serve->add_option("--port", port, "listen port (default 3100; 0 picks a free one)");
  serve->add_option("--io-threads", io_threads, "HTTP I/O threads (default 2)");
  serve->add_option("--worker-threads", worker_threads,
                    "threads for blocking handlers (default 4)");
  serve->add_flag("--demo", demo, "generate demo data first when the root has no datasets");
  serve->add_option("--demo-workers", demo_workers,
                    "workers to generate with --demo (default 100000)");
  serve->add_option("--demo-orders", demo_orders,
                    "job orders to generate with --demo (default 5000)");
  serve->add_flag("--no-access-log", no_access_log, "do not log one line per request");
  std::string auth_mode, tls_cert, tls_key;
  bool insecure = false;
  serve
      ->add_option("--auth", auth_mode,
                   "off or required: API keys on every route but /healthz, /readyz (default "
                   "server.auth, env LAKEHOUSE_AUTH, else off)")
      ->check(CLI::IsMember({"off", "required"}));
  serve->add_flag("--insecure", insecure,
                  "serve a non-loopback --host with auth off (refused otherwise)");
  serve->add_option("--tls-cert", tls_cert, "PEM certificate (chain): serve HTTPS");
  serve->add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  std::string advertise_url;
  serve->add_option("--advertise-url", advertise_url,
                    "with --catalog: the http://host:port other nodes reach this one at "
                    "(default http://<host>:<port>; env LAKEHOUSE_ADVERTISE_URL)");
  ServeOptions serve_opt;
  std::vector<std::string> upstream_specs;
  serve->add_option("--service", serve_opt.service,
                    "split mode: serve only this service (sql, embed, vector, chat, validate, "
                    "retrieve, memory, journal) on its own port; see docs/SPLIT.md");
  serve->add_option("--upstream", upstream_specs,
                    "gateway: proxy a service's routes to a split service, NAME=URL "
                    "(repeatable: --upstream sql=http://127.0.0.1:3101)");

  // keys
  auto* keys_cmd = cli.add_subcommand("keys", "API keys: create, list, revoke (docs/SECURITY.md)");
  keys_cmd->require_subcommand(1);
  auto* keys_create = keys_cmd->add_subcommand(
      "create", "create a key; prints it once, as JSON {id, name, key, scopes, ...}");
  auto* keys_list = keys_cmd->add_subcommand("list", "every key (never a secret), as JSON");
  auto* keys_revoke = keys_cmd->add_subcommand("revoke", "revoke a key: refused from now on");
  std::string key_name, key_scopes, key_id;
  double key_rate = 0;
  int64_t key_concurrency = 0;
  for (CLI::App* sub : {keys_create, keys_list, keys_revoke}) add_globals(sub);
  keys_create->add_option("--name", key_name, "a label: who or what uses the key")->required();
  keys_create->add_option("--scopes", key_scopes, "comma-separated: read, write, admin")
      ->required();
  keys_create->add_option("--rate", key_rate,
                          "requests per second this key may send (default server.rate_limit)");
  keys_create->add_option(
      "--concurrency", key_concurrency,
      "expensive requests (SQL, searches, chat, iterate) in flight at once (default "
      "server.max_expensive_per_key)");
  keys_revoke->add_option("id", key_id, "the key's id (keys list shows them)")->required();

  // gen
  auto* gen = cli.add_subcommand("gen", "write deterministic synthetic staffing datasets");
  add_globals(gen);
  staffing::GenOptions gen_opt;
  gen->add_option("--workers", gen_opt.workers, "workers to generate")->capture_default_str();
  gen->add_option("--orders", gen_opt.orders, "job orders to generate")->capture_default_str();
  gen->add_option("--clients", gen_opt.clients, "clients (default max(10, orders/20))");
  gen->add_option("--seed", gen_opt.seed, "random seed: same seed, same rows")
      ->capture_default_str();

  // sql
  auto* sql = cli.add_subcommand("sql", "run one read-only SQL statement; prints the /v1/sql JSON");
  add_globals(sql);
  std::string sql_text;
  int64_t sql_limit = 0;
  sql->add_option("statement", sql_text, "the SQL statement")->required();
  sql->add_option("--limit", sql_limit, "row cap (default sql.max_rows)");

  // ingest
  auto* ingest =
      cli.add_subcommand("ingest", "load a CSV, JSONL or Parquet file as a new dataset version");
  add_globals(ingest);
  std::string ingest_dataset, ingest_file, ingest_format, ingest_mode = "replace";
  ingest->add_option("--dataset", ingest_dataset, "dataset name")->required();
  ingest->add_option("--format", ingest_format,
                     "csv, jsonl or parquet (default: from the file extension)");
  ingest->add_option("--mode", ingest_mode, "replace (the file is the new version) or append")
      ->capture_default_str();
  ingest
      ->add_option("file", ingest_file,
                   "input file: a local path, or s3://bucket/key (read with the AWS_* variables)")
      ->required()
      ->check(
          CLI::ExistingFile |
          CLI::Validator([](std::string& v) { return v.rfind("s3://", 0) == 0 ? "" : "not s3://"; },
                         "S3 URI"));

  // datasets
  auto* datasets = cli.add_subcommand("datasets", "list datasets, or show one with its versions");
  add_globals(datasets);
  std::string dataset_name;
  datasets->add_option("name", dataset_name, "a dataset to show in full");

  // index-workers
  auto* index_workers = cli.add_subcommand(
      "index-workers", "build the `workers` vector index from the workers dataset");
  add_globals(index_workers);

  // The distillation pipeline (docs/DISTILL.md): each step idempotent and resumable.
  auto* materialize = cli.add_subcommand(
      "materialize", "turn new _kb lines into evidence (evidence/YYYY/MM/DD/<source>.jsonl)");
  add_globals(materialize);
  auto* score = cli.add_subcommand("score", "score every evidence record (scored/...)");
  add_globals(score);
  auto* export_cmd =
      cli.add_subcommand("export", "write an export: sft, rag or preference (exports/...)");
  add_globals(export_cmd);
  distill::ExportOptions export_opt;
  export_cmd->add_option("kind", export_opt.kind, "sft, rag or preference")
      ->required()
      ->check(CLI::IsMember({"sft", "rag", "preference"}));
  export_cmd->add_option("--min-score", export_opt.min_score, "sft: the lowest score exported")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  auto* audit = cli.add_subcommand(
      "audit", "baselines: append counts to audit/; full: every phase PASS/FAIL (exit 1 on FAIL)");
  add_globals(audit);
  std::string audit_kind;
  audit->add_option("kind", audit_kind, "baselines or full")
      ->required()
      ->check(CLI::IsMember({"baselines", "full"}));
  auto* replay = cli.add_subcommand(
      "replay", "retrieve -> bundle -> chat -> validate one task; log it to _kb/replay_runs.jsonl");
  add_globals(replay);
  std::string replay_task_file, replay_order, replay_model;
  int64_t replay_k = 20;
  auto* task_opt = replay->add_option("--task", replay_task_file,
                                      "a JSON file {kind, task, model?} (the /v1/iterate body)");
  auto* order_opt = replay->add_option("--order", replay_order, "an order id: a fill task");
  task_opt->excludes(order_opt);
  replay->add_option("--model", replay_model, "provider/model (default chat.default_model)");
  replay->add_option("--k", replay_k, "results to retrieve")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));

  // loadgen
  auto* loadgen_cmd = cli.add_subcommand(
      "loadgen", "load a loopback server with six checked scenario classes; print a report");
  loadgen_cmd->add_option("--log-level", g.log_level, "trace, debug, info, warn, error, off");
  loadgen_cmd->add_option("--log-format", g.log_format, "text (default) or json");
  loadgen::LoadgenOptions lg;
  std::string lg_json;
  loadgen_cmd->add_option("--target", lg.target, "base URL (loopback only)")->capture_default_str();
  loadgen_cmd->add_option("--concurrency", lg.concurrency, "concurrent clients")
      ->capture_default_str();
  loadgen_cmd->add_option("--duration", lg.duration_s, "seconds")->capture_default_str();
  loadgen_cmd
      ->add_option("--scenarios", lg.scenarios,
                   "comma-separated classes (default all: embed_cached, matrix_retrieve, "
                   "surge_fill_validate, playbook_record_replay, sql_query, memory_trace)")
      ->delimiter(',');
  loadgen_cmd->add_option("--max-scenarios", lg.max_scenarios, "stop after this many")
      ->capture_default_str();
  loadgen_cmd->add_option("--timeout", lg.timeout_s, "seconds per request")->capture_default_str();
  loadgen_cmd->add_option("--seed", lg.seed, "random seed")->capture_default_str();
  loadgen_cmd->add_option("--json", lg_json, "also write the report as JSON to this file");
  loadgen_cmd->add_option("--key", lg.api_key, "API key for a server with auth required")
      ->envname("LAKEHOUSE_API_KEY");

  // parity
  auto* parity_cmd = cli.add_subcommand(
      "parity", "send the HTTP contract fixtures to two loopback servers; compare the answers");
  parity_cmd->add_option("--log-level", g.log_level, "trace, debug, info, warn, error, off");
  parity_cmd->add_option("--log-format", g.log_format, "text (default) or json");
  loadgen::ParityOptions po;
  po.fixtures_dir = "contracts/http";
  std::string parity_json;
  int64_t settle_ms = 3000;
  parity_cmd->add_option("--a", po.a, "base URL of one deployment (e.g. the all-in-one)")
      ->required();
  parity_cmd->add_option("--b", po.b, "base URL of the other (e.g. the split gateway)")->required();
  parity_cmd->add_option("--fixtures", po.fixtures_dir, "directory of fixtures")
      ->capture_default_str();
  parity_cmd->add_option("--settle-ms", settle_ms, "how long a differing read is asked again")
      ->capture_default_str();
  parity_cmd->add_option("--json", parity_json, "also write the report as JSON to this file");
  parity_cmd->add_option("--key", po.api_key, "API key for deployments with auth required")
      ->envname("LAKEHOUSE_API_KEY");
  parity_cmd->add_option("--key-b", po.api_key_b, "--b's own key when its key store differs");

  // config
  auto* config_cmd =
      cli.add_subcommand("config",
                         "print the effective configuration: each setting, its variable, its "
                         "value and where it came from (default, file, environment, flag); "
                         "secrets masked");
  add_globals(config_cmd);

  // migrate: a root of the catalog.v1 layout becomes Iceberg tables (docs/ENGINES.md).
  auto* migrate = cli.add_subcommand(
      "migrate",
      "turn a root's datasets (catalog/<name>.json, the layout before Iceberg) into Iceberg "
      "tables in place; resumable, and a no-op on a migrated root");
  add_globals(migrate);

  // expire: the retention policy (datasets.keep_versions, keep_days) applied now.
  auto* expire = cli.add_subcommand(
      "expire",
      "expire old dataset versions by the retention policy (datasets.keep_versions, "
      "datasets.keep_days) now, instead of at each dataset's next commit");
  add_globals(expire);
  std::string expire_dataset;
  expire->add_option("--dataset", expire_dataset, "only this dataset (default: every one)");

  // Operating a root (docs/SHIPPING.md): doctor, backup, restore.
  auto* doctor = cli.add_subcommand(
      "doctor",
      "check a root (catalog, datasets, indexes, logs, permissions, free disk) and say "
      "what is wrong, changing nothing; exit 1 when something fails");
  add_globals(doctor);
  bool doctor_json = false;
  doctor->add_flag("--json", doctor_json, "print the findings as JSON");
  auto* backup = cli.add_subcommand(
      "backup",
      "copy a root, live or not, consistently into a new directory (files/ + backup.json)");
  add_globals(backup);
  std::string backup_to;
  backup->add_option("--to", backup_to, "the backup directory to create")->required();
  auto* restore = cli.add_subcommand(
      "restore", "restore a backup into a new root (--root), checking every byte first");
  add_globals(restore);
  std::string restore_from;
  restore->add_option("--from", restore_from, "a directory written by lakehouse backup")
      ->required();

  // extract-json
  auto* extract_json = cli.add_subcommand(
      "extract-json", "read model output on stdin; print {matched, value}: its first JSON object");

  CLI11_PARSE(cli, argc, argv);

  if (extract_json->parsed()) {
    std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    std::cout << DumpJson(ExtractJsonAnswer(text)) << "\n";
    return 0;
  }
  auto cfg = LoadConfig(g);
  if (!cfg.ok()) return Fail(cfg.status());
  if (config_cmd->parsed()) {
    // What this process would run with, and where each value came from (default, file,
    // environment, flag); secrets masked.
    std::cout << "setting\tvariable\tvalue\tsource\n";
    for (const auto& row : cfg->Effective()) std::cout << row << "\n";
    return 0;
  }
  // An s3:// root: commands work on its local copy (Config::LocalRoot), filled from the
  // bucket now and uploaded again when the store closes at exit (storage/s3_object_store.h).
  const bool s3_root = cfg->root.rfind("s3://", 0) == 0;
  const std::string local_root = cfg->LocalRoot();
  for (CLI::App* local_only : {doctor, backup, restore, migrate}) {
    if (s3_root && local_only->parsed())
      return Fail(Status::InvalidArgument(fmt::format(
          "lakehouse {} works on a local root; an s3:// root is checked and backed up with the "
          "object store's own tools (docs/SCALE.md)",
          local_only->get_name())));
  }
  RootMirror root_mirror;
  if (s3_root && !serve->parsed()) {
    auto store = OpenRootStore(*cfg);
    if (!store.ok()) return Fail(store.status());
    root_mirror.store = std::move(*store);
    if (!cfg->catalog.empty()) {
      // Many nodes: a command that writes the root's components needs their lease; the
      // others (gen, ingest, sql...) write datasets only and upload nothing else.
      auto* s3 = static_cast<S3ObjectStore*>(root_mirror.store.get());
      const bool components = keys_cmd->parsed() || materialize->parsed() || score->parsed() ||
                              export_cmd->parsed() || audit->parsed() || index_workers->parsed() ||
                              replay->parsed();
      if (components) {
        auto catalog = PgCatalog::Open(cfg->catalog);
        if (!catalog.ok()) return Fail(catalog.status());
        root_mirror.catalog = std::move(*catalog);
        auto lease = ComponentLease::Start(*root_mirror.catalog, *s3, cfg->root, "", cfg->lease_ms,
                                           ComponentLease::Mode::kRequire);
        if (!lease.ok()) return Fail(lease.status());
        root_mirror.lease = std::move(*lease);
      } else {
        s3->SetMirrorUploads(false);
      }
    }
  }
  if (doctor->parsed()) {
    const ops::DoctorReport report = ops::Doctor(local_root);
    if (doctor_json)
      PrintJson(report.ToJson());
    else
      std::cout << report.Table();
    return report.failed() ? 1 : 0;
  }
  if (migrate->parsed()) {
    auto store = OpenRootStore(*cfg);
    if (!store.ok()) return Fail(store.status());
    auto out = MigrateToIceberg(**store);
    if (!out.ok()) return Fail(out.status());
    PrintJson(*out);
    return 0;
  }
  if (backup->parsed() || restore->parsed()) {
    auto out = backup->parsed() ? WithProgress("backup",
                                               [&](Progress* p) {
                                                 return ops::Backup({local_root, backup_to, p});
                                               })
                                : WithProgress("restore", [&](Progress* p) {
                                    return ops::Restore({restore_from, local_root, p});
                                  });
    if (!out.ok()) return Fail(out.status());
    PrintJson(*out);
    return 0;
  }
  if (loadgen_cmd->parsed()) {
    auto report = WithProgress("loadgen", [&](Progress* p) {
      lg.progress = p;
      return loadgen::RunLoadgen(lg);
    });
    if (!report.ok()) return Fail(report.status());
    std::cout << loadgen::ReportTable(*report);
    if (!lg_json.empty()) {
      std::ofstream(lg_json) << report->dump(2) << "\n";
    }
    return (*report)["total"]["failures"].get<int64_t>() == 0 ? 0 : 1;
  }

  if (parity_cmd->parsed()) {
    po.settle = std::chrono::milliseconds(settle_ms);
    auto report = loadgen::RunParity(po);
    if (!report.ok()) return Fail(report.status());
    std::cout << loadgen::ParityTable(*report);
    if (!parity_json.empty()) std::ofstream(parity_json) << report->dump(2) << "\n";
    return (*report)["matched"] == (*report)["fixtures"] ? 0 : 1;
  }

  if (keys_cmd->parsed()) {
    auto keys = auth::KeyStore::Open(local_root);
    if (!keys.ok()) return Fail(keys.status());
    if (keys_create->parsed()) {
      auto scopes = auth::ParseScopes(key_scopes);
      if (!scopes.ok()) return Fail(scopes.status());
      auto created = (*keys)->Create(key_name, *scopes, key_rate, key_concurrency);
      if (!created.ok()) return Fail(created.status());
      PrintJson(created->ToJson());  // the only time the secret is shown
    } else if (keys_list->parsed()) {
      Json list = Json::array();
      for (const auto& k : (*keys)->List()) list.push_back(k.ToJson());
      PrintJson(Json{{"keys", std::move(list)}});
    } else {
      auto revoked = (*keys)->Revoke(key_id);
      if (!revoked.ok()) return Fail(revoked.status());
      PrintJson(revoked->ToJson());
    }
    return 0;
  }

  if (serve->parsed()) {
    HttpServer::HoldShutdownSignals();  // before any thread: a stop while starting is clean
    if (!host.empty()) cfg->host = host;
    if (port >= 0) cfg->port = port;
    if (io_threads > 0) cfg->io_threads = io_threads;
    if (worker_threads > 0) cfg->worker_threads = worker_threads;
    if (no_access_log) cfg->access_log = false;
    if (!auth_mode.empty()) cfg->auth = auth_mode;
    if (insecure) cfg->insecure = true;
    if (!tls_cert.empty()) cfg->tls_cert = tls_cert;
    if (!tls_key.empty()) cfg->tls_key = tls_key;
    if (!advertise_url.empty()) {
      if (Status st = cfg->SetFromFlag("storage.advertise_url", advertise_url, "--advertise-url");
          !st.ok())
        return Fail(st);
    }
    if (Status st = cfg->Validate(); !st.ok()) return Fail(st);
    if (Status st = CheckExposure(*cfg); !st.ok()) return Fail(st);
    if (demo && !serve_opt.service.empty())
      return Fail(Status::InvalidArgument("--demo is for the all-in-one server, not --service"));
    if (demo) {
      auto lock = AcquireRootLock(*cfg, "lakehouse serve --demo");
      if (!lock.ok()) return Fail(lock.status());
      auto services = Services::Open(*cfg, /*with_vectors=*/false);
      if (!services.ok()) return Fail(services.status());
      if ((*services)->catalog->List().empty()) {
        spdlog::info("no datasets under {}: generating demo data ({} workers, {} orders, seed 42)",
                     cfg->root, demo_workers, demo_orders);
        staffing::GenOptions o;
        o.workers = demo_workers;
        o.orders = demo_orders;
        auto rep = WithProgress("demo data", [&](Progress* p) {
          o.progress = p;
          return staffing::Generate(*(*services)->workspace, o);
        });
        if (!rep.ok()) return Fail(rep.status());
        spdlog::info("demo data ready in {:.0f} ms", rep->elapsed_ms);
      }
    }
    for (const auto& spec : upstream_specs)
      if (Status st = ParseUpstream(spec, serve_opt.upstreams); !st.ok()) return Fail(st);
    auto app = App::Create(*cfg, serve_opt);
    if (!app.ok()) return Fail(app.status());
    if (Status st = (*app)->Start(); !st.ok()) return Fail(st);
    spdlog::info("lakehouse serving {} ({}) on http://{}:{} (Ctrl-C stops)", cfg->root,
                 !serve_opt.service.empty() ? "service " + serve_opt.service
                 : serve_opt.upstreams.empty()
                     ? std::string("all services")
                     : fmt::format("gateway, {} upstream(s)", serve_opt.upstreams.size()),
                 cfg->host, (*app)->port());
    (*app)->RunUntilSignal();
    return 0;
  }

  // The pipeline steps run beside a server, but never two at once on a root.
  std::unique_ptr<ProcessLock> distill_lock;
  for (CLI::App* step : {materialize, score, export_cmd, audit}) {
    if (!step->parsed()) continue;
    auto lock = ProcessLock::Acquire(
        (std::filesystem::path(local_root) / "_receipts" / ".distill.lock").string(),
        "lakehouse " + step->get_name(), "the distillation pipeline of " + cfg->root,
        "one pipeline step at a time on a root; wait for it to finish");
    if (!lock.ok()) return Fail(lock.status());
    distill_lock = std::move(*lock);
  }
  if (materialize->parsed() || score->parsed() || export_cmd->parsed()) {
    Result<Json> out = Status::Internal("no pipeline step ran");
    if (materialize->parsed()) {
      out = WithProgress("materialize", [&](Progress* p) {
        distill::MaterializeOptions mo;
        mo.root = local_root;
        mo.progress = p;
        return distill::Materialize(mo);
      });
    }
    if (score->parsed()) {
      // With the roster (when the root has one), examples naming another worker or a
      // do-not-return worker are kept out of training data.
      std::optional<distill::RosterPeople> people;
      if (auto services = Services::Open(*cfg, /*with_vectors=*/false); services.ok()) {
        if ((*services)->roster->Reload().ok()) {
          if (auto roster = (*services)->roster->Require(); roster.ok())
            people = distill::RosterPeople::From(*roster->get());
        }
      }
      out = distill::Score(local_root, people ? &*people : nullptr);
    }
    if (export_cmd->parsed()) {
      export_opt.root = local_root;
      out = WithProgress("export " + export_opt.kind, [&](Progress* p) {
        export_opt.progress = p;
        return distill::Export(export_opt);
      });
    }
    if (!out.ok()) return Fail(out.status());
    PrintJson(*out);
    return 0;
  }
  if (audit->parsed() && audit_kind == "baselines") {
    auto out = distill::AuditBaselines(local_root);
    if (!out.ok()) return Fail(out.status());
    PrintJson(*out);
    return (*out)["firewall_violations"].get<int64_t>() == 0 ? 0 : 1;
  }

  // Commands that write datasets, indexes or logs own the root like a server does.
  std::unique_ptr<ProcessLock> root_lock;
  for (CLI::App* writer : {gen, ingest, index_workers, replay}) {
    if (!writer->parsed()) continue;
    auto lock = AcquireRootLock(*cfg, "lakehouse " + writer->get_name());
    if (!lock.ok()) return Fail(lock.status());
    root_lock = std::move(*lock);
  }
  auto services =
      Services::Open(*cfg, /*with_vectors=*/index_workers->parsed() || replay->parsed());
  if (!services.ok()) return Fail(services.status());
  Services& s = **services;

  if (audit->parsed()) {
    // Phase 7 re-validates replay runs against the roster: load it if there is one.
    distill::AuditOptions opt{local_root};
    Status roster_st = s.roster->Reload();
    auto roster = s.roster->Require();
    if (roster_st.ok() && roster.ok()) {
      opt.roster = roster->get();
      opt.validators = s.validators.get();
    }
    auto out = WithProgress("audit full", [&](Progress* p) {
      opt.progress = p;
      return distill::AuditFull(opt);
    });
    if (!out.ok()) return Fail(out.status());
    std::cout << distill::AuditTable(*out);
    return (*out)["result"] == "PASS" ? 0 : 1;
  }
  if (replay->parsed()) {
    if (replay_task_file.empty() && replay_order.empty())
      return Fail(Status::InvalidArgument("replay needs --task FILE or --order ID"));
    Json body = Json{{"kind", "fill"}, {"task", {{"order_id", replay_order}}}};
    if (!replay_task_file.empty()) {
      std::ifstream in(replay_task_file);
      std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      auto parsed = ParseJsonObject(text);
      if (!parsed.ok())
        return Fail(Status::InvalidArgument(replay_task_file + ": " + parsed.status().message()));
      body = *parsed;
    }
    auto request = ParseIterateRequest(body);
    if (!request.ok()) return Fail(request.status());
    if (!replay_model.empty()) request->model = replay_model;
    if (Status st = s.roster->Reload(); !st.ok()) return Fail(st);
    auto roster = s.roster->Require();
    if (!roster.ok()) return Fail(roster.status());
    MatrixRetriever retriever(*s.embed, *s.vectors, s.chat.get(), s.kb.get());
    distill::ReplayDeps deps{**roster, *s.validators, *s.chat, &retriever, *s.kb};
    auto line = distill::RunReplay(*request, replay_k, deps);
    (void)s.kb->Sync();
    if (!line.ok()) return Fail(line.status());
    PrintJson(*line);
    return 0;
  }
  if (gen->parsed()) {
    auto rep = WithProgress("gen", [&](Progress* p) {
      gen_opt.progress = p;
      return staffing::Generate(*s.workspace, gen_opt);
    });
    if (!rep.ok()) return Fail(rep.status());
    PrintJson(rep->ToJson());
    return 0;
  }
  if (sql->parsed()) {
    auto r = s.query->Query(
        sql_text, s.SqlOptions(sql_limit > 0 ? std::optional<int64_t>(sql_limit) : std::nullopt));
    if (!r.ok()) return Fail(r.status());
    std::cout << r->ToJsonText() << "\n";
    return 0;
  }
  if (ingest->parsed()) {
    auto fmt = ingest_format.empty() ? IngestFormatFromFileName(ingest_file)
                                     : ParseIngestFormat(ingest_format);
    if (!fmt.ok()) return Fail(fmt.status());
    auto mode = ParseIngestMode(ingest_mode);
    if (!mode.ok()) return Fail(mode.status());
    // An object in a bucket is fetched into the staging area first, then ingested like a file.
    std::string input = ingest_file;
    std::filesystem::path fetched;
    if (ingest_file.rfind("s3://", 0) == 0) {
      auto where = ParseS3Root(ingest_file);
      if (!where.ok()) return Fail(where.status());
      auto s3 = S3Options::FromEnvironment();
      if (!s3.ok()) return Fail(s3.status());
      fetched = s.store->StagingDir() / ("ingest-" + RandomHex(6) + "-" +
                                         std::filesystem::path(where->second).filename().string());
      if (Status st = S3Client(*s3).Download(where->first, where->second, fetched); !st.ok())
        return Fail(st);
      input = fetched.string();
    }
    auto rep = s.ingestor->Ingest(ingest_dataset, *fmt, input,
                                  std::filesystem::path(ingest_file).filename(), *mode);
    std::error_code ec;
    if (!fetched.empty()) std::filesystem::remove(fetched, ec);
    if (!rep.ok()) return Fail(rep.status());
    PrintJson(rep->ToJson());
    return 0;
  }
  if (index_workers->parsed()) {
    BuildProgress progress;
    g_cancel_on_signal = &progress.work;
    std::signal(SIGINT, CancelOnSignal);
    std::signal(SIGTERM, CancelOnSignal);
    ProgressLine line("index-workers", progress.work);
    auto rep = BuildWorkersIndex(WorkersIndexDepsOf(s), &progress);
    line.Finish();
    g_cancel_on_signal = nullptr;
    if (!rep.ok()) return Fail(rep.status());
    PrintJson(*rep);
    return 0;
  }
  if (expire->parsed()) {
    Json out = Json::array();
    for (const auto& m : s.catalog->List()) {
      if (!expire_dataset.empty() && m.name != expire_dataset) continue;
      auto expired = s.catalog->ExpireVersions(m.name);
      if (!expired.ok()) return Fail(expired.status());
      out.push_back(Json{{"dataset", m.name}, {"expired_versions", *expired}});
    }
    if (!expire_dataset.empty() && out.empty())
      return Fail(Status::NotFound(fmt::format("dataset '{}' does not exist", expire_dataset)));
    PrintJson(Json{{"datasets", std::move(out)}});
    return 0;
  }
  if (datasets->parsed()) {
    if (!dataset_name.empty()) {
      auto m = s.catalog->Get(dataset_name);
      if (!m.ok()) return Fail(m.status());
      PrintJson(m->DetailJson());
      return 0;
    }
    Json list = Json::array();
    for (const auto& m : s.catalog->List()) list.push_back(m.SummaryJson());
    PrintJson(Json{{"datasets", list}});
    return 0;
  }
  return 0;
}
