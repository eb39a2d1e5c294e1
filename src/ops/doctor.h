// src/ops/doctor.h: `lakehouse doctor`: checks a root and says what is wrong in words,
// without changing anything (it reads files and statvfs(2); it takes no lock).
//
// Checks, each answering ok, warn (works, but look at it) or fail (something will not work):
//   root        exists, a directory this user can read and write
//   server      whether a server holds the root (the holder it names)
//   disk        free space where the root lives (fail < 256 MB, warn < 2 GB or less than
//               the root holds: a backup or a snapshot needs about that much)
//   catalog     each manifest parses; every part of every version exists and is Parquet
//               (PAR1 at both ends); dataset folders no manifest names
//   vectors     each index's spec parses, its store.snap / store.log frames are intact (a torn
//               tail is a write cut by a crash: cut at the next open), no unfinished build
//   logs        journal segments, the ledger, memory, claims, pathways and API key logs: their
//               frames are intact
//   secrets     auth/keys.log is not readable by other users
//   permissions files this user cannot read or write
//   leftovers   temp files of interrupted writes (safe to delete)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace lakehouse::ops {

struct Finding {
  std::string area;    // "catalog"
  std::string status;  // ok | warn | fail
  std::string detail;  // words: what was found, and what to do when it is not ok
};

struct DoctorReport {
  std::string root;
  std::vector<Finding> findings;
  bool failed() const;
  //! {root, result: ok|warn|fail, findings: [{area, status, detail}]}
  Json ToJson() const;
  //! One line per finding, for a terminal.
  std::string Table() const;
};

DoctorReport Doctor(const std::filesystem::path& root);

// The disk check's verdict: "fail" under 256 MB free, "warn" under 2 GB or under what the root
// holds, else "ok" (the share of the disk does not matter).
std::string DiskStatus(double free_bytes, uint64_t root_bytes);

}  // namespace lakehouse::ops
