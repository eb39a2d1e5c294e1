#include "validate/text_scan.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/text.h"

namespace lakehouse::textscan {
namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool IsPlaceholderKeyword(std::string_view inside) {
  static const char* kKeywords[] = {"name", "date",    "city",   "rate",     "pay",      "shift",
                                    "role", "company", "client", "position", "location", "time"};
  const std::string lower = AsciiLower(inside);
  for (const char* k : kKeywords)
    if (lower.find(k) != std::string::npos) return true;
  return false;
}

int MonthNumber(std::string_view word) {
  static const char* kMonths[] = {"january",   "february", "march",    "april",
                                  "may",       "june",     "july",     "august",
                                  "september", "october",  "november", "december"};
  const std::string w = AsciiLower(word);
  for (int m = 0; m < 12; ++m) {
    const std::string_view full = kMonths[m];
    if (w == full) return m + 1;
    // Abbreviations: "dec", "sept"; "may" and "march" only spelled out (common words).
    if (w.size() >= 3 && w.size() < full.size() && full.substr(0, w.size()) == w && m != 4 &&
        m != 2)
      return m + 1;
  }
  return 0;
}

}  // namespace

uint64_t PhoneDigits(std::string_view phone) {
  uint64_t v = 0;
  int n = 0;
  for (char c : phone) {
    if (c < '0' || c > '9') continue;
    if (++n > 11) return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n == 11 && v / 10000000000ULL == 1) {
    v %= 10000000000ULL;
  } else if (n != 10) {
    return 0;
  }
  // A North American area code starts with 2-9 ("0882088241" is not a phone number).
  return v >= 2000000000ULL ? v : 0;
}

// `needle` occurs in `hay` with no word character on either side.
bool ContainsWord(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return false;
  for (size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + 1)) {
    const bool left_ok = pos == 0 || !IsWordChar(hay[pos - 1]);
    const size_t end = pos + needle.size();
    const bool right_ok = end >= hay.size() || !IsWordChar(hay[end]);
    if (left_ok && right_ok) return true;
  }
  return false;
}

bool IsEmailChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}

std::vector<std::string> EmailsIn(std::string_view text) {
  std::vector<std::string> out;
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t b = at, e = at + 1;
    while (b > 0 && IsEmailChar(text[b - 1])) --b;
    while (e < text.size() && IsEmailChar(text[e])) ++e;
    while (e > at + 1 && text[e - 1] == '.') --e;  // sentence period
    if (b < at && e > at + 1) out.emplace_back(text.substr(b, e - b));
  }
  return out;
}

// Digit runs that look like a phone number (10 digits, or 11 with a leading 1), allowing
// the usual separators.
std::vector<uint64_t> PhonesIn(std::string_view text) {
  std::vector<uint64_t> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '+' && text[i] != '(') {
      ++i;
      continue;
    }
    size_t j = i, digits = 0, seps = 0;
    while (j < text.size()) {
      const char c = text[j];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        ++digits;
        seps = 0;
      } else if ((c == '-' || c == ' ' || c == '.' || c == '(' || c == ')' || c == '+') &&
                 seps < 2) {
        ++seps;
      } else {
        break;
      }
      ++j;
    }
    if (digits == 10 || digits == 11) {
      if (uint64_t d = PhoneDigits(text.substr(i, j - i))) out.push_back(d);
    }
    i = j > i ? j : i + 1;
  }
  return out;
}

std::vector<Word> WordsIn(std::string_view text) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() &&
           (std::isalpha(static_cast<unsigned char>(text[j])) || text[j] == '\'' || text[j] == '-'))
      ++j;
    out.push_back({text.substr(i, j - i), i, j});
    i = j;
  }
  return out;
}

// The first unfilled template placeholder: {{x}}, {x}, [NAME], [First Name], <NAME>.
std::optional<std::string> PlaceholderIn(std::string_view text) {
  if (size_t p = text.find("{{"); p != std::string_view::npos) {
    size_t q = text.find("}}", p);
    return std::string(text.substr(p, q == std::string_view::npos ? 2 : q + 2 - p));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char open = text[i];
    const char close = open == '{' ? '}' : open == '[' ? ']' : open == '<' ? '>' : 0;
    if (close == 0) continue;
    const size_t j = text.find(close, i + 1);
    if (j == std::string_view::npos || j - i - 1 == 0 || j - i - 1 > 30) continue;
    const std::string_view inside = text.substr(i + 1, j - i - 1);
    bool upper_only = true, identifier = true;
    for (char c : inside) {
      if (!(std::isupper(static_cast<unsigned char>(c)) || c == '_' || c == ' '))
        upper_only = false;
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) identifier = false;
    }
    const bool has_letter = std::any_of(inside.begin(), inside.end(), [](char c) {
      return std::isalpha(static_cast<unsigned char>(c));
    });
    if (!has_letter) continue;
    if ((open == '{' && identifier) || (open != '{' && upper_only && inside.size() >= 2) ||
        (open == '[' && IsPlaceholderKeyword(inside))) {
      return std::string(text.substr(i, j - i + 1));
    }
  }
  return std::nullopt;
}

