#include "vector/side_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/file_io.h"
#include "storage/record_log.h"

namespace lakehouse {
namespace {

constexpr char kUpsert = 'U';
constexpr char kDelete = 'D';

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

SideStore::SideStore(std::string dir, std::string index_name, bool read_only)
    : dir_(std::move(dir)), name_(std::move(index_name)), read_only_(read_only) {}

std::string SideStore::EncodeUpsert(const StoreEntry& e) const {
  std::string body;
  body += kUpsert;
  PutU64(body, e.item.version);
  PutString(body, e.item.id);
  PutU64(body, e.label);
  PutU32(body, static_cast<uint32_t>(e.item.vector.size()));
  body.append(reinterpret_cast<const char*>(e.item.vector.data()),
              e.item.vector.size() * sizeof(float));
  PutString(body, DumpJson(e.item.payload));
  return body;
}

StoreEntry& SideStore::PutEntry(size_t label, StoreEntry e) {
  StoreEntry& slot = entries_[label];
  slot = std::move(e);
  double norm2 = 0;
  for (float x : slot.item.vector) norm2 += static_cast<double>(x) * x;
  slot.norm2 = static_cast<float>(norm2);
  if (by_label_.size() <= label) by_label_.resize(label + 1, nullptr);
  by_label_[label] = &slot;  // unordered_map nodes never move
  return slot;
}

void SideStore::EraseEntry(size_t label) {
  entries_.erase(label);
  if (label < by_label_.size()) by_label_[label] = nullptr;
}

Status SideStore::ApplyRecord(std::string_view body, Applied* applied) {
  Applied ignored;
  if (applied == nullptr) applied = &ignored;
  Reader r(body);
  char type;
  uint64_t seq;
  std::string id;
  if (!r.Char(type) || !r.U64(seq) || !r.String(id))
    return Status::Corruption("short side-store record");
  if (type == kDelete) {
    if (auto it = id_to_label_.find(id); it != id_to_label_.end()) {
      applied->removed = it->second;
      EraseEntry(it->second);
      id_to_label_.erase(it);
    }
  } else if (type == kUpsert) {
    uint64_t label;
    uint32_t dims;
    StoreEntry e;
    std::string payload;
    if (!r.U64(label) || !r.U32(dims) || !r.Floats(e.item.vector, dims) || !r.String(payload) ||
        !r.done()) {
      return Status::Corruption("malformed upsert record for id " + id);
    }
    auto parsed = ParseJson(payload);
    if (!parsed.ok()) return Status::Corruption("bad payload for id " + id);
    if (auto it = id_to_label_.find(id); it != id_to_label_.end() && it->second != label) {
      applied->removed = it->second;
      EraseEntry(it->second);
    }
    applied->added = label;
    e.item.id = id;
    e.item.payload = std::move(parsed).value();
    e.item.version = seq;
    e.label = label;
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
  auto apply = [this](std::string_view body) { return ApplyRecord(body); };
  LH_ASSIGN_OR_RETURN(auto snap, ReadRecords(Path("store.snap"), apply));
  if (snap.torn_tail)
    return Status::Corruption(name_ + ": store.snap is damaged (it is written atomically)");
  if (read_only_) {
    struct stat file {};
    if (::stat(Path("store.log").c_str(), &file) == 0) followed_log_inode_ = file.st_ino;
    LH_ASSIGN_OR_RETURN(auto log, ReadRecords(Path("store.log"), apply));
    followed_log_bytes_ = log.valid_bytes;
    return Status::OK();
  }
  return RecoverRecords(Path("store.log"), "vector index " + name_, apply).status();
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
    LH_RETURN_IF_ERROR(ApplyRecord(body, &applied));
    if (applied.removed) removed->push_back(*applied.removed);
    if (applied.added) added->push_back(*applied.added);
    return Status::OK();
  };
  LH_ASSIGN_OR_RETURN(auto read, ParseRecords(bytes, apply));
  followed_log_bytes_ += read.valid_bytes;  // a torn tail is an append in progress
  return Status::OK();
}

Result<std::vector<const StoreEntry*>> SideStore::Upsert(std::vector<VectorItem> items, bool sync) {
  // 1. Durable first: one append of every record, one fdatasync.
  std::vector<StoreEntry> staged;
  staged.reserve(items.size());
  std::string batch;
  std::unordered_map<std::string, size_t> batch_labels;
  for (auto& it : items) {
    StoreEntry e;
    if (auto found = id_to_label_.find(it.id); found != id_to_label_.end()) {
      e.label = found->second;
    } else if (auto b = batch_labels.find(it.id); b != batch_labels.end()) {
      e.label = b->second;
    } else {
      e.label = next_label_++;
      batch_labels.emplace(it.id, e.label);
    }
    e.item = std::move(it);
    e.item.version = ++seq_;
    AppendRecord(batch, EncodeUpsert(e));
    staged.push_back(std::move(e));
  }
  LH_RETURN_IF_ERROR(AppendToFile(Path("store.log"), batch, sync));
  // 2. Memory.
  std::vector<const StoreEntry*> touched;
  touched.reserve(staged.size());
  for (auto& e : staged) {
    id_to_label_[e.item.id] = e.label;
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
  std::string snap;
  for (const StoreEntry* e : InLabelOrder()) AppendRecord(snap, EncodeUpsert(*e));
  // A marker keeps the sequence number even when the newest write was a delete.
  AppendRecord(snap, DeleteRecord(seq_, ""));
  LH_RETURN_IF_ERROR(WriteFileAtomically(Path("store.snap"), snap));
  // The snapshot holds everything in the log; an empty log now (crash here: the log's
  // records are re-applied over the snapshot, which is idempotent).
  return WriteFileAtomically(Path("store.log"), "");
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
