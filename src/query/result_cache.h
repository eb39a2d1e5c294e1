// src/query/result_cache.h: answers of read-only SQL, kept until a dataset changes.
//
// A dataset version never changes once committed, so the answer to a SELECT over the
// current versions is valid until the catalog commits something: the cache is cleared
// then (QueryEngine::RefreshDataset; only the answers whose statement names that dataset),
// and an answer computed across such a commit is never stored (generations are checked on
// insert). Statements whose answer can change
// without a commit are never cached: time (now(), current_date, today()), randomness
// (random(), uuid()), sequences, and DuckDB's own catalog and settings functions.
// Dashboards and coordinators ask the same counts over and over: the loadgen's
// `sql_query` class (46 distinct statements) answers from here after its first round.
//
// Bounded by bytes (the answer's rows JSON + the statement), least recently used first;
// an answer over an eighth of the budget is not kept. Hits and misses are counted in
// lakehouse_sql_result_cache_{hits,misses}_total.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/thread_annotations.h"
#include "query/query_engine.h"

namespace lakehouse {

class ResultCache {
 public:
  explicit ResultCache(int64_t capacity_bytes) : capacity_(capacity_bytes) {}

  //! False for statements whose answer may change without a dataset commit.
  static bool Cacheable(std::string_view sql);

  //! The generation to pass to Put (read it before running the statement).
  uint64_t generation() const;
  std::optional<QueryResult> Get(const std::string& key);
  //! Stored only when nothing was invalidated since `generation`.
  void Put(const std::string& key, const QueryResult& result, uint64_t generation);
  //! Forgets every answer.
  void Clear();
  //! Forgets the answers whose statement names `dataset` (case-insensitive, anywhere in its
  //! text: a view of a dataset is only reachable by its name, and statements that could
  //! build a name at run time, query() and query_table(), are never cached). A commit of
  //! one dataset then leaves every other dataset's answers in place.
  void Invalidate(std::string_view dataset);
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    QueryResult result;
    int64_t bytes;
  };
  const int64_t capacity_;
  mutable Mutex mu_;
  std::list<Entry> lru_ LH_GUARDED_BY(mu_);  // front: most recently used
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_ LH_GUARDED_BY(mu_);
  int64_t bytes_ LH_GUARDED_BY(mu_) = 0;
  uint64_t generation_ LH_GUARDED_BY(mu_) = 0;  // bumped by every Clear and Invalidate
  uint64_t cleared_at_ LH_GUARDED_BY(mu_) = 0;  // the generation of the last Clear
  // dataset -> the generation of its last Invalidate: Put refuses an answer computed across
  // an invalidation of a dataset its statement names.
  std::unordered_map<std::string, uint64_t> invalidated_at_ LH_GUARDED_BY(mu_);
};

}  // namespace lakehouse
