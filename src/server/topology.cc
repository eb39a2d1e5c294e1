#include "server/topology.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/config.h"

namespace lakehouse {

const std::vector<std::string>& ServiceNames() {
  static const std::vector<std::string> names = {"sql",      "embed",    "vector", "chat",
                                                 "validate", "retrieve", "memory", "journal"};
  return names;
}

Status ValidateServiceName(const std::string& name) {
  const auto& names = ServiceNames();
  if (std::find(names.begin(), names.end(), name) != names.end()) return Status::OK();
  return Status::InvalidArgument(
      fmt::format("unknown service '{}' (services: {})", name, fmt::join(names, ", ")));
}

std::string ComponentPlan::JournalDir() const {
  return journal_owner ? "journal" : "journal/services/" + label;
}

ComponentPlan PlanFor(const std::vector<std::string>& services, const std::string& label) {
  auto has = [&](std::string_view name) {
    return std::find(services.begin(), services.end(), name) != services.end();
  };
  const bool vector = has("vector"), retrieve = has("retrieve"), memory = has("memory");
  ComponentPlan p;
  p.services = services;
  p.label = label;
  p.catalog_owner = has("sql");
  p.journal_owner = has("journal");
  p.vectors = vector || retrieve || memory;
  p.memory = memory;
  p.pathways = memory || has("validate");
  // The validate module starts the roster itself; these services use it too.
  p.start_roster = !has("validate") && (has("chat") || memory || retrieve || has("journal"));
  // vector owns every index but playbooks, memory owns playbooks; retrieve reads them all.
  p.index_wanted = [=](const std::string& name) {
    return vector || retrieve || (memory && name == "playbooks");
  };
  p.index_owned = [=](const std::string& name) { return name == "playbooks" ? memory : vector; };
  return p;
}

ComponentPlan PlanFor(const std::string& service) {
  if (service.empty()) return PlanFor(ServiceNames(), "");
  return PlanFor(std::vector<std::string>{service}, service);
}

ComponentPlan StandbyPlan(const std::string& owner_url) {
  ComponentPlan p = PlanFor({"sql", "embed"}, "standby");
  p.journal_upstream = owner_url;
  p.ledger = false;
  p.ledger_writer = false;
  p.serving = true;
  return p;
}

Status ParseUpstream(const std::string& text, std::map<std::string, std::string>& upstreams) {
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    return Status::InvalidArgument(
        fmt::format("--upstream '{}': expected NAME=URL (sql=http://127.0.0.1:3101)", text));
  std::string name = text.substr(0, eq);
  LH_RETURN_IF_ERROR(ValidateServiceName(name).WithContext("--upstream"));
  std::vector<std::string> urls;
  for (std::string url : SplitList(text.substr(eq + 1))) {
    if (url.rfind("http://", 0) != 0 || url.size() <= 7)
      return Status::InvalidArgument(
          fmt::format("--upstream {}: '{}' is not an http://host:port URL", name, url));
    while (!url.empty() && url.back() == '/') url.pop_back();
    urls.push_back(url);
  }
  if (urls.empty()) return Status::InvalidArgument(fmt::format("--upstream {}: no URL", name));
  if (upstreams.count(name))
    return Status::InvalidArgument(fmt::format("--upstream {} is given twice", name));
  upstreams[name] = fmt::format("{}", fmt::join(urls, ","));
  return Status::OK();
}

}  // namespace lakehouse
