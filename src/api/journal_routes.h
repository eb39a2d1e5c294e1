// src/api/journal_routes.h: GET /v1/journal (+ /follow, /stats), POST /v1/journal/events,
// GET /v1/observer/summary (+ /series), POST /v1/truth/claims, GET /v1/truth/{subject}.
#pragma once

#include <cstdint>
#include <memory>

#include "api/module.h"
#include "query/query_engine.h"

namespace lakehouse {

class Catalog;
class Journal;
class Observer;
class TruthStore;

struct JournalDeps {
  Journal* journal = nullptr;  // null: events go to another process (split mode)
  Observer* observer = nullptr;
  TruthStore* truth = nullptr;
  // Where roster claims are read (journal/truth.h RosterClaims).
  Catalog* catalog = nullptr;
  QueryEngine* query = nullptr;
  SqlLimits limits;
  int64_t waiting_threads = 16;  // long polls may hold at most half of the waiting pool
};

std::unique_ptr<Module> NewJournalModule(JournalDeps deps);

}  // namespace lakehouse
