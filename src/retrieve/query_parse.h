// src/retrieve/query_parse.h: what a coordinator's query says, by rules.
//
// "need 12 forklift drivers nights in Dayton" -> role "forklift operator" (from the
// taxonomy's names and synonyms, with plurals: "CNAs", "welders", "lift truck operators"),
// place Dayton, OH (the taxonomy's cities; a name shared by several cities picks the largest
// labor market), shift night ("nights", "overnight"). The longest matching phrase wins, so
// "warehouse associates with forklift experience" is a warehouse associate.
//
// Thread-safety: pure functions over static tables (built once, thread-safe statics).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "staffing/taxonomy.h"

namespace lakehouse {

struct RoleMatch {
  std::string role;    // canonical taxonomy name
  std::string phrase;  // what matched in the query
};

//! The role a query names, by the taxonomy's rules, or nullopt.
std::optional<RoleMatch> ExtractRoleByRules(std::string_view query);
//! The city a query names ("in Dayton", "near houston"), or nullptr.
const staffing::City* ExtractPlace(std::string_view query);
//! "day", "night" or "swing" when the query names a shift, else "".
std::string ExtractShift(std::string_view query);
//! The certifications and skills of `role` the query mentions, by their first word ("6G"
//! -> "6g pipe", "hazmat" -> "hazmat endorsement"); a word shared by several is not enough
//! when the query has the whole phrase of one ("osha 10" vs "osha forklift").
std::vector<std::string> ExtractQualifications(std::string_view query, const staffing::Role& role);

}  // namespace lakehouse
