// src/vector/vector_store.h: the named vector indexes under `<root>/vectors/<name>/`.
//
// Every index found on disk is opened at start (its graph loaded or rebuilt from its side
// store); create, drop and lookup by name. Indexes are shared_ptr so a request holding one
// finishes safely even if the index is dropped meanwhile.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vector/vector_index.h"

namespace lakehouse {

class VectorStore {
 public:
  static Result<std::unique_ptr<VectorStore>> Open(const std::string& dir);
  ~VectorStore();

  //! 409 when the name exists.
  Result<std::shared_ptr<VectorIndex>> Create(const IndexSpec& spec);
  //! 404 naming the index when absent.
  Result<std::shared_ptr<VectorIndex>> Get(const std::string& name) const;
  std::vector<std::shared_ptr<VectorIndex>> List() const;
  Status Drop(const std::string& name);
  //! Saves every changed graph (clean shutdown).
  void CloseAll();

 private:
  explicit VectorStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<VectorIndex>> indexes_;
};

}  // namespace lakehouse
