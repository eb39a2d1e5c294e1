#include "server/services.h"

#include "chat/local_planner.h"
#include "storage/local_object_store.h"

namespace lakehouse {

Services::~Services() {
  // The engine listens to the catalog: tear down users before what they use.
  playbooks.reset();
  pathways.reset();
  memory.reset();
  chat.reset();
  validators.reset();
  roster.reset();
  vectors.reset();
  embed.reset();
  ingestor.reset();
  workspace.reset();
  query.reset();
  catalog.reset();
  store.reset();
}

Result<std::unique_ptr<Services>> Services::Open(const Config& config, bool with_vectors) {
  LH_RETURN_IF_ERROR(config.Validate());
  auto s = std::make_unique<Services>();
  s->config = config;
  LH_ASSIGN_OR_RETURN(s->store, OpenObjectStore(config.root));
  LH_ASSIGN_OR_RETURN(s->catalog, Catalog::Open(*s->store));
  LH_ASSIGN_OR_RETURN(auto datasets_dir, s->store->LocalPath("datasets"));
  QueryEngineOptions qo;
  qo.datasets_dir = datasets_dir.string();
  qo.pool_size = config.sql_pool_size;
  qo.threads = config.duckdb_threads;
  qo.memory_limit = config.duckdb_memory_limit;
  LH_ASSIGN_OR_RETURN(s->query, QueryEngine::Open(qo));
  LH_RETURN_IF_ERROR(s->query->Attach(*s->catalog));
  WorkspaceOptions wo;
  wo.threads = config.duckdb_threads;
  wo.memory_limit = config.duckdb_memory_limit;
  LH_ASSIGN_OR_RETURN(s->workspace, Workspace::Open(*s->store, *s->catalog, wo));
  s->ingestor = std::make_unique<Ingestor>(*s->workspace);
  s->embed = std::make_unique<EmbedService>(config);
  LH_ASSIGN_OR_RETURN(auto kb_dir, s->store->LocalPath("_kb"));
  s->kb = std::make_unique<KbLog>(kb_dir);
  s->roster = std::make_unique<RosterStore>(*s->query, *s->catalog);
  ValidatorOptions vo;
  vo.radius_miles = static_cast<double>(config.validate_radius_miles);
  vo.forbidden_phrases = ValidatorOptions::DefaultForbiddenPhrases();
  for (auto& phrase : SplitList(config.validate_forbidden_phrases))
    vo.forbidden_phrases.push_back(phrase);
  s->validators = std::make_unique<Validators>(std::move(vo));
  s->chat = std::make_unique<ChatDispatcher>(config, s->kb.get());
  s->chat->AddProvider(std::make_unique<LocalPlanner>(*s->roster, *s->validators));
  if (with_vectors) {
    LH_ASSIGN_OR_RETURN(auto vectors_dir, s->store->LocalPath("vectors"));
    LH_ASSIGN_OR_RETURN(s->vectors, VectorStore::Open(vectors_dir.string()));
    LH_ASSIGN_OR_RETURN(auto memory_dir, s->store->LocalPath("memory"));
    MemoryStoreOptions mo;
    mo.dir = memory_dir.string();
    mo.update_threshold = config.memory_update_threshold;
    LH_ASSIGN_OR_RETURN(s->memory, MemoryStore::Open(mo, *s->embed));
    LH_ASSIGN_OR_RETURN(s->pathways, PathwayStore::Open(memory_dir.string(), s->kb.get()));
    s->playbooks = std::make_unique<Playbooks>(*s->embed, *s->vectors, *s->roster, *s->validators,
                                               s->kb.get(), s->pathways.get());
  }
  return s;
}

QueryOptions Services::SqlOptions(std::optional<int64_t> limit) const {
  QueryOptions o;
  o.max_rows = config.sql_max_rows;
  if (limit && *limit > 0) o.max_rows = std::min(*limit, config.sql_max_rows);
  o.timeout = std::chrono::milliseconds(config.sql_timeout_ms);
  return o;
}

}  // namespace lakehouse
