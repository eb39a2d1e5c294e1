// src/vector/side_store.h: the truth of one vector index: id -> (vector, payload, version).
//
// `store.snap` (compacted) plus `store.log` (every upsert and delete since), both framed
// with CRC-32C (record_log.h), and the vectors themselves in a memory-mapped column
// (vector_column.h): each entry names its row there, and nothing else holds a copy.
// Payloads are held as typed columns (payload_columns.h), rebuilt as JSON on demand. A log
// record carries its vector as well as its row (a row lost to a power cut is written again
// from the log); a snapshot names rows only, after the column is synced, so reopening reads
// ids and payloads and maps the vectors. A quantized index (quantize.h) keeps a second
// column of the same rows, their int8 codes, written beside each float row and synced with
// it; a code column shorter than the rows (absent, or lost) is encoded again from the float
// rows at Load. Every write is appended (and fdatasync'd unless
// the index says otherwise) before it is applied in memory, so a kill -9 loses nothing
// acknowledged; a torn log tail is cut at Load. Log records a snapshot already holds (a
// crash between writing it and emptying the log) are skipped by sequence number.
//
// Each item has a label, the slot it takes in the graph (hnsw_graph.h): labels are stable
// across restarts (they are in the records), and the label -> entry lookup is one array
// read (the graph's search filter does it per node).
//
// Stores written before the column existed (vectors inside store.snap records) are read
// by the owner, which writes their vectors into the column (legacy() says so: the index
// then compacts at once); a follower of such a store waits for its owner to do that.
//
// A read-only store (another process owns the index) never writes its files: Load skips a
// torn tail instead of cutting it, and ReadAppended/ApplyAppended follow the owner's log.
//
// Thread-safety: none of its own; VectorIndex's shared_mutex guards it (reads shared,
// writes exclusive).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "vector/payload_columns.h"
#include "vector/quantize.h"
#include "vector/vector_column.h"

namespace lakehouse {

struct VectorItem {
  std::string id;
  std::vector<float> vector;
  Json payload = Json::object();
  uint64_t version = 0;  // sequence number of the write that produced it
};

struct StoreEntry {
  std::string id;
  uint64_t version = 0;  // sequence number of the write that produced it
  size_t label = 0;
  uint64_t row = 0;  // its vector's row in the column
};

class SideStore {
 public:
  //! `cosine`: rows keep 1/|v| beside the vector (vector_column.h). `quantization`: kInt8
  //! adds the code column, and the float column (read only to rerank) is mapped only while
  //! it takes at most 1/kFloatMapShare of the machine's memory.
  SideStore(std::string dir, std::string index_name, int dims, bool cosine,
            Quantization quantization, bool read_only);
  static constexpr int64_t kFloatMapShare = 16;

  //! Reads store.snap then store.log (cutting a torn tail unless read-only).
  Status Load();

  //! Assigns each item its label (its old one, or a new one) and the next sequence number,
  //! appends them as one batch (fdatasync'd when `sync`), then applies them. Answers the
  //! entries written, each label once (a batch may name an id twice: its last write wins).
  //! A new vector takes a new row; an id written again with the very same vector keeps
  //! its row.
  Result<std::vector<const StoreEntry*>> Upsert(std::vector<VectorItem> items, bool sync);
  //! Appends a delete; answers the label the id had, nullopt when it had none.
  Result<std::optional<size_t>> Delete(const std::string& id, bool sync);
  //! Syncs the column, writes every live entry to store.snap and empties store.log, then
  //! removes column files of older generations.
  Status Compact() const;
  //! Drops every row but `kept` (old row numbers, in their new order): the columns are
  //! rewritten (VectorColumn::Rewrite) and each entry's row becomes its old row's position
  //! in `kept`.
  Status KeepRows(const std::vector<uint64_t>& kept);

  //! Read-only stores: the bytes the owner appended to store.log since the last call
  //! (empty when none). False when the log no longer continues what was read (the owner
  //! compacted it): reopen. One stat(2) when nothing was appended.
  Result<bool> ReadAppended(std::string* bytes) const;
  //! Applies bytes from ReadAppended; `added`: labels whose (new) vector the graph must
  //! take, `removed`: labels that no longer hold a live item.
  Status ApplyAppended(std::string_view bytes, std::vector<size_t>* added,
                       std::vector<size_t>* removed);