// Shift words before "shift(s)": the shifts the text talks about.
std::set<std::string> ShiftsIn(std::string_view lower_text) {
  std::set<std::string> out;
  const auto words = WordsIn(lower_text);
  for (size_t k = 0; k < words.size(); ++k) {
    const std::string_view w = words[k].text;
    if (w == "overnight" || w == "graveyard") out.insert("night");
    if (k + 1 >= words.size() || (words[k + 1].text != "shift" && words[k + 1].text != "shifts"))
      continue;
    if (w == "day" || w == "days" || w == "first") out.insert("day");
    if (w == "night" || w == "nights" || w == "third") out.insert("night");
    if (w == "swing" || w == "evening" || w == "second") out.insert("swing");
  }
  return out;
}

std::vector<MentionedDate> DatesIn(std::string_view text) {
  std::vector<MentionedDate> out;
  auto num_at = [&](size_t i, size_t& end) {
    int v = 0;
    size_t j = i;
    while (j < text.size() && j - i < 4 && std::isdigit(static_cast<unsigned char>(text[j])))
      v = v * 10 + (text[j++] - '0');
    end = j;
    return j > i ? v : -1;
  };
  // Numeric: 2026-12-01, 12/1/2026, 12/1.
  for (size_t i = 0; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) ||
        (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))))
      continue;
    size_t e1, e2, e3;
    const int a = num_at(i, e1);
    if (e1 < text.size() && text[e1] == '-' && e1 - i == 4) {
      const int m = num_at(e1 + 1, e2);
      if (m > 0 && e2 < text.size() && text[e2] == '-') {
        const int d = num_at(e2 + 1, e3);
        if (d > 0 && m <= 12 && d <= 31)
          out.push_back({m, d, a, std::string(text.substr(i, e3 - i))});
      }
    } else if (e1 < text.size() && text[e1] == '/' && e1 - i <= 2) {
      const int d = num_at(e1 + 1, e2);
      int y = 0;
      size_t end = e2;
      if (d > 0 && e2 < text.size() && text[e2] == '/') {
        y = num_at(e2 + 1, e3);
        end = e3;
        if (y >= 0 && y < 100) y += 2000;
      }
      if (a >= 1 && a <= 12 && d >= 1 && d <= 31)
        out.push_back({a, d, y < 0 ? 0 : y, std::string(text.substr(i, end - i))});
    }
  }
  // Spelled: "December 1", "Dec 1st", "December 1, 2026".
  const auto words = WordsIn(text);
  for (const Word& w : words) {
    const int m = MonthNumber(w.text);
    if (m == 0) continue;
    size_t i = w.end;
    while (i < text.size() && (text[i] == ' ' || text[i] == '.')) ++i;
    size_t e;
    const int d = num_at(i, e);
    if (d < 1 || d > 31 || e - i > 2) continue;
    size_t k = e;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k])) && k - e < 2) ++k;
    int y = 0;
    size_t yend = k;
    if (k + 1 < text.size() && text[k] == ',') {
      size_t s = k + 1;
      while (s < text.size() && text[s] == ' ') ++s;
      size_t ye;
      const int yy = num_at(s, ye);
      if (ye - s == 4) {
        y = yy;
        yend = ye;
      }
    }
    out.push_back({m, d, y, std::string(text.substr(w.begin, yend - w.begin))});
  }
  return out;
}

// Dollar amounts, except ones described as a bonus.
std::vector<Money> HourlyAmountsIn(std::string_view text) {
  std::vector<Money> out;
  for (size_t p = text.find('$'); p != std::string_view::npos; p = text.find('$', p + 1)) {
    size_t i = p + 1;
    std::string digits;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) ||
                               text[i] == ',' || text[i] == '.')) {
      if (text[i] != ',') digits += text[i];
      ++i;
    }
    while (!digits.empty() && digits.back() == '.') digits.pop_back();
    if (digits.empty()) continue;
    const std::string after = AsciiLower(text.substr(i, 25));
    if (after.find("bonus") != std::string::npos) continue;
    out.push_back({std::atof(digits.c_str()), std::string(text.substr(p, i - p))});
  }
  return out;
}

bool ValidEmailSyntax(std::string_view s) {
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  if (!std::all_of(local.begin(), local.end(), IsEmailChar)) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  const size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return false;
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

}  // namespace lakehouse::textscan
