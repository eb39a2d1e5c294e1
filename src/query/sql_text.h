// src/query/sql_text.h: quoting for the SQL text we compose ourselves (view definitions,
// the fills ledger's live rows). Values from requests are bound as parameters where
// DuckDB allows it (query/scan.h); DDL and multi-row inserts take quoted text.
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>

namespace lakehouse {

//! "name" with inner double quotes doubled.
std::string SqlIdent(std::string_view ident);
//! 'text' with inner single quotes doubled.
std::string SqlLiteral(std::string_view text);

}  // namespace lakehouse
