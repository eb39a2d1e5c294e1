// src/memory/subjects.h: memory never holds what the roster does not know.
//
// A subject or order that names a roster entity ("worker:W0000042", "order:O000007", a
// pathway's order id) must exist in the loaded roster: a memory about a worker the roster
// does not have is a model's invention, refused with 422 (404 for a pathway). Before any
// roster is loaded (an empty root, or a roster without that kind of entity) the check is
// skipped. Other subject kinds ("client:C1", free labels) are not roster entities.
//
// Thread-safety: free functions over an immutable Roster.
#pragma once

#include <string>

#include "core/status.h"
#include "validate/roster.h"

namespace lakehouse {

//! OK, or Unprocessable naming the unknown worker or order of a memory's subject.
Status CheckRosterSubject(const Roster* roster, const std::string& subject);
//! OK, or NotFound naming an order the roster does not have.
Status CheckRosterOrder(const Roster* roster, const std::string& order_id);

}  // namespace lakehouse
