// src/vector/vector_store.h: the named vector indexes under `<root>/vectors/<name>/`.
//
// Every index found on disk is opened at start (its graph loaded or rebuilt from its side
// store); create, drop and lookup by name. Indexes are shared_ptr so a request holding one
// finishes safely even if the index is dropped meanwhile.
//
// In split-service mode several processes open one root's vectors/ (server/topology.h):
// each index is written by one of them (`owned`); another process that needs it (the
// retrieve service searching the workers index) opens it read-only. Each Get or List
// applies what the owner appended to store.log since (entries and graph, in place; one
// stat(2) when nothing was), so a read sees every write the owner acknowledged, and an
// index nobody reads here costs nothing. A follower thread reloads an index when the
// owner compacts it (a new store.snap) or creates it again, and picks up new and dropped
// indexes, every follow interval. Creating or
// dropping an index this process does not own answers Conflict.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "vector/vector_index.h"

namespace lakehouse {

struct VectorStoreOptions {
  std::string dir;  // <root>/vectors
  //! Which indexes to open (null: all) and which of them this process writes (null: all;
  //! the others are opened read-only and followed).
  std::function<bool(const std::string&)> wanted, owned;
  std::chrono::milliseconds follow_interval{500};
};

class VectorStore {
 public:
  static Result<std::unique_ptr<VectorStore>> Open(const std::string& dir);
  static Result<std::unique_ptr<VectorStore>> Open(VectorStoreOptions options);
  ~VectorStore();

  //! 409 when the name exists.
  Result<std::shared_ptr<VectorIndex>> Create(const IndexSpec& spec);
  //! 404 naming the index when absent; 503 (with what the build reports) while it is
  //! being built.
  Result<std::shared_ptr<VectorIndex>> Get(const std::string& name) const;
  //! Marks `name` as being built (a background build of the workers index): until
  //! EndBuild, Get answers 503 "being built (<describe()>)" instead of 404 or a half-filled
  //! index, so clients retry rather than fail or act on partial answers.
  void BeginBuild(const std::string& name, std::function<std::string()> describe);
  void EndBuild(const std::string& name);
  //! An index being built from scratch is marked unfinished on disk (<dir>/<name>.unfinished)
  //! until its build saved it: a build cut short by a crash or kill -9 leaves the mark, and
  //! the next start builds the index again instead of serving it half-filled.
  Status MarkUnfinished(const std::string& name);
  Status MarkFinished(const std::string& name);
  bool Unfinished(const std::string& name) const;
  std::vector<std::shared_ptr<VectorIndex>> List() const;
  Status Drop(const std::string& name);
  //! Saves every changed graph (clean shutdown).
  void CloseAll();
  //! One pass of the follower: (re)loads every wanted index this process does not own
  //! whose files changed, drops those removed. Returns how many were (re)loaded.
  size_t FollowOnce();

 private:
  explicit VectorStore(VectorStoreOptions options) : options_(std::move(options)) {}
  bool Wanted(const std::string& name) const { return !options_.wanted || options_.wanted(name); }
  bool Owned(const std::string& name) const { return !options_.owned || options_.owned(name); }
  Status RefuseNotOwned(const std::string& name) const;
  //! Applies a followed index's new appends (no-op for an owned one).
  void CatchUp(const std::shared_ptr<VectorIndex>& index) const;
  //! Opens a followed index read-only and serves it; false when it cannot be opened yet.
  //! Call with load_mu_ held.
  bool LoadFollowed(const std::string& name) const LH_REQUIRES(load_mu_) LH_EXCLUDES(mu_);

  VectorStoreOptions options_;
  mutable Mutex mu_;
  mutable Mutex load_mu_;  // one load of a followed index at a time
  // mutable: a Get may load a followed index its owner just created.
  mutable std::map<std::string, std::shared_ptr<VectorIndex>> indexes_ LH_GUARDED_BY(mu_);
  // name -> stamp when loaded
  mutable std::map<std::string, std::string> followed_stamps_ LH_GUARDED_BY(mu_);
  std::thread follower_;
  std::condition_variable_any follow_cv_;  // waits on mu_
  bool stopping_ LH_GUARDED_BY(mu_) = false;
  std::map<std::string, std::function<std::string()>> building_ LH_GUARDED_BY(mu_);
};

}  // namespace lakehouse
