#include "core/redact.h"

namespace lakehouse {

std::string RedactUriPassword(std::string_view uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return std::string(uri);
  const size_t at = uri.find('@', scheme + 3);
  const size_t colon = uri.find(':', scheme + 3);
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at)
    return std::string(uri);
  return std::string(uri.substr(0, colon)) + std::string(uri.substr(at));
}

}  // namespace lakehouse
