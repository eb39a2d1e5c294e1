#include "distill/firewall.h"

#include <cctype>

#include "core/text.h"
#include "validate/text_scan.h"

namespace lakehouse::distill {

bool ContainsSsn(std::string_view t) {
  auto digit = [&](size_t i) {
    return i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]));
  };
  auto word = [&](size_t i) {
    return i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '-');
  };
  for (size_t i = 0; i + 11 <= t.size(); ++i) {
    if (i > 0 && word(i - 1)) continue;
    if (digit(i) && digit(i + 1) && digit(i + 2) && t[i + 3] == '-' && digit(i + 4) &&
        digit(i + 5) && t[i + 6] == '-' && digit(i + 7) && digit(i + 8) && digit(i + 9) &&
        digit(i + 10) && !word(i + 11))
      return true;
  }
  return false;
}

void FindPii(std::string_view text, std::string_view where,
             const std::vector<std::string>& allowed_emails, std::vector<std::string>& reasons) {
  for (const std::string& e : textscan::EmailsIn(text)) {
    bool allowed = false;
    for (const std::string& a : allowed_emails) allowed = allowed || EqualsIgnoreCase(a, e);
    if (!allowed) {
      reasons.push_back("pii: email address in " + std::string(where));
      break;
    }
  }
  if (!textscan::PhonesIn(text).empty())
    reasons.push_back("pii: phone number in " + std::string(where));
  if (ContainsSsn(text)) reasons.push_back("pii: SSN in " + std::string(where));
}

bool ContainsDnr(std::string_view text) {
  const std::string lower = AsciiLower(text);
  for (std::string_view phrase : {"dnr", "do not rehire", "do-not-rehire", "do not return",
                                  "do-not-return", "do not hire", "do-not-hire"}) {
    if (textscan::ContainsWord(lower, phrase)) return true;
  }
  return false;
}

}  // namespace lakehouse::distill
