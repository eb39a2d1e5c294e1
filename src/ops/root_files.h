// src/ops/root_files.h: what the files under a root are, for the operations that walk one
// (backup skips them, doctor reports them).
#pragma once

#include <string_view>

namespace lakehouse::ops {

//! A file still being written when its writer stopped: WriteFileAtomically's "<name>.tmp-XXXX"
//! (core/file_io.h) and the graph's "graph.hnsw.tmp" (vector/hnsw_graph.cc).
inline bool IsTempFileName(std::string_view name) {
  return name.ends_with(".tmp") || name.find(".tmp-") != std::string_view::npos;
}

}  // namespace lakehouse::ops
