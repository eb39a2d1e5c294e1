// src/core/json.h: the JSON types and helpers every subsystem shares.
//
// Output JSON is built with nlohmann::ordered_json (keys keep insertion order, so wire
// output is deterministic: SPEC "Output JSON is deterministic: fixed key order"). Hot read
// paths (JSONL streams) use simdjson directly in their subsystem; request bodies, which are
// small, are parsed here.
//
// Thread-safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace lakehouse {

using Json = nlohmann::ordered_json;

//! Parses a whole JSON document; the error names the byte offset and what was wrong.
Result<Json> ParseJson(std::string_view text);

//! Parses a request body that must be a JSON object ("request body must be a JSON object").
Result<Json> ParseJsonObject(std::string_view text);

//! `{"error":{"code":"...","message":"..."}}` for a non-OK status.
Json ErrorJson(const Status& status);

//! Compact serialization; invalid UTF-8 is replaced rather than throwing.
std::string DumpJson(const Json& value);

// Typed field access for request objects. Each returns a clear InvalidArgument naming
// the field and the expected type; an absent optional field yields std::nullopt.
Result<std::string> RequiredString(const Json& obj, std::string_view field);
Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view field);
//! obj[key] when it is a string, else "" (absent, null, another type, obj not an object):
//! for reading lines and payloads we wrote ourselves, where a missing field reads as empty.
std::string StringField(const Json& obj, std::string_view key);
//! obj[key], or null when absent.
Json FieldOrNull(const Json& obj, std::string_view key);
Result<std::optional<int64_t>> OptionalInt(const Json& obj, std::string_view field);
Result<std::optional<bool>> OptionalBool(const Json& obj, std::string_view field);

//! Appends `s` escaped for use inside a JSON string literal (no surrounding quotes).
//! Control characters become \uXXXX; invalid UTF-8 bytes become U+FFFD.
void AppendJsonEscaped(std::string& out, std::string_view s);

//! The JSON type name used in error messages ("string", "number", "object", ...).
std::string_view JsonTypeName(const Json& value);

}  // namespace lakehouse
