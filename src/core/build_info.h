// src/core/build_info.h: what this binary is (`lakehouse --version`, the lakehouse_build_info
// metric): its version, the git commit it was built from and how it was built. Written at
// build time by cmake/BuildInfo.cmake, so a binary found on a host says where it came from.
#pragma once

namespace lakehouse {

struct BuildInfo {
  const char* version;     // the project's version ("0.1.0")
  const char* commit;      // git commit, 12 hex digits, "-dirty" with local changes; "unknown"
  const char* build_type;  // CMake build type ("RelWithDebInfo")
  const char* cpu;         // the instructions it was compiled for ("native", "avx2+fma")
};

const BuildInfo& GetBuildInfo();

}  // namespace lakehouse
