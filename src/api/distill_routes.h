// src/api/distill_routes.h: the HTTP side of the distillation pipeline (served by the
// journal service).
//
// POST /v1/feedback: a coordinator rates or flags anything the system produced (a run, a
// request, a fill, an email, a playbook, an evidence record): one feedback.v1 line in
// `_kb/feedback.jsonl`, which the scorer turns into score changes and the firewall's
// `flagged` reason. GET /v1/distill/status: the latest receipt of each pipeline step (the
// steps themselves are CLI commands: `lakehouse materialize|score|export|audit`).
#pragma once

#include <memory>
#include <string>

#include "api/module.h"

namespace lakehouse {

class KbLog;

struct DistillDeps {
  KbLog* kb = nullptr;
  std::string root;  // the data root, where _receipts/ lives
};

std::unique_ptr<Module> NewDistillModule(DistillDeps deps);

}  // namespace lakehouse