  //! The live entry of a label, or null.
  const StoreEntry* At(size_t label) const {
    return label < by_label_.size() ? by_label_[label] : nullptr;
  }
  //! The vector row of a live label, or kNoRow: one read of a dense array (an exact scan
  //! of thousands of candidates would otherwise miss the cache on each one's entry).
  static constexpr uint64_t kNoRow = ~uint64_t{0};
  uint64_t RowOf(size_t label) const {
    return label < row_by_label_.size() ? row_by_label_[label] : kNoRow;
  }
  //! Asks for RowOf(label)'s cache line ahead of a scan reading it.
  void PrefetchRowOf(size_t label) const {
    if (label < row_by_label_.size()) __builtin_prefetch(&row_by_label_[label]);
  }
  const StoreEntry* Find(const std::string& id) const;
  //! The entry as an item (its vector copied out of the column, its payload rebuilt).
  VectorItem Item(const StoreEntry& e) const;
  Json Payload(const StoreEntry& e, const std::vector<std::string>* keys = nullptr) const {
    return payloads_.Get(e.label, keys);
  }
  //! Every live payload, as typed columns by label (filters and posting lists read these).
  const PayloadColumns& payloads() const { return payloads_; }
  const VectorColumn& column() const { return column_; }
  //! The code column of a quantized index, or null.
  const VectorColumn* codes() const { return codes_.get(); }
  //! Rows the column has handed out (live, replaced and deleted items').
  uint64_t rows() const { return rows_; }
  //! True when Load read records of the format before the column (the owner converted them).
  bool legacy() const { return legacy_; }
  const std::unordered_map<size_t, StoreEntry>& entries() const { return entries_; }
  //! Every live entry, by label (the order items were first written).
  std::vector<const StoreEntry*> InLabelOrder() const;
  //! Every live id, sorted.
  std::vector<std::string> Ids() const;
  size_t size() const { return entries_.size(); }
  uint64_t seq() const { return seq_; }
  //! One past the highest label ever used.
  size_t label_bound() const { return next_label_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Applied {
    std::optional<size_t> removed;
    std::optional<size_t> added;
  };
  enum class From { kSnap, kLog };
  Status ApplyRecord(std::string_view body, From from, Applied* applied = nullptr);
  //! Writes a vector into the column at `row` (owner), with 1/|v| for cosine, and its code.
  Status WriteRow(uint64_t row, const std::vector<float>& v);
  //! The same with the row already laid out (FloatRow in side_store.cc).
  Status WriteFloatRow(uint64_t row, const std::vector<float>& floats);
  //! True when float row `row` holds exactly `floats` (an unchanged vector keeps its row).
  bool RowHolds(uint64_t row, const std::vector<float>& floats) const;
  //! Writes the code of the float row `row`, read back from the float column.
  Status EncodeRow(uint64_t row);
  //! Maps generation `gen` unless a generation is mapped already (the snapshot's header
  //! names it; without one, 0).
  Status OpenColumn(uint64_t gen);
  std::string EncodeEntry(const StoreEntry& e) const;
  // entries_, by_label_ and row_by_label_ change together, only through these (and KeepRows,
  // which renumbers rows).
  StoreEntry& PutEntry(size_t label, StoreEntry e);
  void EraseEntry(size_t label);
  std::string Path(const char* name) const { return dir_ + "/" + name; }

  std::string dir_, name_;
  int dims_;
  bool cosine_;
  bool read_only_;
  VectorColumn column_;
  std::unique_ptr<VectorColumn> codes_;  // quantized indexes only
  PayloadColumns payloads_;
  uint64_t rows_ = 0;
  uint64_t snap_seq_ = 0;  // the sequence store.snap holds (log records up to it are in it)
  bool legacy_ = false;
  bool column_open_ = false;
  std::unordered_map<std::string, size_t> id_to_label_;
  std::unordered_map<size_t, StoreEntry> entries_;
  std::vector<const StoreEntry*> by_label_;  // label -> its entry in entries_, null when none
  std::vector<uint64_t> row_by_label_;       // label -> its entry's row, kNoRow when none
  size_t next_label_ = 0;
  uint64_t seq_ = 0;
  uint64_t followed_log_bytes_ = 0;  // read-only: bytes of store.log applied
  uint64_t followed_log_inode_ = 0;  // a compaction writes a new file (a new inode)
};

}  // namespace lakehouse
