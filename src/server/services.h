// src/server/services.h: the shared state of one lakehouse process.
//
// Services opens, in dependency order, the object store, the catalog, the SQL engine (whose
// views follow the catalog) and the write workspace, from a Config. CLI commands and the
// HTTP modules both run on it, so `lakehouse sql` and POST /v1/sql are the same code.
//
// Thread-safety: the members are themselves thread-safe; the struct is built once.
#pragma once

#include <atomic>
#include <memory>

#include "catalog/catalog.h"
#include "catalog/pg_catalog.h"
#include "chat/dispatcher.h"
#include "core/config.h"
#include "embed/embed_service.h"
#include "gateway/http_server.h"
#include "journal/forwarder.h"
#include "journal/journal.h"
#include "journal/observer.h"
#include "journal/truth.h"
#include "memory/memory_store.h"
#include "memory/pathways.h"
#include "memory/playbooks.h"
#include "query/ingest.h"
#include "query/query_engine.h"
#include "query/workspace.h"
#include "retrieve/corpora.h"
#include "retrieve/workers_index.h"
#include "server/component_lease.h"
#include "server/topology.h"
#include "storage/kb_log.h"
#include "storage/object_store.h"
#include "validate/ledger.h"
#include "validate/roster.h"
#include "validate/validators.h"
#include "vector/vector_store.h"

namespace lakehouse {

struct Services {
  Config config;
  ComponentPlan plan;  // all-in-one unless `serve --service`
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<PgCatalog> shared_catalog;  // --catalog postgresql://...: many nodes
  //! With a shared catalog on an s3:// root: the lease on the root's components (held, or
  //! waited for as a standby); unset otherwise (server/component_lease.h).
  std::unique_ptr<ComponentLease> lease;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<QueryEngine> query;
  std::unique_ptr<Workspace> workspace;
  //! The fills ledger's compactions write here: a DuckDB of one thread, which is the
  //! compaction's own writer thread at its nice value (validate/ledger.h compact_nice).
  std::unique_ptr<Workspace> ledger_workspace;
  std::unique_ptr<Ingestor> ingestor;
  std::unique_ptr<EmbedService> embed;
  std::unique_ptr<VectorStore> vectors;
  std::unique_ptr<KbLog> kb;            // _kb/*.jsonl, the distillation sources
  std::unique_ptr<FillLedger> ledger;   // committed fills (before roster: it reads them)
  std::unique_ptr<RosterStore> roster;  // loaded by the validate module's Start
  std::unique_ptr<Validators> validators;
  std::unique_ptr<ChatDispatcher> chat;  // remote providers + the built-in local/planner
  // Opened with the vector indexes (memory search and playbooks are vector indexes).
  std::unique_ptr<MemoryStore> memory;     // <root>/memory/memories.log + its search index
  std::unique_ptr<PathwayStore> pathways;  // <root>/memory/pathways.log
  std::unique_ptr<Playbooks> playbooks;    // the `playbooks` vector index
  //! Embeds committed fills and emails and memory writes into the fills, emails and notes
  //! corpora (all-in-one with vectors; retrieve/corpora.h).
  std::unique_ptr<CorpusFeeder> corpora;
  // Opened for serving (with the vector indexes): the event journal, its observer, truth.
  std::unique_ptr<Journal> journal;  // <root>/journal/seg-*.log
  //! Split services with a journal upstream have this instead of `journal`.
  std::unique_ptr<JournalForwarder> journal_forwarder;
  std::unique_ptr<Observer> observer;  // rolling windows; fed by the server and the journal
  std::unique_ptr<TruthStore> truth;   // <root>/truth/claims.log

  //! The server's completion hook: every request goes to the observer; one that may change
  //! state (not GET/HEAD, not a read-only POST: SQL, embed, searches, retrieve) is also
  //! journaled as an `http.request` event.
  //! `journal` false: observe only (a gateway's proxied request is journaled by the
  //! service that answered it).
  void OnRequest(const RequestRecord& r, bool journal = true) const;
  //! Appends an event to the journal, or hands it to the journal service (a no-op
  //! without either). Never blocks on the disk or the network.
  void Emit(std::string type, std::string subject, std::string trace_id, Json payload) const;
  void AppendEvent(JournalEvent e) const;

  //! `with_vectors` false skips opening the vector indexes and what is built on them
  //! (CLI commands that do not use them: opening a 500k-item index takes ~20 s); `vectors`,
  //! `memory`, `pathways`, `playbooks`, `journal`, `observer` and `truth` are then null.
  static Result<std::unique_ptr<Services>> Open(const Config& config, bool with_vectors = true);
  //! What one split-mode service opens (server/topology.h): members its plan leaves out
  //! are null, and components it does not own are opened read-only and followed.
  static Result<std::unique_ptr<Services>> Open(const Config& config, const ComponentPlan& plan,
                                                bool with_vectors = true);

  //! Query options from the config, with a request's `limit` (capped at sql.max_rows).
  QueryOptions SqlOptions(std::optional<int64_t> limit = std::nullopt) const;
  SqlLimits sql_limits() const;
  ~Services();
};

//! What building the `workers` vector index uses, from `services`.
WorkersIndexDeps WorkersIndexDepsOf(const Services& services);

}  // namespace lakehouse
