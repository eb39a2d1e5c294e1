// src/validate/text_scan.h: what the Email validator finds in free text written by a model.
//
// Small scanners over untrusted text: email addresses, phone numbers, capitalised word
// pairs (names), template placeholders, shift words, dates, dollar amounts. Each is one
// linear pass with bounded look-ahead and is fuzzed (fuzz/parsers_fuzz.cc): model output
// is arbitrary bytes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lakehouse::textscan {

//! The 10-digit North American number of a phone string ("+1-513-555-0101" -> 5135550101),
//! or 0 when it is not one (wrong digit count, area code starting with 0 or 1).
uint64_t PhoneDigits(std::string_view phone);
//! `needle` occurs in `hay` with no word character on either side.
bool ContainsWord(std::string_view hay, std::string_view needle);
bool IsEmailChar(char c);
//! local@domain with the usual characters, a dot in the domain.
bool ValidEmailSyntax(std::string_view s);
//! Email-looking tokens around each '@'.
std::vector<std::string> EmailsIn(std::string_view text);
//! Digit runs that read as a phone number (10 digits, or 11 with a leading 1).
std::vector<uint64_t> PhonesIn(std::string_view text);

struct Word {
  std::string_view text;
  size_t begin, end;
};

//! Runs of letters (with inner ' and -).
std::vector<Word> WordsIn(std::string_view text);

//! The first unfilled template placeholder: {{x}}, {x}, [NAME], [First Name], <NAME>.
std::optional<std::string> PlaceholderIn(std::string_view text);
//! The shifts a lower-cased text talks about ("night shift", "overnight", ...).
std::set<std::string> ShiftsIn(std::string_view lower_text);

struct MentionedDate {
  int month, day, year;  // year 0: not given
  std::string text;
};

//! Dates: 2026-12-01, 12/1/2026, 12/1, December 1, Dec 1st, December 1, 2026.
std::vector<MentionedDate> DatesIn(std::string_view text);

struct Money {
  double value;
  std::string text;
};

//! Dollar amounts, except ones described as a bonus.
std::vector<Money> HourlyAmountsIn(std::string_view text);

}  // namespace lakehouse::textscan
