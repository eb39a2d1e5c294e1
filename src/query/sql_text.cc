#include "query/sql_text.h"

namespace lakehouse {
namespace {

std::string Quote(std::string_view text, char q) {
  std::string out(1, q);
  for (char c : text) {
    if (c == q) out += q;
    out += c;
  }
  return out + q;
}

}  // namespace

std::string SqlIdent(std::string_view ident) {
  return Quote(ident, '"');
}

std::string SqlLiteral(std::string_view text) {
  return Quote(text, '\'');
}

}  // namespace lakehouse
