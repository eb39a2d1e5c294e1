#include "journal/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/metrics.h"
#include "storage/record_log.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMarkEvery = 256 << 10;  // sparse index: a mark per ~256 KiB
constexpr size_t kChunk = 1 << 20;          // segment reads

std::string SegmentName(uint64_t first_seq) {
  return fmt::format("seg-{:020d}.log", first_seq);
}

std::optional<uint64_t> SegmentFirstSeq(const std::string& name) {
  if (name.size() != 28 || name.rfind("seg-", 0) != 0 || name.substr(24) != ".log")
    return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 4; i < 24; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

uint32_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Reads framed records of `path` in [from, end) chunk by chunk, calling fn(offset, body)
// until it returns false. A record failing its CRC ends the scan (closed segments were
// checked when they were the active one; this is the same rule as recovery).
Status ForEachFrame(const std::string& path, uint64_t from, uint64_t end,
                    const std::function<bool(uint64_t, std::string_view)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("open " + path);
  in.seekg(static_cast<std::streamoff>(from));
  std::string buf;
  uint64_t buf_off = from;  // file offset of buf[0]
  size_t pos = 0;
  while (buf_off + pos < end) {
    if (buf.size() - pos < 8 ||
        buf.size() - pos < 8 + static_cast<size_t>(GetU32(buf.data() + pos))) {
      // Refill: keep the unread tail, read the next chunk.
      buf.erase(0, pos);
      buf_off += pos;
      pos = 0;
      const uint64_t want = std::min<uint64_t>(kChunk, end - (buf_off + buf.size()));
      if (want == 0) break;
      const size_t old = buf.size();
      buf.resize(old + want);
      in.read(buf.data() + old, static_cast<std::streamsize>(want));
      buf.resize(old + static_cast<size_t>(in.gcount()));
      if (in.gcount() == 0) break;
      continue;
    }
    const uint32_t len = GetU32(buf.data() + pos);
    const uint32_t crc = GetU32(buf.data() + pos + 4);
    std::string_view body(buf.data() + pos + 8, len);
    if (Crc32c(body) != crc)
      return Status::Corruption(fmt::format("{}: bad record at byte {}", path, buf_off + pos));
    if (!fn(buf_off + pos, body)) break;
    pos += 8 + len;
  }
  return Status::OK();
}

// Bodies start with {"seq":N: the sparse index reads N without parsing the JSON.
std::optional<uint64_t> LeadingSeq(std::string_view body) {
  constexpr std::string_view kPrefix = "{\"seq\":";
  if (body.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  uint64_t v = 0;
  size_t i = kPrefix.size();
  if (i >= body.size() || body[i] < '0' || body[i] > '9') return std::nullopt;
  for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i)
    v = v * 10 + static_cast<uint64_t>(body[i] - '0');
  return v;
}

Counter& AppendedCounter() {
  static Counter& c = MetricsRegistry::Global().GetCounter("lakehouse_journal_events_total",
                                                           "Journal events appended", {}, {});
  return c;
}

}  // namespace

Json JournalEvent::ToJson() const {
  Json j = Json::object();
  j["seq"] = seq;
  j["ts"] = FormatRfc3339Millis(ts_ms);
  j["type"] = type;
  j["subject"] = subject;
  j["trace_id"] = trace_id;
  j["payload"] = payload;
  return j;
}

Result<JournalEvent> JournalEvent::FromJson(const Json& j) {
  JournalEvent e;
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("ts") ||
      !j["ts"].is_string())
    return Status::Corruption("journal record without seq or ts");
  e.seq = j["seq"].get<uint64_t>();
  auto ts = ParseRfc3339Millis(j["ts"].get<std::string>());
  if (!ts) return Status::Corruption("journal record with a bad ts");
  e.ts_ms = *ts;
  e.type = j.value("type", "");
  e.subject = j.value("subject", "");
  e.trace_id = j.value("trace_id", "");
  if (auto p = j.find("payload"); p != j.end()) e.payload = *p;
  return e;
}

