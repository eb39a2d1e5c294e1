#include "vector/side_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "core/file_io.h"
#include "core/machine.h"
#include "storage/record_log.h"

namespace lakehouse {
namespace {

// Record types. 'W' (log) and 'R' (snapshot) name the item's row in the column; 'W' also
// carries the vector. 'U' is the format before the column (the vector inline, no row),
// still read. 'H' opens a snapshot: the column's generation and how many rows it handed out.
constexpr char kLegacyUpsert = 'U';
constexpr char kLogUpsert = 'W';
constexpr char kSnapEntry = 'R';
constexpr char kDelete = 'D';
constexpr char kHeader = 'H';

void PutU32(std::string& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void PutU64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}
void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

std::string DeleteRecord(uint64_t seq, std::string_view id) {
  std::string body;
  body += kDelete;
  PutU64(body, seq);
  PutString(body, id);
  return body;
}

// Bounds-checked reader over one record body.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool U32(uint32_t& v) { return Raw(&v, 4); }
  bool U64(uint64_t& v) { return Raw(&v, 8); }
  bool String(std::string& s) {
    uint32_t n;
    if (!U32(n) || n > b_.size() - pos_) return false;
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Floats(std::vector<float>& v, uint32_t n) {
    if (static_cast<uint64_t>(n) * 4 > b_.size() - pos_) return false;
    v.resize(n);
    return Raw(v.data(), n * 4ULL);
  }
  bool Char(char& c) { return Raw(&c, 1); }
  bool done() const { return pos_ == b_.size(); }

 private:
  bool Raw(void* dst, size_t n) {
    if (n > b_.size() - pos_) return false;
    std::memcpy(dst, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

SideStore::SideStore(std::string dir, std::string index_name, int dims, bool cosine,
                     Quantization quantization, bool read_only)
    : dir_(std::move(dir)),
      name_(std::move(index_name)),
      dims_(dims),
      cosine_(cosine),
      read_only_(read_only),
      column_(dir_, "vectors", "f32", (static_cast<size_t>(dims) + 1) * sizeof(float), read_only,
              quantization == Quantization::kNone
                  ? VectorColumn::kAlwaysMapped
                  : static_cast<uint64_t>(std::max<int64_t>(MachineMemoryBytes(), 0) /
                                          kFloatMapShare)) {
  if (quantization == Quantization::kInt8)
    codes_ = std::make_unique<VectorColumn>(dir_, "codes", "i8", Int8RowBytes(dims), read_only);
}

// A snapshot's entry: no vector (the column has it).
std::string SideStore::EncodeEntry(const StoreEntry& e) const {
  std::string body;
  body += kSnapEntry;
  PutU64(body, e.version);
  PutString(body, e.id);
  PutU64(body, e.label);
  PutU64(body, e.row);
  PutString(body, DumpJson(payloads_.Get(e.label)));
  return body;
}

Status SideStore::OpenColumn(uint64_t gen) {
  if (column_open_) return Status::OK();
  LH_RETURN_IF_ERROR(column_.Open(gen));
  if (codes_) LH_RETURN_IF_ERROR(codes_->Open(gen));
  column_open_ = true;
  return Status::OK();
}

namespace {

// A float row in the column's layout: the vector, then 1/|v| for cosine (1 otherwise).
void FloatRow(const std::vector<float>& v, bool cosine, std::vector<float>* row) {
  float extra = 1.0f;
  if (cosine) {
    const double norm2 = SumOfSquares(v.data(), v.size());
    extra = norm2 > 0 ? static_cast<float>(1.0 / std::sqrt(norm2)) : 0.0f;
  }
  row->assign(v.begin(), v.end());
  row->push_back(extra);
}

// A code row of a float row: the code of v * (1/|v| for cosine), v's last float being that.
void CodeRow(const float* float_row, int dims, bool cosine, std::string* code) {
  std::vector<float> u(float_row, float_row + dims);
  if (cosine)
    for (float& x : u) x *= float_row[dims];
  code->resize(Int8RowBytes(dims));
  EncodeInt8Row(u.data(), dims, code->data());
}

}  // namespace

Status SideStore::WriteRow(uint64_t row, const std::vector<float>& v) {
  std::vector<float> floats;
  FloatRow(v, cosine_, &floats);
  return WriteFloatRow(row, floats);
}

Status SideStore::WriteFloatRow(uint64_t row, const std::vector<float>& floats) {
  LH_RETURN_IF_ERROR(OpenColumn(0));  // a new index's first write
  LH_RETURN_IF_ERROR(column_.Write(row, floats.data()));
  if (codes_) {
    std::string code;
    CodeRow(floats.data(), dims_, cosine_, &code);
    LH_RETURN_IF_ERROR(codes_->Write(row, code.data()));
  }
  rows_ = std::max(rows_, row + 1);
  return Status::OK();
}

bool SideStore::RowHolds(uint64_t row, const std::vector<float>& floats) const {
  std::vector<float> stored(floats.size());
  return column_open_ && row < rows_ && column_.Read(row, stored.data()).ok() &&
         std::memcmp(stored.data(), floats.data(), floats.size() * sizeof(float)) == 0;
}

Status SideStore::EncodeRow(uint64_t row) {
  std::vector<float> floats(static_cast<size_t>(dims_) + 1);
  LH_RETURN_IF_ERROR(column_.Read(row, floats.data()));
  std::string code;
  CodeRow(floats.data(), dims_, cosine_, &code);
  return codes_->Write(row, code.data());
}

VectorItem SideStore::Item(const StoreEntry& e) const {
  std::vector<float> v(static_cast<size_t>(dims_) + 1);
  if (Status st = column_.Read(e.row, v.data()); !st.ok()) {
    // The row was readable when its record was applied: the file shrank under us.
    spdlog::error("vector index {}: {}", name_, st.ToString());
    std::fill(v.begin(), v.end(), 0.0f);
  }
  v.pop_back();  // the 1/|v| after the vector
  return VectorItem{e.id, std::move(v), payloads_.Get(e.label), e.version};
}

StoreEntry& SideStore::PutEntry(size_t label, StoreEntry e) {
  StoreEntry& slot = entries_[label];
  slot = std::move(e);
  if (by_label_.size() <= label) by_label_.resize(label + 1, nullptr);
  by_label_[label] = &slot;  // unordered_map nodes never move
  if (row_by_label_.size() <= label) row_by_label_.resize(label + 1, kNoRow);
  row_by_label_[label] = slot.row;
  return slot;
}

void SideStore::EraseEntry(size_t label) {
  entries_.erase(label);
  payloads_.Erase(label);
  if (label < by_label_.size()) by_label_[label] = nullptr;
  if (label < row_by_label_.size()) row_by_label_[label] = kNoRow;
}

Status SideStore::ApplyRecord(std::string_view body, From from, Applied* applied) {
  Applied ignored;
  if (applied == nullptr) applied = &ignored;
  Reader r(body);
  char type;
  if (!r.Char(type)) return Status::Corruption("empty side-store record");
  if (type == kHeader) {
    uint64_t gen, rows;
    if (from != From::kSnap || !r.U64(gen) || !r.U64(rows) || !r.done())
      return Status::Corruption("malformed side-store header");
    rows_ = rows;
    return OpenColumn(gen);
  }
  uint64_t seq;
  std::string id;
  if (!r.U64(seq) || !r.String(id)) return Status::Corruption("short side-store record");
  // Already in the snapshot (a crash came between writing it and emptying the log).
  if (from == From::kLog && seq <= snap_seq_) return Status::OK();
  if (type == kDelete) {
    if (auto it = id_to_label_.find(id); it != id_to_label_.end()) {
      applied->removed = it->second;
      EraseEntry(it->second);
      id_to_label_.erase(it);
    }
  } else if (type == kLegacyUpsert || type == kLogUpsert || type == kSnapEntry) {
    uint64_t label, row = 0;
    uint32_t dims = 0;
    std::vector<float> vector;
    std::string payload;
    const bool has_row = type != kLegacyUpsert, has_vector = type != kSnapEntry;
    if (!r.U64(label) || (has_row && !r.U64(row)) ||
        (has_vector && (!r.U32(dims) || !r.Floats(vector, dims))) || !r.String(payload) ||
        !r.done()) {
      return Status::Corruption("malformed upsert record for id " + id);
    }
    if (has_vector && static_cast<int>(dims) != dims_)
      return Status::Corruption(fmt::format("record for id {} has {} dimensions", id, dims));
    if (type == kLegacyUpsert) {
      if (read_only_) {
        return Status::Unavailable(name_ +
                                   ": written in the format before the vector column; its owner "
                                   "converts it when it opens the index");
      }
      legacy_ = true;
      row = rows_;
    }
    if (has_vector && !read_only_) {
      LH_RETURN_IF_ERROR(WriteRow(row, vector));  // the log's copy is the durable one
    } else {
      LH_RETURN_IF_ERROR(column_.Cover(row + 1));
      // The owner encodes codes it lacks at the end of Load; a follower needs the owner's.
      if (codes_ && read_only_) LH_RETURN_IF_ERROR(codes_->Cover(row + 1));
      rows_ = std::max(rows_, row + 1);
    }
    if (auto it = id_to_label_.find(id); it != id_to_label_.end() && it->second != label) {
      applied->removed = it->second;
      EraseEntry(it->second);
    }
    if (Status st = payloads_.Set(label, payload); !st.ok())
      return Status::Corruption(fmt::format("bad payload for id {}: {}", id, st.message()));
    applied->added = label;
    StoreEntry e;
    e.id = id;
    e.version = seq;
    e.label = label;
    e.row = row;
    id_to_label_[id] = label;
    PutEntry(label, std::move(e));
    next_label_ = std::max<size_t>(next_label_, label + 1);
  } else {
    return Status::Corruption(
        fmt::format("unknown side-store record type {}", static_cast<int>(type)));
  }
  seq_ = std::max(seq_, seq);
  return Status::OK();
}

Status SideStore::Load() {
  auto from_snap = [this](std::string_view body) { return ApplyRecord(body, From::kSnap); };
  LH_ASSIGN_OR_RETURN(auto snap, ReadRecords(Path("store.snap"), from_snap));
  if (snap.torn_tail)
    return Status::Corruption(name_ + ": store.snap is damaged (it is written atomically)");
  snap_seq_ = seq_;
  LH_RETURN_IF_ERROR(OpenColumn(0));  // no header: an empty or older store
  auto apply = [this](std::string_view body) { return ApplyRecord(body, From::kLog); };
  if (read_only_) {
    struct stat file {};
    if (::stat(Path("store.log").c_str(), &file) == 0) followed_log_inode_ = file.st_ino;
    LH_ASSIGN_OR_RETURN(auto log, ReadRecords(Path("store.log"), apply));
    followed_log_bytes_ = log.valid_bytes;
    return Status::OK();
  }
  LH_RETURN_IF_ERROR(RecoverRecords(Path("store.log"), "vector index " + name_, apply).status());
  if (codes_ && codes_->readable_rows() < rows_) {
    // Codes are derived: a column shorter than the rows (absent, or cut) is encoded again.
    const uint64_t from = codes_->readable_rows();
    spdlog::warn("vector index {}: encoding rows {}..{} of the code column again", name_, from,
                 rows_);
    for (uint64_t row = from; row < rows_; ++row) LH_RETURN_IF_ERROR(EncodeRow(row));
  }
  return Status::OK();
}

Result<bool> SideStore::ReadAppended(std::string* bytes) const {
  bytes->clear();
  const std::string path = Path("store.log");
  struct stat file {};
  if (::stat(path.c_str(), &file) != 0 || file.st_ino != followed_log_inode_) return false;
  const auto size = static_cast<uint64_t>(file.st_size);
  if (size < followed_log_bytes_) return false;  // compacted: reopen
  if (size == followed_log_bytes_) return true;
  bytes->assign(size - followed_log_bytes_, '\0');
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(followed_log_bytes_));
  if (!in.read(bytes->data(), static_cast<std::streamsize>(bytes->size())))
    return false;  // shorter than it was a moment ago: compacted meanwhile
  return true;
}

Status SideStore::ApplyAppended(std::string_view bytes, std::vector<size_t>* added,
                                std::vector<size_t>* removed) {
  auto apply = [&](std::string_view body) -> Status {
    Applied applied;
    LH_RETURN_IF_ERROR(ApplyRecord(body, From::kLog, &applied));
    if (applied.removed) removed->push_back(*applied.removed);
    if (applied.added) added->push_back(*applied.added);
    return Status::OK();
  };
  LH_ASSIGN_OR_RETURN(auto read, ParseRecords(bytes, apply));
  followed_log_bytes_ += read.valid_bytes;  // a torn tail is an append in progress
  return Status::OK();
}

Result<std::vector<const StoreEntry*>> SideStore::Upsert(std::vector<VectorItem> items, bool sync) {
  // 1. Each version gets a new row, written before the log names it (an unnamed row is
  //    garbage, never a wrong vector); then durable: one append of every record (carrying
  //    its vector too), one fdatasync.
  std::vector<StoreEntry> staged;
  std::vector<std::string> payloads;
  staged.reserve(items.size());
  payloads.reserve(items.size());
  std::string batch, body;
  std::unordered_map<std::string, size_t> batch_labels;
  std::vector<float> floats;
  for (auto& it : items) {
    StoreEntry e;
    uint64_t current_row = kNoRow;
    if (auto found = id_to_label_.find(it.id); found != id_to_label_.end()) {
      e.label = found->second;
      current_row = RowOf(e.label);
    } else if (auto b = batch_labels.find(it.id); b != batch_labels.end()) {
      e.label = b->second;
    } else {
      e.label = next_label_++;
      batch_labels.emplace(it.id, e.label);
    }
    LH_RETURN_IF_ERROR(payloads_.Admits(it.payload));
    // An unchanged vector keeps its row (a payload-only update, the same text embedded
    // again): nothing is written to the column, and the graph, whose element names that
    // row already, is left as it is (HnswGraph::Add). Rows are never rewritten otherwise,
    // so "same row" means "same vector" for every reader, followers included.
    FloatRow(it.vector, cosine_, &floats);
    if (current_row != kNoRow && RowHolds(current_row, floats)) {
      e.row = current_row;
    } else {
      e.row = rows_;
      LH_RETURN_IF_ERROR(WriteFloatRow(e.row, floats));
    }
    e.id = std::move(it.id);
    payloads.push_back(DumpJson(it.payload));
    e.version = ++seq_;
    body.clear();
    body += kLogUpsert;
    PutU64(body, e.version);
    PutString(body, e.id);
    PutU64(body, e.label);
    PutU64(body, e.row);
    PutU32(body, static_cast<uint32_t>(it.vector.size()));
    body.append(reinterpret_cast<const char*>(it.vector.data()), it.vector.size() * sizeof(float));
    PutString(body, payloads.back());
    AppendRecord(batch, body);
    staged.push_back(std::move(e));
  }
  LH_RETURN_IF_ERROR(AppendToFile(Path("store.log"), batch, sync));
  // 2. Memory.
  std::vector<const StoreEntry*> touched;
  touched.reserve(staged.size());
  for (size_t i = 0; i < staged.size(); ++i) {
    StoreEntry& e = staged[i];
    // The payload was checked (Admits) and written as JSON just now: this cannot fail short
    // of a bug, and the durable record would be applied at the next open.
    if (Status st = payloads_.Set(e.label, payloads[i]); !st.ok())
      return Status::Internal(fmt::format("payload of {}: {}", e.id, st.message()));
    id_to_label_[e.id] = e.label;
    touched.push_back(&PutEntry(e.label, std::move(e)));
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  return touched;
}

Result<std::optional<size_t>> SideStore::Delete(const std::string& id, bool sync) {
  auto it = id_to_label_.find(id);
  if (it == id_to_label_.end()) return std::optional<size_t>();
  std::string framed;
  AppendRecord(framed, DeleteRecord(++seq_, id));
  LH_RETURN_IF_ERROR(AppendToFile(Path("store.log"), framed, sync));
  const size_t label = it->second;
  EraseEntry(label);
  id_to_label_.erase(it);
  return std::optional<size_t>(label);
}

Status SideStore::Compact() const {
  // The rows the snapshot names, durable first.
  LH_RETURN_IF_ERROR(column_.Sync(rows_));
  if (codes_) LH_RETURN_IF_ERROR(codes_->Sync(rows_));
  std::string snap, header;
  header += kHeader;
  PutU64(header, column_.gen());
  PutU64(header, rows_);
  AppendRecord(snap, header);
  for (const StoreEntry* e : InLabelOrder()) AppendRecord(snap, EncodeEntry(*e));
  // A marker keeps the sequence number even when the newest write was a delete.
  AppendRecord(snap, DeleteRecord(seq_, ""));
  LH_RETURN_IF_ERROR(WriteFileAtomically(Path("store.snap"), snap));
  // The snapshot holds everything in the log; an empty log now (crash here: Load skips the
  // log's records, the snapshot's sequence covers them).
  LH_RETURN_IF_ERROR(WriteFileAtomically(Path("store.log"), ""));
  column_.RemoveOthers();
  if (codes_) codes_->RemoveOthers();
  return Status::OK();
}

Status SideStore::KeepRows(const std::vector<uint64_t>& old_rows) {
  const uint64_t gen = column_.gen();
  LH_RETURN_IF_ERROR(column_.Rewrite(old_rows));
  if (codes_) {
    if (Status st = codes_->Rewrite(old_rows); !st.ok()) {
      // Back to the generation the entries' rows name (the new file goes at the next
      // compaction).
      if (Status back = column_.Open(gen); !back.ok())
        return Status::Internal(
            fmt::format("{}; and reopening the old column: {}", st.message(), back.message()));
      return st;
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> to_new;  // (old row, new row), by old row
  to_new.reserve(old_rows.size());
  for (size_t i = 0; i < old_rows.size(); ++i) to_new.emplace_back(old_rows[i], i);
  std::sort(to_new.begin(), to_new.end());
  for (auto& [label, e] : entries_) {
    auto it = std::lower_bound(to_new.begin(), to_new.end(), std::make_pair(e.row, uint64_t{0}));
    if (it == to_new.end() || it->first != e.row)
      return Status::Internal(fmt::format("{}: row of id {} was not kept", name_, e.id));
    e.row = it->second;
    row_by_label_[label] = e.row;
  }
  rows_ = old_rows.size();
  return Status::OK();
}

const StoreEntry* SideStore::Find(const std::string& id) const {
  auto it = id_to_label_.find(id);
  return it == id_to_label_.end() ? nullptr : At(it->second);
}

std::vector<const StoreEntry*> SideStore::InLabelOrder() const {
  std::vector<const StoreEntry*> order;
  order.reserve(entries_.size());
  for (const auto& [label, e] : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const StoreEntry* a, const StoreEntry* b) { return a->label < b->label; });
  return order;
}

std::vector<std::string> SideStore::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(id_to_label_.size());
  for (const auto& [id, label] : id_to_label_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace lakehouse
