#include "distill/materializer.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/ids.h"
#include "distill/evidence.h"
#include "distill/jsonl.h"
#include "distill/receipts.h"

namespace lakehouse::distill {
namespace {

struct SourceState {
  int64_t offset = 0;  // bytes consumed
  int64_t lines = 0;   // lines consumed
  uint32_t crc = 0;    // CRC-32C of the consumed bytes
  int64_t evidence = 0, quarantined = 0, duplicates = 0;
  std::map<std::string, int64_t> outputs;  // rel path -> committed size

  Json ToJson() const {
    Json out = Json::object();
    for (const auto& [p, n] : outputs) out[p] = n;
    return Json{{"offset", offset},
                {"lines", lines},
                {"crc32c", crc},
                {"evidence", evidence},
                {"quarantined", quarantined},
                {"duplicates", duplicates},
                {"outputs", out}};
  }
  static SourceState FromJson(const Json& j) {
    SourceState s;
    s.offset = j.value("offset", int64_t{0});
    s.lines = j.value("lines", int64_t{0});
    s.crc = j.value("crc32c", uint32_t{0});
    s.evidence = j.value("evidence", int64_t{0});
    s.quarantined = j.value("quarantined", int64_t{0});
    s.duplicates = j.value("duplicates", int64_t{0});
    if (auto it = j.find("outputs"); it != j.end() && it->is_object())
      for (auto o = it->begin(); o != it->end(); ++o) s.outputs[o.key()] = o.value().get<int64_t>();
    return s;
  }
};

// Shared by the sources' runs (one thread each): a run works on its own copy of its
// state and publishes it with each commit, which rewrites the whole file.
class Checkpoint {
 public:
  explicit Checkpoint(fs::path path) : path_(std::move(path)) {}
  Status Load() {
    std::error_code ec;
    if (!fs::exists(path_, ec)) return Status::OK();
    std::ifstream in(path_);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LH_ASSIGN_OR_RETURN(Json j, ParseJson(text));
    if (auto it = j.find("sources"); it != j.end() && it->is_object())
      for (auto s = it->begin(); s != it->end(); ++s)
        sources_[s.key()] = SourceState::FromJson(s.value());
    return Status::OK();
  }
  bool Has(const std::string& name) const {
    std::lock_guard lock(mu_);
    return sources_.count(name) > 0;
  }
  SourceState Get(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = sources_.find(name);
    return it == sources_.end() ? SourceState{} : it->second;
  }
  Status Publish(const std::string& name, const SourceState& state) {
    std::lock_guard lock(mu_);
    sources_[name] = state;
    Json sources = Json::object();
    for (const auto& [n, st] : sources_) sources[n] = st.ToJson();
    return WriteFileAtomically(
        path_.string(),
        Json{{"schema", "materialize_checkpoint.v1"}, {"sources", sources}}.dump(1) + "\n");
  }

