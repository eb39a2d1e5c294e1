// src/api/order_routes.h: the coordinator's read views of orders and workers (served by the
// validate service, beside the roster and the fills ledger they read):
//   GET /v1/orders                 the order board (validate/order_board.h): filters role,
//                                  state, city, status, q, from, to, urgency, open; sort;
//                                  limit/offset; facets for the filter menus
//   GET /v1/orders/{order_id}      one order with its fill count and the ledger's rows for it
//                                  (?today= as on the board)
//   GET /v1/workers?ids=a,b,c      brief roster rows of up to 500 workers (names for lists)
//   GET /v1/workers/{worker_id}    one roster row with its placements (the ledger's rows)
// The console's Orders, Order and Worker screens are built on these; pathways, truth and
// memories have their own routes.
#pragma once

#include <memory>

#include "api/module.h"

namespace lakehouse {

class FillLedger;
class RosterStore;

struct OrderDeps {
  RosterStore* roster = nullptr;
  FillLedger* ledger = nullptr;  // null: not open here (503 for the detail routes)
};

std::unique_ptr<Module> NewOrderModule(OrderDeps deps);

}  // namespace lakehouse
