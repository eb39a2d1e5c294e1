// src/distill/firewall.h: what keeps evidence out of training data (category SftNever).
//
// Four reasons, each found by the scorer and checked again by the audit:
//   pii          an email address, phone number or SSN in text a model would learn from
//                (answers, email subjects and bodies, coordinator-typed messages, notes),
//                other than the addressee's own address (an email's `to`): a third
//                party's contact details must never be learnt;
//   dnr          do-not-return content: "dnr", "do not rehire", "do-not-return", ...;
//   quarantined  another line of the same request was quarantined, so this record is part
//                of an exchange we cannot see whole;
//   flagged      a coordinator flagged it (feedback with flag: true).
// System-built prompt context (the roster excerpt of an iterate prompt) is first-party
// data the task needs and is not scanned; the answers to it are.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lakehouse::distill {

//! "ddd-dd-dddd" not inside a longer digit/word run.
bool ContainsSsn(std::string_view text);
//! PII findings in `text` as reasons ("pii: email address in body"), skipping the
//! addresses in `allowed_emails` (compared case-insensitively). `where` names the field.
void FindPii(std::string_view text, std::string_view where,
             const std::vector<std::string>& allowed_emails, std::vector<std::string>& reasons);
//! do-not-return wording, case-insensitive, whole words.
bool ContainsDnr(std::string_view text);

}  // namespace lakehouse::distill
