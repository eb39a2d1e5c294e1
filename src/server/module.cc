#include "server/module.h"

#include <map>

namespace lakehouse {
namespace {
std::map<std::string, ModuleFactory>& Factories() {
  static std::map<std::string, ModuleFactory> factories;
  return factories;
}
}  // namespace

bool RegisterModuleFactory(const std::string& name, ModuleFactory factory) {
  Factories()[name] = std::move(factory);
  return true;
}

std::vector<std::unique_ptr<Module>> CreateModules(const std::string& service) {
  std::vector<std::unique_ptr<Module>> out;
  for (const auto& [name, f] : Factories()) {
    auto module = f();
    if (service.empty() || module->Service() == service) out.push_back(std::move(module));
  }
  return out;
}

}  // namespace lakehouse
