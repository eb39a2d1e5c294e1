#include "api/module.h"

#include <fmt/format.h>

namespace lakehouse {

HttpResponse NotOpenHere(const char* what) {
  return HttpResponse::Error(
      Status::Unavailable(fmt::format("{} is not open in this process", what)));
}

}  // namespace lakehouse
