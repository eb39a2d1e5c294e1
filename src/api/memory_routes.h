// src/api/memory_routes.h: /v1/memory*, /v1/pathways/*, /v1/playbooks/*.
//
// Subjects and orders are checked against the roster (memory/subjects.h); every memory
// write or delete is also a journal event (memory.add/update/noop/delete).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/module.h"
#include "core/json.h"

namespace lakehouse {

class MemoryStore;
class PathwayStore;
class Playbooks;
class RosterStore;
class CorpusFeeder;

//! Appends an event to the journal (or hands it to the journal service); never blocks.
using EmitEvent =
    std::function<void(std::string type, std::string subject, std::string trace_id, Json payload)>;

struct MemoryDeps {
  MemoryStore* memory = nullptr;  // null: memory is not open in this process
  PathwayStore* pathways = nullptr;
  Playbooks* playbooks = nullptr;
  RosterStore* roster = nullptr;
  EmitEvent emit;
  CorpusFeeder* corpora = nullptr;  // optional: memory writes go into the notes corpus
};

std::unique_ptr<Module> NewMemoryModule(MemoryDeps deps);

}  // namespace lakehouse
