// src/distill/firewall.h: what keeps evidence out of training data (category SftNever).
//
// Four reasons, each found by the scorer and checked again by the audit and at export:
//   pii          an email address, phone number, SSN or street address in text a model
//                would learn from, other than the addressee's own address (an email's
//                `to`): a third party's contact details must never be learnt;
//   dnr          do-not-return content: "dnr", "D.N.R.", "do not rehire", "don't rehire",
//                "never rehire", "do-not-return", ...;
//   quarantined  another line of the same request was quarantined, so this record is part
//                of an exchange we cannot see whole;
//   flagged      a coordinator flagged it (feedback with flag: true).
// With the roster (distill/scoring.h RosterPeople), the scorer also counts another worker's
// full name as third-party PII and any mention of a do-not-return worker as dnr.
// Nothing is exempt: every message of an example (system, user, earlier assistant turns)
// is scanned, the roster context of an iterate prompt included. The one sentence skipped
// is the Fill rule's own wording in prompts recorded before the rule was reworded ("every
// worker is active (never dnr: do-not-return)"): a policy, not a note about a person.
//
// The scanners see the text normalised first (NormalizeForScan): Unicode NFKC (full-width
// letters, digits and '＠' become ASCII), zero-width and other format characters removed,
// every space separator a plain space, every script's decimal digits ASCII, dashes '-',
// curly apostrophes '\''. Phones are found by libphonenumber (international numbers, any
// region's format) and by a NANP shape that tolerates spaced separators ("555 - 123 -
// 4567", "555/123/4567"); emails also when written "name [at] domain [dot] com"; SSNs as
// ddd-dd-dddd, ddd dd dddd or nine digits alone. ASCII text skips the Unicode pass.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lakehouse::distill {

//! The text as the scanners see it (see above); ASCII text comes back unchanged.
std::string NormalizeForScan(std::string_view text);
//! An SSN shape not inside a longer digit/word run (`text` normalised).
bool ContainsSsn(std::string_view text);
//! "123 Main Street", "4500 W. Oak Ave": a house number, a name and a street suffix
//! (`text` normalised).
bool ContainsStreetAddress(std::string_view text);
//! PII findings in `text` as reasons ("pii: email address in body"), skipping the
//! addresses in `allowed_emails` (compared case-insensitively). `where` names the field.
void FindPii(std::string_view text, std::string_view where,
             const std::vector<std::string>& allowed_emails, std::vector<std::string>& reasons);
//! Do-not-return wording, case-insensitive, whole words, in any of its usual spellings.
bool ContainsDnr(std::string_view text);
//! What the scanners find in one text, before the addressee exception.
struct TextFindings {
  std::vector<std::string> emails;  // every address, plain or de-obfuscated
  bool phone = false, ssn = false, address = false, dnr = false;
};
TextFindings ScanText(std::string_view text);
//! The reasons for `f` ("pii: phone number in <where>"), emails in `allowed_emails` apart;
//! with `with_dnr`, "dnr: do-not-return content in <where>" too.
void AppendReasons(const TextFindings& f, std::string_view where,
                   const std::vector<std::string>& allowed_emails,
                   std::vector<std::string>& reasons, bool with_dnr);

//! ScanText remembered by content, bounded: texts repeat (every iterate prompt of a kind
//! carries the same system message and rules; an order's roster context recurs), so the
//! scorer and the exports scan each distinct text once. Not thread-safe: one per thread.
class ScanCache {
 public:
  explicit ScanCache(size_t budget_bytes = 32 << 20) : budget_bytes_(budget_bytes) {}
  const TextFindings& Scan(std::string_view text);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  size_t budget_bytes_, bytes_ = 0;
  std::unordered_map<std::string, TextFindings, Hash, std::equal_to<>> memo_;
};

//! Every finding of FindPii and ContainsDnr ("dnr: do-not-return content in <where>").
std::vector<std::string> ScanForFirewall(std::string_view text, std::string_view where,
                                         const std::vector<std::string>& allowed_emails);

}  // namespace lakehouse::distill
