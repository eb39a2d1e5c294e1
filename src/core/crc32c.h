// src/core/crc32c.h: CRC-32C (Castagnoli), the checksum of every durable record
// (vector side store, journal, the materializer's source fingerprints). The SSE4.2 crc32
// instruction when the build targets it (8 bytes per step), else a byte table: the same
// polynomial, so the same results on every machine.
#pragma once

#include <cstdint>
#include <string_view>

namespace lakehouse {

//! CRC-32C of `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace lakehouse
