#include "memory/subjects.h"

#include <fmt/format.h>

namespace lakehouse {

Status CheckRosterSubject(const Roster* roster, const std::string& subject) {
  if (roster == nullptr) return Status::OK();
  const auto colon = subject.find(':');
  if (colon == std::string::npos) return Status::OK();
  const std::string kind = subject.substr(0, colon), id = subject.substr(colon + 1);
  if (kind == "worker" && roster->worker_count() > 0 && !roster->FindWorker(id))
    return Status::Unprocessable(
        fmt::format("field 'subject': unknown worker '{}' (not in the roster)", id));
  if (kind == "order" && !roster->orders().empty() && roster->FindOrder(id) == nullptr)
    return Status::Unprocessable(fmt::format("field 'subject': unknown order '{}'", id));
  return Status::OK();
}

Status CheckRosterOrder(const Roster* roster, const std::string& order_id) {
  if (roster != nullptr && !roster->orders().empty() && roster->FindOrder(order_id) == nullptr)
    return Status::NotFound(fmt::format("unknown order '{}'", order_id));
  return Status::OK();
}

}  // namespace lakehouse