bool JournalQuery::Matches(const JournalEvent& e) const {
  if (e.seq <= after_seq) return false;
  if (since_ms && e.ts_ms < *since_ms) return false;
  if (until_ms && e.ts_ms >= *until_ms) return false;
  if (!type.empty()) {
    if (type.back() == '.' ? e.type.rfind(type, 0) != 0 : e.type != type) return false;
  }
  if (!subject.empty() && e.subject != subject) return false;
  return true;
}

Result<std::unique_ptr<Journal>> Journal::Open(JournalOptions options) {
  if (options.segment_bytes < 4096)
    return Status::InvalidArgument("journal.segment_bytes must be >= 4096");
  if (options.flush_interval_ms < 0 || options.flush_interval_ms > 10000)
    return Status::InvalidArgument("journal.flush_interval_ms must be 0..10000");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", options.dir, ec.message()));
  auto j = std::unique_ptr<Journal>(new Journal(std::move(options)));
  LH_RETURN_IF_ERROR(j->Recover());
  j->flusher_ = std::thread([p = j.get()] { p->FlushLoop(); });
  return j;
}

Journal::~Journal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  flush_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (fd_ >= 0) ::close(fd_);
}

Status Journal::Recover() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& entry : fs::directory_iterator(options_.dir)) {
    auto first = SegmentFirstSeq(entry.path().filename().string());
    if (first) found.emplace_back(*first, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  for (const auto& [first, path] : found) {
    Segment s;
    s.first_seq = first;
    s.path = path;
    s.bytes = fs::file_size(path);
    segments_.push_back(std::move(s));
  }
  if (segments_.empty()) {
    recovery_ = Json{{"segment", nullptr}, {"records", 0}, {"cut_bytes", 0}, {"ms", 0}};
    return OpenActive(1);
  }
  // Only the active (last) segment can end in a torn write.
  Segment& last = segments_.back();
  uint64_t last_seq = last.first_seq - 1;
  const uint64_t size_before = last.bytes;
  // Seq continuity from the leading `{"seq":N` of each body (no JSON parse: recovery of a
  // full 64 MiB segment stays well under a second); only the first record and the ring's
  // worth at the end are parsed.
  std::deque<std::string> tail_bodies;
  bool first = true;
  auto apply = [&](std::string_view body) -> Status {
    auto seq = LeadingSeq(body);
    if (!seq || *seq != last_seq + 1)
      return Status::Corruption(
          fmt::format("{}: a record out of sequence after seq {}", last.path, last_seq));
    last_seq = *seq;
    if (first) {
      LH_ASSIGN_OR_RETURN(Json j, ParseJson(body));
      LH_ASSIGN_OR_RETURN(JournalEvent e, JournalEvent::FromJson(j));
      last.first_ts_ms = e.ts_ms;
      first = false;
    }
    tail_bodies.emplace_back(body);
    if (tail_bodies.size() > options_.ring_events) tail_bodies.pop_front();
    return Status::OK();
  };
  LH_ASSIGN_OR_RETURN(auto read, RecoverRecords(last.path, "journal", apply));
  last.bytes = read.valid_bytes;
  // Closed segments: their first timestamp (for time-ranged reads).
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    Segment& s = segments_[i];
    (void)ForEachFrame(s.path, 0, s.bytes, [&](uint64_t, std::string_view body) {
      if (auto j = ParseJson(body); j.ok())
        if (auto e = JournalEvent::FromJson(*j); e.ok()) s.first_ts_ms = e->ts_ms;
      return false;
    });
  }
  std::deque<JournalEvent> tail;
  for (const std::string& body : tail_bodies) {
    LH_ASSIGN_OR_RETURN(Json j, ParseJson(body));
    LH_ASSIGN_OR_RETURN(JournalEvent e, JournalEvent::FromJson(j));
    tail.push_back(std::move(e));
  }
  last_seq_ = durable_seq_ = last_seq;
  ring_ = std::move(tail);
  recovery_ = Json{{"segment", fs::path(last.path).filename().string()},
                   {"records", read.records},
                   {"cut_bytes", size_before - read.valid_bytes},
                   {"ms", std::round(MicrosSince(start) / 100.0) / 10}};
  if (size_before != read.valid_bytes)
    spdlog::warn("journal: recovered to seq {} ({} torn bytes cut)", last_seq,
                 size_before - read.valid_bytes);
  fd_ = ::open(last.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return Status::IOError(fmt::format("open {}: {}", last.path, std::strerror(errno)));
  return Status::OK();
}

Status Journal::OpenActive(uint64_t first_seq) {
  const std::string path = (fs::path(options_.dir) / SegmentName(first_seq)).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("create {}: {}", path, std::strerror(errno)));
  LH_RETURN_IF_ERROR(FsyncPath(options_.dir, /*directory=*/true));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  std::lock_guard lock(segments_mu_);
  if (segments_.empty() || segments_.back().first_seq != first_seq) {
    Segment s;
    s.first_seq = first_seq;
    s.path = path;
    segments_.push_back(std::move(s));
  }
  return Status::OK();
}

