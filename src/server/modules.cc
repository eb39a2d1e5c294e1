#include "server/modules.h"

#include "api/catalog_routes.h"
#include "api/chat_routes.h"
#include "api/commit_routes.h"
#include "api/distill_routes.h"
#include "api/embed_routes.h"
#include "api/iceberg_routes.h"
#include "api/iterate_routes.h"
#include "api/journal_routes.h"
#include "api/memory_routes.h"
#include "api/order_routes.h"
#include "api/retrieve_routes.h"
#include "api/sql_routes.h"
#include "api/validate_routes.h"
#include "api/vector_routes.h"

namespace lakehouse {

std::vector<std::unique_ptr<Module>> CreateModules(Services& s, const std::string& service) {
  const IterateRunDeps run{s.roster.get(), s.validators.get(), s.kb.get(), s.pathways.get()};
  const CommitDeps commit{s.roster.get(), s.validators.get(), s.kb.get(), s.pathways.get(),
                          s.ledger.get()};
  std::vector<std::unique_ptr<Module>> all;
  // First: its Start begins building the indexes' filter postings in the background, beside
  // the other modules' loading (the roster) rather than after it.
  all.push_back(NewVectorModule({s.vectors.get(), s.embed.get(), WorkersIndexDepsOf(s),
                                 static_cast<uint64_t>(s.config.vectors_populate_mb) << 20}));
  all.push_back(NewCatalogModule({s.catalog.get()}));
  all.push_back(NewIcebergModule({s.catalog.get()}));
  all.push_back(NewChatModule({s.chat.get(), s.embed.get()}));
  all.push_back(NewCommitModule(commit));
  all.push_back(NewDistillModule({s.kb.get(), s.config.root}));
  all.push_back(NewEmbedModule({s.embed.get()}));
  all.push_back(NewIterateModule({run, s.chat.get()}));
  all.push_back(NewJournalModule({s.journal.get(), s.observer.get(), s.truth.get(), s.catalog.get(),
                                  s.query.get(), s.sql_limits(), s.config.waiting_threads}));
  all.push_back(NewMemoryModule(
      {s.memory.get(), s.pathways.get(), s.playbooks.get(), s.roster.get(),
       [&s](std::string type, std::string subject, std::string trace_id, Json payload) {
         s.Emit(std::move(type), std::move(subject), std::move(trace_id), std::move(payload));
       },
       s.corpora.get()}));
  all.push_back(NewOrderModule({s.roster.get(), s.ledger.get()}));
  all.push_back(NewRetrieveModule(
      {s.embed.get(), s.vectors.get(), s.chat.get(), s.kb.get(), s.roster.get()}));
  all.push_back(NewSqlModule({s.query.get(), s.ingestor.get(), s.sql_limits()}));
  all.push_back(NewValidateModule({s.roster.get(), s.validators.get(), s.kb.get()}));
  std::vector<std::unique_ptr<Module>> out;
  for (auto& m : all)
    if (service.empty() || m->Service() == service) out.push_back(std::move(m));
  return out;
}

}  // namespace lakehouse
