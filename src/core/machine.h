// src/core/machine.h: what the machine (or the container) gives this process.
//
// Defaults that scale with the box come from here: DuckDB's memory limit is a share of
// MachineMemoryBytes() rather than DuckDB's own 80% of physical RAM, which ignores a
// container's cgroup limit and the memory the vector indexes hold beside it.
//
// Thread-safety: pure functions (they read /proc and /sys).
#pragma once

#include <cstdint>
#include <string>

namespace lakehouse {

//! Physical memory, or the cgroup's memory limit when that is lower (cgroup v2
//! memory.max, v1 memory.limit_in_bytes); 0 when neither can be read.
int64_t MachineMemoryBytes();

//! `fraction` of MachineMemoryBytes() as a DuckDB memory_limit ("1536MB"), at least 256MB;
//! "" when the machine's memory is unknown (DuckDB's default then applies).
std::string MemoryShare(double fraction);

}  // namespace lakehouse