 private:
  fs::path path_;
  mutable std::mutex mu_;
  std::map<std::string, SourceState> sources_;
};

int64_t FileSize(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

class SourceRun {
 public:
  SourceRun(const MaterializeOptions& opt, const SourceSpec& spec, SourceState state,
            Checkpoint& checkpoint, std::string recorded_at)
      : opt_(opt),
        spec_(spec),
        state_(std::move(state)),
        checkpoint_(checkpoint),
        recorded_at_(std::move(recorded_at)),
        name_(spec.name),
        quarantine_rel_("_quarantine/_kb/" + name_ + ".jsonl") {}

  Result<Json> Run(bool had_checkpoint) {
    const fs::path input = opt_.root / "_kb" / (name_ + ".jsonl");
    std::error_code ec;
    const auto size = static_cast<int64_t>(fs::file_size(input, ec));
    if (ec) return Status::IOError(fmt::format("stat {}: {}", input.string(), ec.message()));

    if (had_checkpoint) {
      LH_RETURN_IF_ERROR(RollBack());
    }
    // Rewritten in place (or new to the checkpoint while outputs exist): start over, skip
    // what is already on disk.
    bool rewritten = !had_checkpoint && HasOutputs();
    if (had_checkpoint && state_.offset > 0) {
      if (state_.offset > size) {
        rewritten = true;
      } else {
        LH_ASSIGN_OR_RETURN(uint32_t crc, FileCrc32c(input, state_.offset));
        rewritten = crc != state_.crc;
      }
    }
    const int64_t from_offset = rewritten ? 0 : state_.offset;
    if (rewritten) {
      spdlog::warn("materialize: _kb/{}.jsonl changed before offset {}: re-reading it", name_,
                   state_.offset);
      LH_RETURN_IF_ERROR(LoadSeen());
      state_.offset = state_.lines = 0;
      state_.crc = 0;
    } else if (size > state_.offset && HasOutputs()) {
      // New lines: a client's retry (same X-Request-Id, same content) or an exact duplicate
      // line is the evidence already on disk, not a second record.
      LH_RETURN_IF_ERROR(LoadSeen());
    }

    if (opt_.progress != nullptr) opt_.progress->Add(from_offset);  // read by an earlier run
    JsonlReader reader;
    LH_RETURN_IF_ERROR(reader.Open(input.string(), state_.offset, state_.lines));
    EvidenceTransformer transformer;
    EvidenceDraft draft;
    JsonlLine line;
    int64_t read = 0;
    uint32_t crc = state_.crc;
    while (reader.Next(line)) {
      ++read;
      if (opt_.progress != nullptr) opt_.progress->Add(static_cast<int64_t>(line.text.size()) + 1);
      crc = Crc32c(std::string_view(line.text.data(), line.text.size() + 1), crc);
      Status st = transformer.Transform(spec_, line.text, draft);
      if (st.ok()) {
        const std::string id = EvidenceId(spec_, draft);
        if (!seen_ids_.insert(EvidenceIdKey(id)).second) {
          ++dup_;
        } else {
          std::string& buf = Buffer("evidence/" + DayPath(draft.day) + "/" + name_ + ".jsonl");
          AppendEvidenceLine(buf, spec_, draft, id, line.index, recorded_at_);
          Grew(buf);
          ++added_;
        }
      } else if (!rewritten || seen_raw_.insert(Fnv1a64(line.text)).second) {
        std::string& buf = Buffer(quarantine_rel_);
        AppendQuarantine(buf, line, st.message());
        Grew(buf);
        ++quarantined_;
      }
      if (buffered_ >= opt_.batch_bytes) {
        LH_RETURN_IF_ERROR(Commit(reader, crc));
      }
    }
    LH_RETURN_IF_ERROR(reader.status());
    LH_RETURN_IF_ERROR(Commit(reader, crc));

    Json outputs = Json::array();
    for (const auto& [rel, n] : added_lines_)
      outputs.push_back(Json{{"path", rel}, {"bytes", state_.outputs[rel]}, {"added_lines", n}});
    return Json{{"path", "_kb/" + name_ + ".jsonl"},
                {"bytes", size},
                {"crc32c", state_.crc},
                {"lines", state_.lines},
                {"from_offset", from_offset},
                {"lines_read", read},
                {"rewritten", rewritten},
                {"pending_bytes", std::max<int64_t>(0, FileSize(input) - state_.offset)},
                {"evidence_added", added_},
                {"duplicates_skipped", dup_},
                {"quarantined", quarantined_},
                {"outputs", outputs}};
  }

 private:
  std::vector<fs::path> OutputFiles() const {
    std::vector<fs::path> files = FilesNamed(opt_.root / "evidence", name_ + ".jsonl");
    std::error_code ec;
    if (fs::exists(opt_.root / quarantine_rel_, ec)) files.push_back(opt_.root / quarantine_rel_);
    return files;
  }
  bool HasOutputs() const { return !OutputFiles().empty(); }

  // Cuts every output back to its committed size: what a crashed run wrote after its last
  // checkpoint is written again by this one.
  Status RollBack() {
    for (const fs::path& p : OutputFiles()) {
      const std::string rel = RelPath(opt_.root, p);
      auto it = state_.outputs.find(rel);
      const int64_t committed = it == state_.outputs.end() ? 0 : it->second;
      std::error_code ec;
      const auto size = static_cast<int64_t>(fs::file_size(p, ec));
      if (ec || size <= committed) continue;
      spdlog::warn("materialize: cutting {} back from {} to {} bytes (an unfinished run)", rel,
                   size, committed);
      if (committed == 0) {
        fs::remove(p, ec);
        if (ec) return Status::IOError(fmt::format("remove {}: {}", p.string(), ec.message()));
      } else {
        LH_RETURN_IF_ERROR(TruncateFile(p.string(), static_cast<uint64_t>(committed)));
      }
    }
    return Status::OK();
  }

  // The evidence ids and quarantined lines already on disk for this source.
  Status LoadSeen() {
    simdjson::dom::parser parser;
    for (const fs::path& p : OutputFiles()) {
      const bool quarantine = RelPath(opt_.root, p) == quarantine_rel_;
      JsonlReader r;
      LH_RETURN_IF_ERROR(r.Open(p.string()));
      JsonlLine line;
      while (r.Next(line)) {
        simdjson::dom::element doc;
        if (parser.parse(line.text.data(), line.text.size(), false).get(doc)) continue;
        std::string_view v;
        if (quarantine) {
          if (doc["raw"].get_string().get(v) == simdjson::SUCCESS) seen_raw_.insert(Fnv1a64(v));
        } else if (doc["id"].get_string().get(v) == simdjson::SUCCESS) {
          seen_ids_.insert(EvidenceIdKey(v));
        }
      }
      LH_RETURN_IF_ERROR(r.status());
      // A partial last line is a write torn by a crash: cut it, the line is written again.
      std::error_code ec;
      if (static_cast<int64_t>(fs::file_size(p, ec)) > r.offset())
        LH_RETURN_IF_ERROR(TruncateFile(p.string(), static_cast<uint64_t>(r.offset())));
      state_.outputs[RelPath(opt_.root, p)] = static_cast<int64_t>(r.offset());
    }
    return Status::OK();
  }

  // The output buffer of `rel`; Grew() counts what was appended to it.
  std::string& Buffer(const std::string& rel) {
    pending_.insert(rel);
    ++added_lines_[rel];  // every caller appends exactly one line
    std::string& b = buffers_[rel];
    mark_ = b.size();
    return b;
  }
  void Grew(const std::string& b) { buffered_ += b.size() - mark_; }

  void AppendQuarantine(std::string& out, const JsonlLine& line, std::string_view reason) {
    {
      JsonObjectWriter w(out);
      w.Str("schema", "quarantine.v1")
          .Str("source", name_)
          .Str("origin", "_kb/" + name_ + ".jsonl");
      w.Int("line_offset", line.index).Str("reason", reason).Str("raw", line.text);
      w.Str("quarantined_at", recorded_at_);
    }
    out += '\n';
  }

  Status Commit(const JsonlReader& reader, uint32_t crc) {
    for (const std::string& rel : pending_) {
      std::string& buf = buffers_[rel];
      if (buf.empty()) continue;
      const fs::path path = opt_.root / rel;
      std::error_code ec;
      fs::create_directories(path.parent_path(), ec);
      if (ec) return Status::IOError(fmt::format("create {}: {}", path.string(), ec.message()));
      LH_RETURN_IF_ERROR(AppendToFile(path.string(), buf, /*sync=*/true));
      state_.outputs[rel] += static_cast<int64_t>(buf.size());
      std::string().swap(buf);  // memory stays bounded by one batch, however many days
    }
    pending_.clear();
    buffered_ = 0;
    state_.offset = reader.offset();
    state_.lines = reader.next_index();
    state_.crc = crc;
    state_.evidence += added_ - committed_added_;
    state_.quarantined += quarantined_ - committed_quarantined_;
    state_.duplicates += dup_ - committed_dup_;
    committed_added_ = added_;
    committed_quarantined_ = quarantined_;
    committed_dup_ = dup_;
    return checkpoint_.Publish(name_, state_);
  }

  const MaterializeOptions& opt_;
  const SourceSpec& spec_;
  SourceState state_;  // this run's copy; published at each commit
  Checkpoint& checkpoint_;
  std::string recorded_at_;
  std::string name_;
  std::string quarantine_rel_;
  std::map<std::string, std::string> buffers_;
  std::set<std::string> pending_;
  size_t buffered_ = 0, mark_ = 0;
  std::map<std::string, int64_t> added_lines_;
  std::unordered_set<uint64_t> seen_ids_, seen_raw_;
  int64_t added_ = 0, dup_ = 0, quarantined_ = 0;
  int64_t committed_added_ = 0, committed_dup_ = 0, committed_quarantined_ = 0;
};

}  // namespace

Result<Json> Materialize(const MaterializeOptions& options) {
  StepTimer timer;
  const int64_t recorded_millis =
      options.recorded_at_millis > 0 ? options.recorded_at_millis : timer.started_millis;
  const std::string recorded_at = FormatRfc3339Millis(recorded_millis);
  std::error_code ec;
  fs::create_directories(options.root / "evidence", ec);
  if (ec) return Status::IOError(fmt::format("create evidence/: {}", ec.message()));
  Checkpoint checkpoint(options.root / "evidence" / "_checkpoint.json");
  LH_RETURN_IF_ERROR(checkpoint.Load());

  // The 12 known sources, then any other *.jsonl in _kb/ (every line quarantined: nothing
  // is dropped silently, and the receipt names the file).
  std::vector<SourceSpec> specs(Sources().begin(), Sources().end());
  std::vector<std::string> unknown_names;
  for (const auto& e : fs::directory_iterator(options.root / "_kb", ec)) {
    if (e.path().extension() != ".jsonl") continue;
    std::string stem = e.path().stem().string();
    if (FindSource(stem) == nullptr) unknown_names.push_back(stem);
  }
  std::sort(unknown_names.begin(), unknown_names.end());
  for (const auto& n : unknown_names)
    specs.push_back(SourceSpec{std::nullopt, n, "", "", "unknown source"});

  // Sources are independent (own input, own outputs): a few threads take them biggest
  // first, so the two big ones (chat turns, iterate runs) run side by side.
  std::vector<size_t> order;
  std::vector<int64_t> sizes(specs.size(), -1);
  for (size_t i = 0; i < specs.size(); ++i) {
    const fs::path in = options.root / "_kb" / (std::string(specs[i].name) + ".jsonl");
    std::error_code size_ec;
    const auto n = fs::file_size(in, size_ec);
    if (!size_ec) {
      sizes[i] = static_cast<int64_t>(n);
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  if (options.progress != nullptr) {
    int64_t total = 0;
    for (size_t i : order) total += sizes[i];
    options.progress->Phase("reading _kb", total, "bytes");
  }
  std::vector<Result<Json>> results(specs.size(), Status::Internal("not processed"));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < order.size();) {
      const SourceSpec& spec = specs[order[k]];
      const std::string name(spec.name);
      const bool had = checkpoint.Has(name);
      SourceRun run(options, spec, checkpoint.Get(name), checkpoint, recorded_at);
      results[order[k]] = run.Run(had);
    }
  };
  const size_t threads = std::clamp<size_t>(
      options.threads > 0 ? options.threads : std::thread::hardware_concurrency(), 1,
      std::max<size_t>(order.size(), 1));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  Json inputs = Json::array(), missing = Json::array();
  int64_t lines_read = 0, added = 0, dups = 0, quarantined = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (sizes[i] < 0) {
      missing.push_back(std::string(specs[i].name));
      continue;
    }
    if (!results[i].ok()) return results[i].status();
    Json in = std::move(*results[i]);
    if (FindSource(specs[i].name) == nullptr) in["unknown_source"] = true;
    lines_read += in["lines_read"].get<int64_t>();
    added += in["evidence_added"].get<int64_t>();
    dups += in["duplicates_skipped"].get<int64_t>();
    quarantined += in["quarantined"].get<int64_t>();
    inputs.push_back(std::move(in));
  }
  Json body{{"recorded_at", recorded_at},
            {"inputs", inputs},
            {"missing_sources", missing},
            {"counts",
             {{"lines_read", lines_read},
              {"evidence_added", added},
              {"duplicates_skipped", dups},
              {"quarantined", quarantined}}}};
  LH_ASSIGN_OR_RETURN(std::string receipt, WriteReceipt(options.root, "materialize", timer, body));
  body["receipt"] = RelPath(options.root, receipt);
  return body;
}

}  // namespace lakehouse::distill
