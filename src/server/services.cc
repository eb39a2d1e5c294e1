#include "server/services.h"

#include "chat/local_planner.h"
#include "journal/kb_events.h"

#include <cmath>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/machine.h"
#include "storage/local_object_store.h"
#include "storage/s3_object_store.h"

namespace lakehouse {

Services::~Services() {
  // The engine listens to the catalog: tear down users before what they use. The kb log
  // and the journal feed the observer: stop feeding before it goes.
  if (kb) kb->SetListener(nullptr);
  if (catalog) catalog->StopFollowing();
  journal_forwarder.reset();  // delivers what is queued
  journal.reset();
  observer.reset();
  truth.reset();
  corpora.reset();  // finishes what is queued into the indexes
  playbooks.reset();
  pathways.reset();
  memory.reset();
  chat.reset();
  validators.reset();
  roster.reset();
  ledger.reset();  // its compactor writes through the workspace
  vectors.reset();
  embed.reset();
  ingestor.reset();
  workspace.reset();
  query.reset();
  catalog.reset();
  if (lease) lease->Stop();
  store.reset();  // its last sync, while this node still holds the lease
  lease.reset();  // released
  shared_catalog.reset();
}

Result<std::unique_ptr<Services>> Services::Open(const Config& config, bool with_vectors) {
  return Open(config, PlanFor(""), with_vectors);
}

Result<std::unique_ptr<Services>> Services::Open(const Config& config, const ComponentPlan& plan,
                                                 bool with_vectors) {
  LH_RETURN_IF_ERROR(config.Validate());
  auto s = std::make_unique<Services>();
  s->config = config;
  s->plan = plan;
  LH_ASSIGN_OR_RETURN(s->store, OpenRootStore(config));
  if (!config.catalog.empty()) {
    LH_ASSIGN_OR_RETURN(s->shared_catalog, PgCatalog::Open(config.catalog));
  }
  if (auto* s3 = dynamic_cast<S3ObjectStore*>(s->store.get()); s3 && s->shared_catalog) {
    // Many nodes: one owns the components (before any opens: a new owner refills first).
    if (plan.serving && !plan.AllInOne()) {
      // Nodes are all-in-one servers; a gateway in front of them serves nothing itself.
      if (!plan.services.empty())
        return Status::InvalidArgument(fmt::format(
            "split services ({}) do not run on a root with a shared catalog: run each node as "
            "an all-in-one `lakehouse serve`, and a gateway in front of them with every "
            "service as --upstream NAME=URL1,URL2,... (docs/SCALE.md)",
            fmt::join(plan.services, ", ")));
      s3->SetMirrorUploads(false);
    } else if (plan.serving || with_vectors) {
      LH_ASSIGN_OR_RETURN(
          s->lease,
          ComponentLease::Start(
              *s->shared_catalog, *s3, config.root,
              plan.serving ? config.AdvertiseUrl() : std::string(), config.lease_ms,
              plan.serving ? ComponentLease::Mode::kServe : ComponentLease::Mode::kRequire));
      if (!s->lease->held() && plan.serving && plan.AllInOne()) {
        // A standby: datasets and SQL here, the components' routes forwarded to the owner
        // (server/app.cc), its events into the owner's journal.
        s->plan = StandbyPlan(s->lease->holder_address());
      }
    } else {
      s3->SetMirrorUploads(false);  // gen, ingest, sql: datasets only
    }
  }
  LH_ASSIGN_OR_RETURN(s->catalog, Catalog::Open(*s->store, s->shared_catalog.get()));
  Catalog::Retention retention;
  retention.keep_last = config.datasets_keep_versions;
  retention.keep_ms = config.datasets_keep_days * 24 * 3600 * 1000;
  s->catalog->SetRetention(retention);
  if (!s->plan.catalog_owner) {
    s->catalog->SetReadOnly(
        "the sql service owns datasets in split-service mode; ingest through it");
    s->catalog->Follow(std::chrono::milliseconds(500));
  } else if (s->shared_catalog) {
    // Other nodes commit too: their versions are here within half a second.
    s->catalog->Follow(std::chrono::milliseconds(500));
  }
  LH_ASSIGN_OR_RETURN(auto datasets_dir, s->store->LocalPath("datasets"));
  QueryEngineOptions qo;
  qo.datasets_dir = datasets_dir.string();
  qo.pool_size = config.sql_pool_size;
  qo.threads = config.duckdb_threads;
  // Unset: a share of the machine (or container), not DuckDB's 80% of physical RAM; the
  // vector indexes and the workspace's own DuckDB live beside it.
  qo.memory_limit =
      config.duckdb_memory_limit.empty() ? MemoryShare(0.3) : config.duckdb_memory_limit;
  qo.result_cache_bytes = config.sql_result_cache_bytes;
  if (config.root.rfind("s3://", 0) == 0) {  // parts come from the bucket into the cache
    qo.fetch = [store = s->store.get()](const std::vector<std::string>& keys) {
      return store->Fetch(keys);
    };
  }
  LH_ASSIGN_OR_RETURN(s->query, QueryEngine::Open(qo));
  LH_RETURN_IF_ERROR(s->query->Attach(*s->catalog));
  // Retention never expires a version a running statement names ("fills@v3").
  s->catalog->SetInUse(
      [q = s->query.get()](const std::string& name) { return q->VersionsInUse(name); });
  WorkspaceOptions wo;
  wo.threads = config.duckdb_threads;
  wo.memory_limit =
      config.duckdb_memory_limit.empty() ? MemoryShare(0.2) : config.duckdb_memory_limit;
  LH_ASSIGN_OR_RETURN(s->workspace, Workspace::Open(*s->store, *s->catalog, wo));
  s->ingestor = std::make_unique<Ingestor>(*s->workspace);
  s->embed = std::make_unique<EmbedService>(config);
  LH_ASSIGN_OR_RETURN(auto kb_dir, s->store->LocalPath("_kb"));
  s->kb = std::make_unique<KbLog>(kb_dir);
  s->roster = std::make_unique<RosterStore>(*s->query, *s->catalog);
  if (s->plan.ledger) {
    LedgerOptions lo;
    LH_ASSIGN_OR_RETURN(auto ledger_dir, s->store->LocalPath("ledger"));
    lo.dir = ledger_dir.string();
    lo.writable = s->plan.ledger_writer;
    lo.compact_rows = config.ledger_compact_rows;
    // Many nodes read fills from the dataset (only the owner has the ledger's pending
    // commits): compact within a second so the others see a fill about as soon.
    lo.compact_age_ms = s->shared_catalog ? std::min<int64_t>(config.ledger_compact_age_ms, 1000)
                                          : config.ledger_compact_age_ms;
    lo.compact_nice = static_cast<int>(config.ledger_compact_nice);
    if (s->plan.catalog_owner) {
      // With DuckDB's default of a thread per core, the Parquet write would also run on a
      // pool thread at normal priority; with one, it runs on the nice writer thread only.
      WorkspaceOptions lw = wo;
      lw.threads = 1;
      lw.spill_dir = "duckdb_tmp_ledger";  // not the shared workspace's (workspace.h)
      LH_ASSIGN_OR_RETURN(s->ledger_workspace, Workspace::Open(*s->store, *s->catalog, lw));
    }
    LH_ASSIGN_OR_RETURN(s->ledger,
                        FillLedger::Open(lo, *s->query, *s->catalog, s->ledger_workspace.get()));
    s->roster->SetPlacements(s->ledger.get());
  }
  ValidatorOptions vo;
  vo.radius_miles = static_cast<double>(config.validate_radius_miles);
  vo.forbidden_phrases = ValidatorOptions::DefaultForbiddenPhrases();
  for (auto& phrase : SplitList(config.validate_forbidden_phrases))
    vo.forbidden_phrases.push_back(phrase);
  s->validators = std::make_unique<Validators>(std::move(vo));
  s->chat = std::make_unique<ChatDispatcher>(config, s->kb.get());
  s->chat->AddProvider(std::make_unique<LocalPlanner>(*s->roster, *s->validators));
  if (with_vectors) {
    if (s->plan.vectors) {
      LH_ASSIGN_OR_RETURN(auto vectors_dir, s->store->LocalPath("vectors"));
      VectorStoreOptions vso;
      vso.dir = vectors_dir.string();
      if (!s->plan.AllInOne()) {  // all-in-one: every index, owned
        vso.wanted = s->plan.index_wanted;
        vso.owned = s->plan.index_owned;
      }
      LH_ASSIGN_OR_RETURN(s->vectors, VectorStore::Open(std::move(vso)));
    }
    LH_ASSIGN_OR_RETURN(auto memory_dir, s->store->LocalPath("memory"));
    if (s->plan.memory) {
      MemoryStoreOptions mo;
      mo.dir = memory_dir.string();
      mo.update_threshold = config.memory_update_threshold;
      LH_ASSIGN_OR_RETURN(s->memory, MemoryStore::Open(mo, *s->embed));
    }
    if (s->plan.pathways) {
      LH_ASSIGN_OR_RETURN(s->pathways, PathwayStore::Open(memory_dir.string(), s->kb.get()));
    }
    if (s->plan.memory && s->vectors) {
      s->playbooks = std::make_unique<Playbooks>(*s->embed, *s->vectors, *s->roster, *s->validators,
                                                 s->kb.get(), s->pathways.get());
    }

    ObserverOptions oo;
    oo.queue_capacity = static_cast<size_t>(config.observer_queue_capacity);
    oo.kb = s->kb.get();
    oo.cache_counters = [embed = s->embed.get()] {
      return std::make_pair(embed->cache().hits(), embed->cache().misses());
    };
    if (config.observer_enabled) s->observer = std::make_unique<Observer>(oo);
    if (!s->plan.journal_owner && !s->plan.journal_upstream.empty()) {
      JournalForwarderOptions fo;
      fo.url = s->plan.journal_upstream;
      fo.linger = std::chrono::milliseconds(config.journal_flush_interval_ms);
      s->journal_forwarder = std::make_unique<JournalForwarder>(fo);
    } else {
      LH_ASSIGN_OR_RETURN(auto journal_dir, s->store->LocalPath(s->plan.JournalDir()));
      JournalOptions jo;
      jo.dir = journal_dir.string();
      jo.flush_interval_ms = config.journal_flush_interval_ms;
      jo.segment_bytes = config.journal_segment_bytes;
      jo.retention_bytes = config.journal_retention_bytes;
      jo.retention_hours = config.journal_retention_hours;
      LH_ASSIGN_OR_RETURN(s->journal, Journal::Open(jo));
      // The observer reads the journal (requests come to it from the server directly).
      if (s->observer) {
        s->journal->Subscribe([obs = s->observer.get()](const JournalEvent& e) {
          if (e.type != "http.request") obs->Offer(e);
        });
      }
    }
    if (s->plan.AllInOne() && s->vectors)
      s->corpora = std::make_unique<CorpusFeeder>(*s->embed, *s->vectors);
    // Every _kb line is a significant event: journal its compact form; commits also go
    // into their corpora.
    Services* self = s.get();
    s->kb->SetListener([self](KbSource source, const Json& line) {
      if (auto e = EventFromKbLine(source, line)) self->AppendEvent(std::move(*e));
      if (self->corpora) self->corpora->OfferKbLine(source, line);
    });
    s->catalog->AddListener([self](const DatasetManifest& m) {
      JournalEvent e;
      e.type = "dataset.commit";
      e.subject = m.name;
      e.payload = Json{{"version", m.current_version},
                       {"rows", m.versions.empty() ? 0 : m.versions.back().row_count}};
      self->AppendEvent(std::move(e));
    });
    if (s->plan.journal_owner) {
      LH_ASSIGN_OR_RETURN(auto truth_dir, s->store->LocalPath("truth"));
      LH_ASSIGN_OR_RETURN(
          s->truth, TruthStore::Open(truth_dir.string(), SplitList(config.truth_source_priority),
                                     s->kb.get()));
    }
  }
  if (s->plan.start_roster) {
    Status st = s->roster->Start();
    if (!st.ok()) spdlog::error("roster: {}", st.ToString());
  }
  return s;
}

void Services::AppendEvent(JournalEvent e) const {
  if (journal) {
    journal->Append(std::move(e));  // its subscription feeds the observer
  } else if (journal_forwarder) {
    if (observer && e.type != "http.request") observer->Offer(e);
    journal_forwarder->Append(std::move(e));
  }
}

void Services::OnRequest(const RequestRecord& r, bool journal_it) const {
  if (!observer && !journal && !journal_forwarder) return;
  JournalEvent e;
  e.type = "http.request";
  e.subject = std::string(r.route);
  e.trace_id = std::string(r.request_id);
  e.ts_ms = SystemClock::Get().NowMillis();
  e.payload = Json{{"method", r.method},
                   {"route", r.route},
                   {"status", r.status},
                   {"latency_ms", std::round(r.seconds * 1e6) / 1e3}};
  // Requests that need the write or admin scope; not the journal's own intake (its events
  // are journaled as themselves).
  const bool changes_state = r.changes_state && r.route != "/v1/journal/events";
  if (changes_state && journal_it) {
    // Who sent it: the API key's id (never the secret), or null for an anonymous client.
    // Only here: the observer does not need it, and reads are most requests.
    e.payload["key_id"] = r.key_id.empty() ? Json(nullptr) : Json(std::string(r.key_id));
    AppendEvent(e);  // seq and ts are the journal's
  }
  if (observer) observer->Offer(std::move(e));
}

void Services::Emit(std::string type, std::string subject, std::string trace_id,
                    Json payload) const {
  JournalEvent e;
  e.type = std::move(type);
  e.subject = std::move(subject);
  e.trace_id = std::move(trace_id);
  e.payload = std::move(payload);
  AppendEvent(std::move(e));
}

SqlLimits Services::sql_limits() const {
  return SqlLimits{config.sql_max_rows, config.sql_timeout_ms, config.sql_max_answer_bytes};
}

QueryOptions Services::SqlOptions(std::optional<int64_t> limit) const {
  return sql_limits().For(limit);
}

WorkersIndexDeps WorkersIndexDepsOf(const Services& s) {
  // Config::Validate admitted the name; `auto` builds int8 (a quarter of the float rows'
  // bytes to walk, ~0.73x the float build's time, the same float scores after the rerank).
  const std::string& declared = s.config.vectors_workers_quantization;
  const bool keep = declared == "auto";
  const auto quantization = ParseQuantization(keep ? "int8" : declared);
  return WorkersIndexDeps{s.query.get(),
                          s.catalog.get(),
                          s.embed.get(),
                          s.vectors.get(),
                          quantization.ok() ? *quantization : Quantization::kInt8,
                          keep};
}

}  // namespace lakehouse
