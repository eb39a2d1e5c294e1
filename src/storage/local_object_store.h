// src/storage/local_object_store.h: the ObjectStore backed by a local directory.
//
// Durable writes: temp file in the same directory, write, fsync, rename over the target,
// fsync the directory. Appends use O_APPEND with one write(2) per record where the
// kernel allows, so a record is never split by another appender's; callers that need a
// strict order serialise appends to one key themselves.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include "storage/object_store.h"

namespace lakehouse {

class LocalObjectStore final : public ObjectStore {
 public:
  //! `root` is created when missing; paths are made absolute.
  static Result<std::unique_ptr<LocalObjectStore>> Open(const std::filesystem::path& root);

  std::string Describe() const override;
  std::string Uri(std::string_view key) const override;
  Status Put(std::string_view key, std::string_view data) override;
  Status PutFile(std::string_view key, const std::filesystem::path& local_file) override;
  Result<std::string> Get(std::string_view key) const override;
  Result<bool> Exists(std::string_view key) const override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) const override;
  Status Delete(std::string_view key) override;
  Status DeletePrefix(std::string_view prefix) override;
  Status Append(std::string_view key, std::string_view data, bool sync) override;
  Result<std::filesystem::path> LocalPath(std::string_view key) const override;
  std::filesystem::path StagingDir() const override;
  std::filesystem::path LocalRoot() const override { return root_; }
  Status Fetch(const std::vector<std::string>&) const override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit LocalObjectStore(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path PathOf(std::string_view key) const { return root_ / std::string(key); }

  std::filesystem::path root_;
};

}  // namespace lakehouse
