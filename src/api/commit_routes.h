// src/api/commit_routes.h: the commit flow of validate/commit.h (served by the validate
// service):
//   POST   /v1/fills                  commit a fill: 201 when valid (durable, in the ledger),
//                                     422 with every error when not; Idempotency-Key (or
//                                     fill_id) makes a retry the same fill (201, replayed)
//   GET    /v1/fills                  the ledger's rows: ?order_id= ?worker_id= ?status= ?limit=
//   GET    /v1/fills/{fill_id}        one fill's rows
//   DELETE /v1/fills/{fill_id}        cancel it (reason required: body or ?reason=)
//   POST   /v1/fills/{fill_id}/status {status: cancelled|ended, reason, ended_on?, worker_ids?}
//   POST   /v1/fills/compact          fold pending commits into a new `fills` version now
//   POST   /v1/emails                 commit an outreach email (201 / 422)
#pragma once

#include <memory>

#include "api/module.h"
#include "validate/commit.h"

namespace lakehouse {

std::unique_ptr<Module> NewCommitModule(CommitDeps deps);

}  // namespace lakehouse