uint64_t Journal::Append(JournalEvent e) {
  {
    std::lock_guard lock(mu_);
    e.seq = ++last_seq_;
    e.ts_ms = SystemClock::Get().NowMillis();
    if (pending_.empty()) pending_first_ts_ = e.ts_ms;
    AppendRecord(pending_, DumpJson(e.ToJson()));
    pending_last_seq_ = e.seq;
    ring_.push_back(e);
    if (ring_.size() > options_.ring_events) ring_.pop_front();
    ++appended_;
  }
  AppendedCounter().Inc();
  flush_cv_.notify_one();
  for (const auto& listener : listeners_) {
    try {
      listener(e);
    } catch (...) {
      // A listener's failure is its own (the observer counts its errors); never the caller's.
    }
  }
  return e.seq;
}

uint64_t Journal::WaitDurable(uint64_t seq) {
  std::unique_lock lock(mu_);
  ++waiters_;
  flush_cv_.notify_one();
  durable_cv_.wait(lock, [&] { return durable_seq_ >= seq || stop_ || !flush_error_.ok(); });
  --waiters_;
  return durable_seq_;
}

Result<uint64_t> Journal::AppendDurable(JournalEvent event) {
  const uint64_t seq = Append(std::move(event));
  if (WaitDurable(seq) < seq) {
    std::lock_guard lock(mu_);
    return flush_error_.ok() ? Status::Unavailable("journal is shutting down") : flush_error_;
  }
  return seq;
}

Status Journal::Sync() {
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    seq = last_seq_;
  }
  if (WaitDurable(seq) < seq) {
    std::lock_guard lock(mu_);
    return flush_error_.ok() ? Status::Unavailable("journal is shutting down") : flush_error_;
  }
  return Status::OK();
}

void Journal::FlushLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    flush_cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) break;  // stopping, nothing left
    if (waiters_ == 0 && !stop_ && options_.flush_interval_ms > 0) {
      // Nobody waits: gather a window's worth of appends into one write and one fsync.
      flush_cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms),
                         [&] { return stop_ || waiters_ > 0; });
    }
    std::string batch;
    batch.swap(pending_);
    const uint64_t last = pending_last_seq_;
    const int64_t ts = pending_first_ts_;
    lock.unlock();
    Status st = WriteBatch(batch, last, ts);
    lock.lock();
    if (st.ok()) {
      durable_seq_ = last;
      ++batches_;
      ++fsyncs_;
    } else {
      spdlog::error("journal: {} (events up to seq {} are not durable)", st.ToString(), last);
      flush_error_ = st;
    }
    durable_cv_.notify_all();
  }
}

