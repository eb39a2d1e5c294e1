// src/server/topology.h: split-service mode: the services, and what each one opens and owns.
//
// `lakehouse serve` runs every module in one process and owns the whole root.
// `lakehouse serve --service NAME` runs the modules of one service (Module::Service()) on
// its own port, and a gateway (`serve --upstream NAME=URL ...`) proxies that service's
// route group to it. Several processes then share one root, so each writable component
// has exactly one owner (DECISIONS 18):
//
//   component                          owner      others
//   datasets/, catalog/ (ingest)       sql        read; follow new versions (catalog poll)
//   vectors/<index> (all but playbooks) vector    retrieve: read-only, catches up on read
//   vectors/playbooks, memory/         memory     vector: read-only, catches up on read
//   memory/pathways.log                shared     appended under flock by memory + validate
//   journal/, truth/                   journal    the others send their events to it
//                                                 (--upstream journal=URL), or else keep
//                                                 them under journal/services/<name>/
//   _kb/*.jsonl                        shared     one O_APPEND write(2) per line
//
// Locks: an all-in-one server holds `<root>/.lakehouse.lock` exclusively; a split service
// (or a gateway) holds it shared plus `<root>/.service-<name>.lock` exclusively for each
// service it serves itself. So two all-in-one
// servers, an all-in-one beside split services, or two copies of one service on a root
// all refuse to start naming the holder, while different services run side by side.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakehouse {

//! sql, embed, vector, chat, validate, retrieve, memory, journal.
const std::vector<std::string>& ServiceNames();
//! InvalidArgument listing the names when `name` is not one.
Status ValidateServiceName(const std::string& name);

//! What a process opens from the root, and which parts of it it may write.
struct ComponentPlan {
  std::vector<std::string> services;  // served here (every one: all-in-one)
  std::string label;                  // "" all-in-one, else the service ("gateway" for a
                                      // gateway that proxies some services)
  bool catalog_owner = true;          // false: ingest refused, new versions followed by polling
  bool vectors = true;                // open the vector store at all
  //! Which indexes to open, and which of those this process writes (the rest are opened
  //! read-only and reloaded when their files change).
  std::function<bool(const std::string&)> index_wanted, index_owned;
  bool memory = true;         // memory store (memory/memories.log) and playbooks
  bool pathways = true;       // pathway traces (shared, appended under flock)
  bool journal_owner = true;  // journal/ and truth/; false: journal/services/<service>/
  bool start_roster = false;  // load the roster at start (validate's module does it too)
  //! Open the fills ledger writable (the serving process that commits fills); otherwise it
  //! is read as it is at start (CLI commands), or not opened (split services but validate).
  bool ledger_writer = false;
  bool ledger = true;
  //! Not the journal's owner and given `--upstream journal=URL`: events go there
  //! (journal/forwarder.h) instead of journal/services/<label>/.
  std::string journal_upstream;
  //! A serving process (`lakehouse serve`), not a command: on a shared root it may wait as a
  //! standby for the components' lease instead of refusing to start (docs/SCALE.md).
  bool serving = false;

  //! The journal directory relative to the root.
  std::string JournalDir() const;
  bool AllInOne() const { return label.empty(); }
};

//! The plan of a process serving `services` (the union of what each one needs); `label`
//! names it ("" when it serves them all).
ComponentPlan PlanFor(const std::vector<std::string>& services, const std::string& label);
//! One service's plan; "" is the all-in-one plan.
ComponentPlan PlanFor(const std::string& service);

//! A standby of a shared root (server/component_lease.h, docs/SCALE.md): serves the services
//! that write no component (sql: datasets commit through the shared catalog; embed) and
//! forwards the others to the owner at `owner_url`, its own events into the owner's journal
//! (kept under journal/services/standby/ when the owner has no URL).
ComponentPlan StandbyPlan(const std::string& owner_url);

//! Parses "NAME=URL[,URL...]" (`--upstream`): NAME a service, each URL http://host:port;
//! several URLs: nodes of one shared root, taken in turn (docs/SCALE.md).
Status ParseUpstream(const std::string& text, std::map<std::string, std::string>& upstreams);

}  // namespace lakehouse
