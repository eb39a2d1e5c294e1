// src/api/retrieve_routes.h: POST /v1/matrix/retrieve.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class ChatDispatcher;
class EmbedService;
class KbLog;
class RosterStore;
class VectorStore;

struct RetrieveDeps {
  EmbedService* embed = nullptr;
  VectorStore* vectors = nullptr;  // null: the vector indexes are not open here
  ChatDispatcher* chat = nullptr;  // optional: role inference
  KbLog* kb = nullptr;             // optional: retrieval.v1 lines
  RosterStore* roster = nullptr;   // optional: orders and placements (order_id)
};

std::unique_ptr<Module> NewRetrieveModule(RetrieveDeps deps);

}  // namespace lakehouse