Status Journal::WriteBatch(const std::string& batch, uint64_t last_seq, int64_t first_ts) {
  size_t off = 0;
  while (off < batch.size()) {
    const ssize_t n = ::write(fd_, batch.data() + off, batch.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(fmt::format("journal write: {}", std::strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0)
    return Status::IOError(fmt::format("journal fdatasync: {}", std::strerror(errno)));
  bool rotate = false;
  {
    std::lock_guard lock(segments_mu_);
    Segment& active = segments_.back();
    if (active.first_ts_ms == 0) active.first_ts_ms = first_ts;
    active.bytes += batch.size();
    rotate = active.bytes >= static_cast<uint64_t>(options_.segment_bytes);
  }
  if (rotate) {
    LH_RETURN_IF_ERROR(OpenActive(last_seq + 1));
    ApplyRetention();
  }
  return Status::OK();
}

void Journal::ApplyRetention() {
  const int64_t horizon = SystemClock::Get().NowMillis() - options_.retention_hours * 3600 * 1000;
  std::lock_guard lock(segments_mu_);
  uint64_t total = 0;
  for (const auto& s : segments_) total += s.bytes;
  // Never the active segment; a closed segment ended when the next one began.
  while (segments_.size() > 1) {
    const Segment& oldest = segments_.front();
    const bool too_big = total > static_cast<uint64_t>(options_.retention_bytes);
    const bool too_old = segments_[1].first_ts_ms != 0 && segments_[1].first_ts_ms < horizon;
    if (!too_big && !too_old) break;
    std::error_code ec;
    fs::remove(oldest.path, ec);
    if (ec) {
      spdlog::warn("journal retention: cannot remove {}: {}", oldest.path, ec.message());
      break;
    }
    spdlog::info("journal retention: removed {} ({} bytes, {})", oldest.path, oldest.bytes,
                 too_big ? "over retention_bytes" : "older than retention_hours");
    total -= oldest.bytes;
    segments_.erase(segments_.begin());
  }
}

Status Journal::ScanSegment(const Segment& seg, uint64_t from_offset, uint64_t end_offset,
                            const std::function<bool(uint64_t, const JournalEvent&)>& fn) const {
  Status inner;
  Status st =
      ForEachFrame(seg.path, from_offset, end_offset, [&](uint64_t off, std::string_view body) {
        auto j = ParseJson(body);
        if (!j.ok()) {
          inner = j.status();
          return false;
        }
        auto e = JournalEvent::FromJson(*j);
        if (!e.ok()) {
          inner = e.status();
          return false;
        }
        return fn(off, *e);
      });
  return st.ok() ? inner : st;
}

Result<std::vector<JournalEvent>> Journal::Read(const JournalQuery& q) const {
  std::vector<JournalEvent> out;
  const size_t limit = std::max<size_t>(1, q.limit);
  uint64_t durable;
  {
    // Served from the ring when it reaches back far enough.
    std::lock_guard lock(mu_);
    durable = durable_seq_;
    const bool covered =
        !ring_.empty() && ring_.front().seq <= q.after_seq + 1 &&
        (!q.since_ms || ring_.front().ts_ms <= *q.since_ms || ring_.front().seq == 1);
    if (covered || last_seq_ == 0) {
      for (const auto& e : ring_) {
        if (e.seq > durable) break;  // not on disk yet: a crash could still lose it
        if (q.until_ms && e.ts_ms >= *q.until_ms) break;
        if (q.Matches(e)) out.push_back(e);
        if (out.size() >= limit) break;
      }
      return out;
    }
  }
  // From the segments (durable events only), then the ring for anything newer.
  std::vector<Segment> segments;
  {
    std::lock_guard lock(segments_mu_);
    segments = segments_;
  }
  uint64_t scanned_to = q.after_seq;
  bool done = false;
  for (size_t i = 0; i < segments.size() && !done; ++i) {
    const Segment& s = segments[i];
    const bool has_next = i + 1 < segments.size();
    if (has_next && segments[i + 1].first_seq <= q.after_seq + 1) continue;  // all before
    if (has_next && q.since_ms && segments[i + 1].first_ts_ms != 0 &&
        segments[i + 1].first_ts_ms <= *q.since_ms)
      continue;  // ended before `since`
    if (q.until_ms && s.first_ts_ms != 0 && s.first_ts_ms >= *q.until_ms) break;
    // Enter through the sparse index: the last mark at or before the wanted seq.
    uint64_t from = 0;
    if (q.after_seq >= s.first_seq) {
      std::lock_guard lock(segments_mu_);
      auto live = std::find_if(segments_.begin(), segments_.end(),
                               [&](const Segment& x) { return x.first_seq == s.first_seq; });
      if (live != segments_.end() && has_next) {
        if (!live->marks_built) {
          uint64_t next_mark = 0;
          (void)ForEachFrame(live->path, 0, live->bytes, [&](uint64_t off, std::string_view body) {
            if (off >= next_mark) {
              if (auto seq = LeadingSeq(body)) live->marks.emplace_back(*seq, off);
              next_mark = off + kMarkEvery;
            }
            return true;
          });
          live->marks_built = true;
        }
        auto m = std::upper_bound(live->marks.begin(), live->marks.end(),
                                  std::make_pair(q.after_seq + 1, UINT64_MAX));
        if (m != live->marks.begin()) from = std::prev(m)->second;
      }
    }
    LH_RETURN_IF_ERROR(ScanSegment(s, from, s.bytes, [&](uint64_t, const JournalEvent& e) {
      if (e.seq > durable) return false;
      scanned_to = std::max(scanned_to, e.seq);
      if (q.until_ms && e.ts_ms >= *q.until_ms) {
        done = true;
        return false;
      }
      if (q.Matches(e)) out.push_back(e);
      if (out.size() >= limit) {
        done = true;
        return false;
      }
      return true;
    }));
  }
  if (!done) {
    std::lock_guard lock(mu_);
    for (const auto& e : ring_) {
      if (e.seq <= scanned_to) continue;
      if (e.seq > durable_seq_) break;
      if (q.until_ms && e.ts_ms >= *q.until_ms) break;
      if (q.Matches(e)) out.push_back(e);
      if (out.size() >= limit) break;
    }
  }
  return out;
}

Result<std::vector<JournalEvent>> Journal::Follow(const JournalQuery& q,
                                                  std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  JournalQuery next = q;
  while (true) {
    uint64_t seen;
    {
      std::lock_guard lock(mu_);
      seen = durable_seq_;
    }
    LH_ASSIGN_OR_RETURN(auto events, Read(next));
    if (!events.empty()) return events;
    next.after_seq = std::max(next.after_seq, seen);  // nothing up to `seen` matched
    // Readers see durable events only: wake when the flusher makes more of them durable.
    std::unique_lock lock(mu_);
    if (!durable_cv_.wait_until(lock, deadline, [&] { return durable_seq_ > seen || stop_; }) ||
        stop_)
      return events;
  }
}

void Journal::Subscribe(Listener listener) {
  listeners_.push_back(std::move(listener));
}

uint64_t Journal::durable_seq() const {
  std::lock_guard lock(mu_);
  return durable_seq_;
}

uint64_t Journal::last_seq() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

Json Journal::Stats() const {
  Json j = Json::object();
  j["dir"] = options_.dir;
  {
    std::lock_guard lock(segments_mu_);
    uint64_t bytes = 0;
    for (const auto& s : segments_) bytes += s.bytes;
    j["segments"] = segments_.size();
    j["bytes"] = bytes;
    j["first_seq"] = segments_.empty() ? 0 : segments_.front().first_seq;
  }
  std::lock_guard lock(mu_);
  j["last_seq"] = last_seq_;
  j["durable_seq"] = durable_seq_;
  j["appended"] = appended_;
  j["batches"] = batches_;
  j["fsyncs"] = fsyncs_;
  j["recovery"] = recovery_;
  j["policy"] = Json{{"flush_interval_ms", options_.flush_interval_ms},
                     {"segment_bytes", options_.segment_bytes},
                     {"retention_bytes", options_.retention_bytes},
                     {"retention_hours", options_.retention_hours}};
  return j;
}

}  // namespace lakehouse
