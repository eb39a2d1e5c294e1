// src/core/ids.h: identifiers and content hashes.
//
// Request ids are unique per process and cheap (a random process prefix plus a counter).
// Content hashes (SHA-256, FNV-1a) give stable ids to content-addressed records.
//
// Thread-safety: all functions may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lakehouse {

//! `n` random bytes as lower-case hex (from the OS random source).
std::string RandomHex(size_t n_bytes);
//! A new request id: "<8 hex process prefix>-<counter, hex>".
std::string NextRequestId();
//! SHA-256 of `data`: the 32 bytes, and as lower-case hex.
std::array<unsigned char, 32> Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
//! 64-bit FNV-1a: stable across runs and platforms.
uint64_t Fnv1a64(std::string_view data);

}  // namespace lakehouse
