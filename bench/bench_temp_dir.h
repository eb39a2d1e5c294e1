// bench/bench_temp_dir.h: a directory under /tmp for one benchmark run, removed after.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace lakehouse::bench {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/lakehouse-bench.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace lakehouse::bench
