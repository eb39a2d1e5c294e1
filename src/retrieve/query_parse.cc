#include "retrieve/query_parse.h"

#include <algorithm>
#include <vector>

#include "core/text.h"

namespace lakehouse {
namespace {

// " forklift drivers in dayton " : lower case, punctuation to spaces, padded so a phrase
// is matched as " phrase " (whole words).
std::string Normalize(std::string_view q) {
  std::string out = " ";
  for (char c : AsciiLower(q)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    out += keep ? c : ' ';
  }
  out += ' ';
  return out;
}

struct Phrase {
  std::string text;  // normalized, padded
  std::string role;
};

std::vector<Phrase> BuildRolePhrases() {
  std::vector<Phrase> out;
  auto add = [&](std::string_view phrase, std::string_view role) {
    const std::string base = Normalize(phrase);
    const std::string core = base.substr(1, base.size() - 2);
    for (const std::string& variant : {core, core + "s", core + "es"})
      out.push_back({" " + variant + " ", std::string(role)});
  };
  for (const auto& r : staffing::Roles()) {
    add(r.name, r.name);
    for (auto s : r.synonyms) add(s, r.name);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Phrase& a, const Phrase& b) { return a.text.size() > b.text.size(); });
  return out;
}

}  // namespace

std::optional<RoleMatch> ExtractRoleByRules(std::string_view query) {
  static const std::vector<Phrase> phrases = BuildRolePhrases();
  const std::string q = Normalize(query);
  for (const Phrase& p : phrases) {
    if (q.find(p.text) != std::string::npos)
      return RoleMatch{p.role, p.text.substr(1, p.text.size() - 2)};
  }
  return std::nullopt;
}

const staffing::City* ExtractPlace(std::string_view query) {
  const std::string q = Normalize(query);
  const staffing::City* best = nullptr;
  for (const auto& c : staffing::Cities()) {
    if (q.find(Normalize(c.name)) == std::string::npos) continue;
    // Longer names first ("Kansas City" over a shorter name inside it), then the larger market.
    if (best == nullptr || c.name.size() > best->name.size() ||
        (c.name.size() == best->name.size() && c.weight > best->weight))
      best = &c;
  }
  return best;
}

std::string ExtractShift(std::string_view query) {
  const std::string q = Normalize(query);
  for (const char* w :
       {" night ", " nights ", " overnight ", " overnights ", " graveyard ", " third shift "})
    if (q.find(w) != std::string::npos) return "night";
  for (const char* w : {" swing ", " swings ", " evening ", " evenings ", " second shift "})
    if (q.find(w) != std::string::npos) return "swing";
  for (const char* w : {" day shift ", " days ", " day ", " first shift ", " daytime "})
    if (q.find(w) != std::string::npos) return "day";
  return "";
}

std::vector<std::string> ExtractQualifications(std::string_view query, const staffing::Role& role) {
  const std::string q = Normalize(query);
  std::vector<std::string> whole, first_word;
  auto consider = [&](std::string_view phrase) {
    const std::string p = Normalize(phrase);  // " 6g pipe "
    if (q.find(p) != std::string::npos) {
      whole.emplace_back(phrase);
      return;
    }
    const std::string first = p.substr(0, p.find(' ', 1) + 1);  // " 6g "
    if (first.size() > 3 && q.find(first) != std::string::npos) first_word.emplace_back(phrase);
  };
  for (auto c : role.certifications) consider(c);
  for (auto s : role.skills) consider(s);
  return whole.empty() ? first_word : whole;
}

}  // namespace lakehouse
