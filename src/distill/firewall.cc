#include "distill/firewall.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <array>
#include <vector>

#include "core/text.h"
#include "validate/text_scan.h"

namespace lakehouse::distill {
namespace {

bool IsAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

void AppendUtf8(std::string& out, UChar32 c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// ASCII classes without libc's locale lookups (the scanners run over every exported text).
constexpr bool IsDigitC(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool IsAlphaC(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool IsAlnumC(char c) {
  return IsDigitC(c) || IsAlphaC(c);
}

bool Digit(std::string_view t, size_t i) {
  return i < t.size() && IsDigitC(t[i]);
}
bool WordChar(std::string_view t, size_t i) {
  return i < t.size() && (IsAlnumC(t[i]) || t[i] == '-');
}

// `n` digits at `i`; advances `i`.
bool Digits(std::string_view t, size_t& i, int n) {
  for (int k = 0; k < n; ++k, ++i)
    if (!Digit(t, i)) return false;
  return true;
}

// A separator between digit groups: optional spaces around at most one of - . / or a
// single space. Advances `i`; false when there is none (when `required`).
bool Separator(std::string_view t, size_t& i, bool required) {
  size_t j = i;
  while (j < t.size() && t[j] == ' ') ++j;
  if (j < t.size() && (t[j] == '-' || t[j] == '.' || t[j] == '/')) {
    ++j;
    while (j < t.size() && t[j] == ' ') ++j;
  }
  if (j == i) return !required;
  if (j - i > 5) return false;  // a separator, not a gap between two numbers
  i = j;
  return true;
}

// A US/Canada number starting at `start`: (ddd) ddd-dddd, ddd - ddd - dddd, ddd/ddd/dddd,
// +1 ddd ddd dddd...
bool NanpAt(std::string_view t, size_t start) {
  size_t i = start;
  if (t.compare(i, 2, "+1") == 0) {
    i += 2;
    Separator(t, i, false);
  }
  if (i < t.size() && t[i] == '(') {
    ++i;
    if (!Digits(t, i, 3) || i >= t.size() || t[i] != ')') return false;
    ++i;
    Separator(t, i, false);
  } else {
    if (!Digits(t, i, 3) || !Separator(t, i, true)) return false;
  }
  if (!Digits(t, i, 3) || !Separator(t, i, true) || !Digits(t, i, 4)) return false;
  return !WordChar(t, i);
}

// An SSN starting at `i`: ddd-dd-dddd, ddd dd dddd, ddd.dd.dddd (one kind of separator),
// or nine digits alone.
bool SsnAt(std::string_view t, size_t i) {
  size_t j = i;
  if (!Digits(t, j, 3)) return false;
  const char sep = j < t.size() ? t[j] : '\0';
  if (sep == '-' || sep == ' ' || sep == '.') {
    size_t k = j + 1;
    if (Digits(t, k, 2) && k < t.size() && t[k] == sep && (++k, Digits(t, k, 4)) &&
        !WordChar(t, k) && !(k < t.size() && t[k] == '.' && Digit(t, k + 1)))
      return true;
  }
  return Digits(t, j, 6) && !WordChar(t, j) && !(j < t.size() && t[j] == '.' && Digit(t, j + 1));
}

// PhonesIn's shape at a token start: 10 digits (11 with a leading 1) with at most two
// separators in a row, a NANP area code.
bool PlainPhoneAt(std::string_view t, size_t i) {
  size_t j = i, digits = 0, seps = 0;
  while (j < t.size()) {
    const char c = t[j];
    if (IsDigitC(c)) {
      ++digits;
      seps = 0;
    } else if ((c == '-' || c == ' ' || c == '.' || c == '(' || c == ')' || c == '+') && seps < 2) {
      ++seps;
    } else {
      break;
    }
    ++j;
  }
  return (digits == 10 || digits == 11) && textscan::PhoneDigits(t.substr(i, j - i)) != 0;
}

// True when the token at `i` continues an identifier joined by an underscore ("eml_26844128-14",
// a record id whose hex happens to be all digits): not a number someone wrote. An underscore
// after a space ("_757-555-0188_", Markdown italics) still starts a token.
bool InIdentifier(std::string_view t, size_t i) {
  return i >= 2 && t[i - 1] == '_' && IsAlnumC(t[i - 2]);
}

// Calls `fn(i)` at every place a digit-shaped token can start: a digit, '+' or '(' that
// does not continue a word. Stops when `fn` answers true.
template <typename Fn>
bool AnyTokenStart(std::string_view t, Fn fn) {
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (!IsDigitC(c) && c != '+' && c != '(') continue;
    if (i > 0 && WordChar(t, i - 1)) continue;
    if (fn(i)) return true;
  }
  return false;
}

// Another country's number written internationally from `i` ("+44 20 7946 0958", "0044 ...",
// "011 44 ..."): the run of characters a written number is made of, 7 to 15 digits, asked of
// libphonenumber (national formats are the NANP scanners': the default region is the US).
bool InternationalAt(std::string_view t, size_t i) {
  const std::string_view rest = t.substr(i);
  if (!(rest[0] == '+' || rest.substr(0, 2) == "00" || rest.substr(0, 3) == "011")) return false;
  if (i > 0 && (t[i - 1] == '.' || t[i - 1] == '_')) return false;
  size_t j = i, last_digit = i;
  int digits = 0;
  while (j < t.size()) {
    const char d = t[j];
    if (IsDigitC(d)) {
      ++digits;
      last_digit = j;
    } else if (!(d == ' ' || d == '-' || d == '.' || d == '/' || d == '(' || d == ')' ||
                 (d == '+' && j == i)) ||
               (d == ' ' && j + 1 < t.size() && t[j + 1] == ' ')) {
      break;
    }
    ++j;
  }
  if (digits < 7 || digits > 15 || (j < t.size() && IsAlphaC(t[j]))) return false;
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  const std::string text(t.substr(i, last_digit + 1 - i));
  return util.Parse(text, "US", &number) == PhoneNumberUtil::NO_PARSING_ERROR &&
         util.IsValidNumber(number);
}

// "name [at] domain [dot] com", "(at)", "{at}", "<at>": the emails as written plainly.
std::string Deobfuscate(std::string_view t) {
  static constexpr std::array<std::pair<std::string_view, char>, 8> kTokens = {{{"[at]", '@'},
                                                                                {"(at)", '@'},
                                                                                {"{at}", '@'},
                                                                                {"<at>", '@'},
                                                                                {"[dot]", '.'},
                                                                                {"(dot)", '.'},
                                                                                {"{dot}", '.'},
                                                                                {"<dot>", '.'}}};
  const std::string lower = AsciiLower(t);
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < lower.size();) {
    bool replaced = false;
    for (const auto& [token, ch] : kTokens) {
      if (lower.compare(i, token.size(), token) == 0) {
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out += ch;
        i += token.size();
        while (i < lower.size() && lower[i] == ' ') ++i;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += lower[i++];
  }
  // "jane at example dot com": only when a " dot " follows the " at ".
  for (size_t at = out.find(" at "); at != std::string::npos; at = out.find(" at ", at + 1)) {
    const size_t dot = out.find(" dot ", at + 4);
    if (dot == std::string::npos || out.find(' ', at + 4) != dot) continue;
    out.replace(dot, 5, ".");
    out.replace(at, 4, "@");
  }
  return out;
}

// "d.n.r." / "D. N. R." -> "dnr", "re-hire" -> "rehire", lower case.
std::string DnrForm(std::string_view text) {
  const std::string l = AsciiLower(text);
  auto alpha = [&](size_t i) { return i < l.size() && IsAlphaC(l[i]); };
  std::string out;
  out.reserve(l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    if (alpha(i) && !(i > 0 && alpha(i - 1)) && i + 1 < l.size() && l[i + 1] == '.') {
      // Single letters each followed by a dot: an abbreviation, joined.
      std::string letters;
      size_t j = i;
      while (alpha(j) && !alpha(j + 1)) {
        letters += l[j++];
        if (j >= l.size() || l[j] != '.') break;
        ++j;
        while (j < l.size() && l[j] == ' ') ++j;
      }
      if (letters.size() >= 2) {
        out += letters;
        out += ' ';
        i = j - 1;
        continue;
      }
    }
    out += l[i];
  }
  for (size_t p = out.find("re-hire"); p != std::string::npos; p = out.find("re-hire", p))
    out.replace(p, 7, "rehire");
  return out;
}

}  // namespace

bool DnrInLower(std::string_view lower);

std::string NormalizeForScan(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return std::string(text);
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString norm = nfkc->normalize(in, status);
  if (U_FAILURE(status)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (int32_t i = 0; i < norm.length();) {
    const UChar32 c = norm.char32At(i);
    i += U16_LENGTH(c);
    const int8_t type = u_charType(c);
    if (type == U_FORMAT_CHAR) continue;  // zero-width space/joiners, BOM, soft hyphen
    if (type == U_SPACE_SEPARATOR || c == 0x00A0) {
      out += ' ';
    } else if (type == U_DECIMAL_DIGIT_NUMBER) {
      out += static_cast<char>('0' + u_charDigitValue(c));
    } else if (type == U_DASH_PUNCTUATION || c == 0x2212) {
      out += '-';
    } else if (c == 0x2018 || c == 0x2019 || c == 0x201B || c == 0x2032 || c == 0x02BC) {
      out += '\'';
    } else {
      AppendUtf8(out, c);
    }
  }
  return out;
}

bool ContainsSsn(std::string_view t) {
  return AnyTokenStart(t, [&](size_t i) { return SsnAt(t, i); });
}

// "123 Main Street" from `i` (a digit starting a token).
bool AddressAt(std::string_view t, size_t i) {
  static constexpr std::string_view kSuffixes[] = {
      "street", "st",      "avenue", "ave",    "road",  "rd",      "boulevard", "blvd", "drive",
      "dr",     "lane",    "ln",     "way",    "court", "ct",      "place",     "pl",   "parkway",
      "pkwy",   "highway", "hwy",    "circle", "cir",   "terrace", "trail",     "trl"};
  auto alpha = [&](size_t k) { return k < t.size() && IsAlphaC(t[k]); };
  if (!Digit(t, i)) return false;
  size_t j = i;
  while (Digit(t, j)) ++j;
  if (j - i > 6 || j >= t.size() || t[j] != ' ') return false;
  // One to four capitalised name words ("Main", "W.", "5th"), then a street suffix.
  size_t k = j + 1;
  for (int words = 0; words < 5 && k < t.size(); ++words) {
    size_t end = k;
    while (alpha(end) || Digit(t, end)) ++end;  // "Main", "5th"
    if (end == k) return false;
    const std::string_view word = t.substr(k, end - k);
    if (words > 0) {
      for (std::string_view s : kSuffixes)
        if (EqualsIgnoreCase(word, s) && !(end < t.size() && IsAlnumC(t[end]))) return true;
    }
    // A name word starts with a capital or a digit ("30 min drive" is no address).
    if (!((t[k] >= 'A' && t[k] <= 'Z') || Digit(t, k))) return false;
    k = end;
    if (k < t.size() && t[k] == '.') ++k;  // "W. Oak"
    if (k >= t.size() || t[k] != ' ') return false;
    ++k;
  }
  return false;
}

bool ContainsStreetAddress(std::string_view t) {
  return AnyTokenStart(t, [&](size_t i) { return AddressAt(t, i); });
}

TextFindings ScanText(std::string_view raw) {
  TextFindings f;
  const std::string text = NormalizeForScan(raw);
  if (text.find('@') != std::string::npos) f.emails = textscan::EmailsIn(text);
  const std::string lower = AsciiLower(text);
  // Rare first characters first: '[' '(' '{' '<' and "dot" (a space is everywhere).
  bool obfuscated = false;
  if (lower.find_first_of("[({<") != std::string::npos) {
    for (std::string_view token : {"[at]", "(at)", "{at}", "<at>"})
      obfuscated = obfuscated || lower.find(token) != std::string::npos;
  }
  for (size_t p = lower.find("dot "); !obfuscated && p != std::string::npos;
       p = lower.find("dot ", p + 1))
    obfuscated = p > 0 && lower[p - 1] == ' ';
  if (obfuscated)
    for (std::string& e : textscan::EmailsIn(Deobfuscate(text))) f.emails.push_back(std::move(e));
  // The digit-shaped detectors in one pass over the token starts, each only where there
  // are enough digits in the text for its shape.
  size_t digits = 0;
  for (char c : text) digits += IsDigitC(c) ? 1 : 0;
  if (digits > 0) {
    AnyTokenStart(text, [&](size_t i) {
      f.address = f.address || AddressAt(text, i);
      if (digits >= 9) f.ssn = f.ssn || SsnAt(text, i);
      if (digits >= 10)
        f.phone = f.phone || (!InIdentifier(text, i) && (NanpAt(text, i) || PlainPhoneAt(text, i)));
      if (digits >= 7) f.phone = f.phone || InternationalAt(text, i);
      return f.address && f.ssn && f.phone;
    });
  }
  f.dnr = DnrInLower(lower);
  return f;
}

void AppendReasons(const TextFindings& f, std::string_view where,
                   const std::vector<std::string>& allowed_emails,
                   std::vector<std::string>& reasons, bool with_dnr) {
  for (const std::string& e : f.emails) {
    bool allowed = false;
    for (const std::string& a : allowed_emails) allowed = allowed || EqualsIgnoreCase(a, e);
    if (!allowed) {
      reasons.push_back("pii: email address in " + std::string(where));
      break;
    }
  }
  if (f.phone) reasons.push_back("pii: phone number in " + std::string(where));
  if (f.ssn) reasons.push_back("pii: SSN in " + std::string(where));
  if (f.address) reasons.push_back("pii: street address in " + std::string(where));
  if (with_dnr && f.dnr) reasons.push_back("dnr: do-not-return content in " + std::string(where));
}

void FindPii(std::string_view text, std::string_view where,
             const std::vector<std::string>& allowed_emails, std::vector<std::string>& reasons) {
  AppendReasons(ScanText(text), where, allowed_emails, reasons, /*with_dnr=*/false);
}

const TextFindings& ScanCache::Scan(std::string_view text) {
  // Keyed by the whole text (a hash hit is confirmed byte for byte, so a crafted text
  // cannot borrow another's clean findings), within a byte budget.
  if (auto it = memo_.find(text); it != memo_.end()) return it->second;
  if (bytes_ + text.size() > budget_bytes_) {
    memo_.clear();
    bytes_ = 0;
  }
  bytes_ += text.size();
  return memo_.emplace(std::string(text), ScanText(text)).first->second;
}

bool ContainsDnr(std::string_view raw) {
  return DnrInLower(AsciiLower(NormalizeForScan(raw)));
}

bool DnrInLower(std::string_view lower) {
  // Every phrase holds "hire" or "return", or is "dnr" (perhaps written "d.n.r."): most
  // texts are out after these searches, before the abbreviation pass.
  auto dotted_d = [&] {  // "d." as a single letter: "d.n.r."
    for (size_t p = lower.find('.'); p != std::string_view::npos; p = lower.find('.', p + 1))
      if (p > 0 && lower[p - 1] == 'd' && (p < 2 || !IsAlphaC(lower[p - 2]))) return true;
    return false;
  };
  if (lower.find("hire") == std::string::npos && lower.find("dnr") == std::string::npos &&
      lower.find("return") == std::string::npos && !dotted_d())
    return false;
  std::string text = DnrForm(lower);
  // Our own fixed policy wording, as iterate prompts recorded before score@2 state it
  // ("every worker is active (never dnr: do-not-return)"): a rule, not a note about a
  // person. Only this exact sentence is skipped.
  static constexpr std::string_view kPolicy = "every worker is active (never dnr: do-not-return)";
  for (size_t p = text.find(kPolicy); p != std::string::npos; p = text.find(kPolicy, p))
    text.replace(p, kPolicy.size(), "every worker is active");
  static constexpr std::string_view kPhrases[] = {"dnr",
                                                  "do not rehire",
                                                  "do-not-rehire",
                                                  "don't rehire",
                                                  "dont rehire",
                                                  "never rehire",
                                                  "no rehire",
                                                  "not rehire",
                                                  "ineligible for rehire",
                                                  "not eligible for rehire",
                                                  "do not return",
                                                  "do-not-return",
                                                  "do not hire",
                                                  "do-not-hire",
                                                  "don't hire again",
                                                  "never hire again"};
  for (std::string_view phrase : kPhrases) {
    if (textscan::ContainsWord(text, phrase)) return true;
  }
  return false;
}

std::vector<std::string> ScanForFirewall(std::string_view text, std::string_view where,
                                         const std::vector<std::string>& allowed_emails) {
  std::vector<std::string> reasons;
  AppendReasons(ScanText(text), where, allowed_emails, reasons, /*with_dnr=*/true);
  return reasons;
}

}  // namespace lakehouse::distill
