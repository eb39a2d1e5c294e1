#include "query/ingest.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "core/file_io.h"
#include "core/ids.h"
#include "core/text.h"
#include "query/csv_scan.h"
#include "query/duckdb_handle.h"
#include "storage/quarantine.h"

namespace lakehouse {
namespace fs = std::filesystem;

std::string_view IngestFormatName(IngestFormat f) {
  switch (f) {
    case IngestFormat::kCsv:
      return "csv";
    case IngestFormat::kJsonl:
      return "jsonl";
    case IngestFormat::kParquet:
      return "parquet";
  }
  return "csv";
}

Result<IngestFormat> ParseIngestFormat(std::string_view name) {
  if (name == "csv") return IngestFormat::kCsv;
  if (name == "jsonl" || name == "ndjson" || name == "json") return IngestFormat::kJsonl;
  if (name == "parquet") return IngestFormat::kParquet;
  return Status::InvalidArgument(
      fmt::format("format '{}' is not one of csv, jsonl, parquet", name));
}

Result<IngestMode> ParseIngestMode(std::string_view name) {
  if (name == "replace") return IngestMode::kReplace;
  if (name == "append") return IngestMode::kAppend;
  return Status::InvalidArgument(fmt::format("mode '{}' is not one of replace, append", name));
}

namespace {
// Each media type an upload may declare, and the format it names.
struct IngestType {
  const char* media_type;
  IngestFormat format;
};
constexpr IngestType kIngestTypes[] = {
    {"text/csv", IngestFormat::kCsv},
    {"application/csv", IngestFormat::kCsv},
    {"application/x-ndjson", IngestFormat::kJsonl},
    {"application/ndjson", IngestFormat::kJsonl},
    {"application/jsonl", IngestFormat::kJsonl},
    {"application/x-jsonlines", IngestFormat::kJsonl},
    {"application/jsonlines", IngestFormat::kJsonl},
    {"application/json", IngestFormat::kJsonl},
    {"application/vnd.apache.parquet", IngestFormat::kParquet},
    {"application/x-parquet", IngestFormat::kParquet},
    {"application/parquet", IngestFormat::kParquet},
};
}  // namespace

const std::vector<std::string>& IngestContentTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> out;
    for (const auto& t : kIngestTypes) out.emplace_back(t.media_type);
    out.emplace_back("application/octet-stream");
    return out;
  }();
  return types;
}

Result<IngestFormat> IngestFormatFromContentType(std::string_view content_type) {
  const std::string ct = MediaType(content_type);
  for (const auto& t : kIngestTypes)
    if (ct == t.media_type) return t.format;
  return Status::UnsupportedMedia(fmt::format(
      "content-type '{}' is not an ingest format: use text/csv, application/x-ndjson or "
      "application/vnd.apache.parquet (or application/octet-stream with "
      "?format=csv|jsonl|parquet)",
      content_type));
}

Result<IngestFormat> IngestFormatFromFileName(std::string_view file_name) {
  std::string ext = fs::path(std::string(file_name)).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return IngestFormat::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return IngestFormat::kJsonl;
  if (ext == ".parquet") return IngestFormat::kParquet;
  return Status::InvalidArgument(fmt::format(
      "cannot tell the format of '{}' from its extension: pass --format csv|jsonl|parquet",
      file_name));
}

Json IngestReport::ToJson() const {
  Json j = Json::object();
  j["dataset"] = dataset;
  j["version"] = version;
  j["format"] = std::string(IngestFormatName(format));
  j["mode"] = mode == IngestMode::kAppend ? "append" : "replace";
  j["schema_source"] = schema_source;
  j["rows_read"] = rows_read;
  j["rows_ingested"] = rows_ingested;
  j["rows_quarantined"] = rows_quarantined;
  j["row_count"] = row_count;
  j["quarantine"] = quarantine_key.empty() ? Json(nullptr) : Json(quarantine_key);
  j["quarantined"] = quarantined;
  j["columns"] = ColumnsToJson(columns);
  j["elapsed_ms"] = std::round(elapsed_ms * 1000.0) / 1000.0;
  return j;
}

namespace {

using Schema = std::vector<ColumnSchema>;

//! Column names and types of a relation expression, read with LIMIT 0.
Result<Schema> Describe(duck::Connection& conn, const std::string& from) {
  auto cols = conn.DescribeQuery("SELECT * FROM " + from + " LIMIT 0");
  if (!cols.ok())
    return Status::Unprocessable("the file cannot be read: " + cols.status().message());
  return cols;
}

//! Same names, any order: else a 422 that lists what is missing and what is extra.
Status CheckSameColumnNames(const Schema& file, const Schema& dataset, std::string_view what) {
  std::set<std::string> f, d;
  for (const auto& c : file) f.insert(c.name);
  for (const auto& c : dataset) d.insert(c.name);
  std::vector<std::string> missing, extra;
  std::set_difference(d.begin(), d.end(), f.begin(), f.end(), std::back_inserter(missing));
  std::set_difference(f.begin(), f.end(), d.begin(), d.end(), std::back_inserter(extra));
  if (missing.empty() && extra.empty()) return Status::OK();
  return Status::Unprocessable(fmt::format(
      "{} columns do not match the dataset schema: missing [{}], not in the dataset [{}]", what,
      fmt::join(missing, ", "), fmt::join(extra, ", ")));
}

std::string SelectList(const Schema& schema) {
  std::string out;
  for (const auto& c : schema) {
    if (!out.empty()) out += ", ";
    out += duck::QuoteIdent(c.name);
  }
  return out;
}

std::string ColumnsStruct(const Schema& schema) {
  std::string out = "{";
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i > 0) out += ", ";
    out += duck::QuoteString(schema[i].name) + ": " + duck::QuoteString(schema[i].type);
  }
  return out + "}";
}

const ColumnSchema* FindColumn(const Schema& schema, std::string_view name) {
  for (const auto& c : schema)
    if (c.name == name) return &c;
  return nullptr;
}

// ---- JSONL value checks against a DuckDB type name ----------------------------------

bool IsIntegerType(std::string_view t) {
  return t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "UTINYINT" ||
         t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT" || t == "HUGEINT";
}
bool IsFloatType(std::string_view t) {
  return t == "FLOAT" || t == "DOUBLE" || t.rfind("DECIMAL", 0) == 0;
}
bool LooksLikeDate(std::string_view s) {
  if (s.size() < 10) return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  return s[4] == '-' && s[7] == '-';
}

//! Empty when `v` fits `type`; else what was wrong.
std::string CheckJsonValue(simdjson::dom::element v, std::string_view type) {
  using simdjson::dom::element_type;
  const element_type et = v.type();
  if (et == element_type::NULL_VALUE) return "";
  auto got = [&]() -> std::string_view {
    switch (et) {
      case element_type::ARRAY:
        return "array";
      case element_type::OBJECT:
        return "object";
      case element_type::STRING:
        return "string";
      case element_type::BOOL:
        return "boolean";
      default:
        return "number";
    }
  };
  if (type.size() > 2 && type.substr(type.size() - 2) == "[]") {
    if (et != element_type::ARRAY) return fmt::format("expected a list ({}), got {}", type, got());
    size_t i = 0;
    for (auto item : v.get_array()) {
      std::string r = CheckJsonValue(item, type.substr(0, type.size() - 2));
      if (!r.empty()) return fmt::format("item {}: {}", i, r);
      ++i;
    }
    return "";
  }
  if (type == "VARCHAR")
    return et == element_type::STRING ? "" : fmt::format("expected a string, got {}", got());
  if (type == "BOOLEAN")
    return et == element_type::BOOL ? "" : fmt::format("expected a boolean, got {}", got());
  if (IsIntegerType(type)) {
    if (et == element_type::INT64 || et == element_type::UINT64) return "";
    return fmt::format("expected an integer ({}), got {}", type,
                       et == element_type::DOUBLE ? "a fraction" : got());
  }
  if (IsFloatType(type)) {
    if (et == element_type::INT64 || et == element_type::UINT64 || et == element_type::DOUBLE)
      return "";
    return fmt::format("expected a number ({}), got {}", type, got());
  }
  if (type == "DATE" || type.rfind("TIMESTAMP", 0) == 0) {
    if (et == element_type::STRING &&
        LooksLikeDate(std::string_view(v.get_string().value_unsafe())))
      return "";
    return fmt::format("expected a {} string (YYYY-MM-DD...), got {}", type, got());
  }
  return "";  // STRUCT, JSON, ...: DuckDB converts on load
}

// The header line of a CSV file, read by us rather than DuckDB's sniffer: with a
// malformed row in the sample (one column too many) the sniffer can settle on the wrong
// dialect and take a data row for the header. The delimiter is the most frequent of
// , \t ; | in the header line; quoted names ("a,b") are honoured.
struct CsvHeader {
  char delimiter = ',';
  std::vector<std::string> names;
};

Result<CsvHeader> ReadCsvHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line))
    return Status::Unprocessable("the CSV file is empty: a header line is required");
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
  if (!line.empty() && line.back() == '\r') line.pop_back();
  CsvHeader h;
  size_t best = 0;
  for (char d : {',', '\t', ';', '|'}) {
    const size_t n = static_cast<size_t>(std::count(line.begin(), line.end(), d));
    if (n > best) {
      best = n;
      h.delimiter = d;
    }
  }
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == h.delimiter) {
      h.names.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  h.names.push_back(std::move(cur));
  for (const auto& n : h.names) {
    if (n.empty()) return Status::Unprocessable("the CSV header has an empty column name");
  }
  return h;
}

// A CSV file after our record pass: its record count, and when some records had to come
// out, the copy DuckDB reads instead and where its lines were in the original.
struct CsvPrepared {
  int64_t records = 0;
  std::string clean_path;              // empty: read the original
  std::vector<int64_t> removed_lines;  // original 0-based lines left out of the copy, sorted

  //! The original 0-based line of line `copy_line` of the copy.
  int64_t OriginalLine(int64_t copy_line) const {
    int64_t line = copy_line;
    for (int64_t removed : removed_lines) {
      if (removed > line) break;
      ++line;
    }
    return line;
  }
};

// Maps the file, scans its records after the header, quarantines the bad ones (raw bytes
// as they were) and, when there were any, writes the copy without them to `clean_path`.
Result<CsvPrepared> PrepareCsv(const std::string& path, char delimiter,
                               const std::string& clean_path, QuarantineWriter& quarantine) {
  LH_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  const std::string_view data = file.data();
  const size_t nl = data.find('\n');
  const size_t body = nl == std::string_view::npos ? data.size() : nl + 1;
  const CsvRecordScan scan = ScanCsvRecords(data.substr(body), delimiter, 1);
  CsvPrepared out;
  out.records = scan.records;
  if (scan.bad.empty()) return out;
  std::string copy(data.substr(0, body));
  size_t at = 0;
  for (const CsvBadRecord& bad : scan.bad) {
    std::string_view raw = data.substr(body + bad.begin, bad.end - bad.begin);
    while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
    quarantine.Add(bad.line, bad.reason, raw);
    copy.append(data.substr(body + at, bad.begin - at));
    at = bad.end;
    for (int64_t k = 0; k < bad.lines; ++k) out.removed_lines.push_back(bad.line + k);
    if (copy.size() > (64 << 20)) {
      LH_RETURN_IF_ERROR(AppendToFile(clean_path, copy, false));
      copy.clear();
    }
  }
  copy.append(data.substr(body + at));
  LH_RETURN_IF_ERROR(AppendToFile(clean_path, copy, false));
  out.clean_path = clean_path;
  return out;
}

}  // namespace

Result<IngestReport> Ingestor::Ingest(const std::string& dataset, IngestFormat format,
                                      const std::string& path, const std::string& origin,
                                      IngestMode mode) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return Status::NotFound(fmt::format("input file '{}' does not exist", path));
  LH_ASSIGN_OR_RETURN(PendingVersion pending, ws_.catalog().BeginVersion(dataset));
  LH_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(ws_.db()));
  const Schema* existing = pending.previous() ? &pending.previous()->Current()->columns : nullptr;

  IngestReport report;
  report.dataset = dataset;
  report.format = format;
  report.mode = mode;
  report.schema_source = existing ? "existing" : "inferred";
  QuarantineWriter quarantine(ws_.store(), dataset, origin);
  std::string select;
  std::function<Result<int64_t>()> count_quarantined;
  std::vector<std::string> cleanup;  // staging files to remove at the end
  int64_t rows_read = -1;            // records in the input (-1: rows landed + quarantined)

  switch (format) {
    case IngestFormat::kCsv: {
      const std::string rejects = "rejects_" + RandomHex(6);
      const std::string scan = "scans_" + RandomHex(6);
      LH_ASSIGN_OR_RETURN(CsvHeader header, ReadCsvHeader(path));
      // Our own record pass first (query/csv_scan.h): rows DuckDB would mishandle are
      // quarantined here, and DuckDB reads a copy without them.
      LH_ASSIGN_OR_RETURN(CsvPrepared prepared,
                          PrepareCsv(path, header.delimiter,
                                     ws_.StagingPath("ingest-" + dataset, ".csv"), quarantine));
      rows_read = prepared.records;
      std::string csv_path = path;
      if (!prepared.clean_path.empty()) {
        cleanup.push_back(prepared.clean_path);
        csv_path = prepared.clean_path;
      }
      const std::string qpath = duck::QuoteString(csv_path);
      std::string options = fmt::format(
          "header=true, delim={}, quote='\"', store_rejects=true, rejects_table={}, "
          "rejects_scan={}",
          duck::QuoteString(std::string(1, header.delimiter)), duck::QuoteString(rejects),
          duck::QuoteString(scan));
      if (existing != nullptr) {
        Schema file_cols;
        for (const auto& n : header.names) file_cols.push_back(ColumnSchema{n, ""});
        LH_RETURN_IF_ERROR(CheckSameColumnNames(file_cols, *existing, "CSV"));
        Schema typed;  // the file's column order, the dataset's types
        for (const auto& c : file_cols)
          typed.push_back(ColumnSchema{c.name, FindColumn(*existing, c.name)->type});
        options += ", columns=" + ColumnsStruct(typed);
        select =
            fmt::format("SELECT {} FROM read_csv({}, {})", SelectList(*existing), qpath, options);
      } else {
        select = fmt::format("SELECT * FROM read_csv({}, {})", qpath, options);
      }
      count_quarantined = [&, rejects, prepared]() -> Result<int64_t> {
        LH_ASSIGN_OR_RETURN(
            auto rows, conn->QueryStrings(fmt::format(
                           "SELECT CAST(line AS VARCHAR), error_message, coalesce(csv_line, '') "
                           "FROM {} ORDER BY line, column_idx",
                           duck::QuoteIdent(rejects))));
        int64_t last_line = -1;
        for (const auto& r : rows) {
          const int64_t line = std::stoll(r[0]);
          if (line == last_line) continue;  // one record per row, first error wins
          last_line = line;
          // DuckDB counts lines from 1 (the header is our line 0), in the copy it read.
          quarantine.Add(prepared.OriginalLine(line - 1), r[1], r[2]);
        }
        return quarantine.count();
      };
      break;
    }
    case IngestFormat::kJsonl: {
      const std::string clean = ws_.StagingPath("ingest-" + dataset, ".jsonl");
      cleanup.push_back(clean);
      std::ifstream in(path, std::ios::binary);
      std::ofstream out(clean, std::ios::binary);
      if (!in || !out) return Status::IOError("cannot open the JSONL input or its staging copy");
      simdjson::dom::parser parser;
      std::string line;
      int64_t offset = -1, good = 0;
      while (std::getline(in, line)) {
        ++offset;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank: not a record
        line.reserve(line.size() + simdjson::SIMDJSON_PADDING);
        simdjson::dom::element doc;
        if (auto err = parser.parse(line.data(), line.size(), false).get(doc); err) {
          quarantine.Add(offset, fmt::format("invalid JSON: {}", simdjson::error_message(err)),
                         line);
          continue;
        }
        if (!doc.is_object()) {
          quarantine.Add(offset, "expected a JSON object per line", line);
          continue;
        }
        std::string reason;
        if (existing != nullptr) {
          for (auto field : doc.get_object()) {
            const ColumnSchema* col = FindColumn(*existing, field.key);
            if (col == nullptr) {
              reason =
                  fmt::format("field '{}' is not a column of dataset '{}'", field.key, dataset);
              break;
            }
            if (std::string r = CheckJsonValue(field.value, col->type); !r.empty()) {
              reason = fmt::format("field '{}': {}", field.key, r);
              break;
            }
          }
        }
        if (!reason.empty()) {
          quarantine.Add(offset, reason, line);
          continue;
        }
        out << line << '\n';
        ++good;
      }
      out.close();
      if (!out) return Status::IOError("writing the JSONL staging copy failed");
      if (existing != nullptr) {
        select =
            fmt::format("SELECT {} FROM read_json({}, format='newline_delimited', columns={})",
                        SelectList(*existing), duck::QuoteString(clean), ColumnsStruct(*existing));
      } else {
        if (good == 0) {
          return Status::Unprocessable(
              fmt::format("no valid JSON object lines in the input ({} quarantined); a new dataset "
                          "needs at least one",
                          quarantine.count()));
        }
        select =
            fmt::format("SELECT * FROM read_json({}, format='newline_delimited', sample_size=-1)",
                        duck::QuoteString(clean));
        // A column whose values mix types (1 and "x") is inferred as JSON, whose text keeps
        // a string's quotes ("\"x\""): land it as VARCHAR holding each value's text.
        // (DESCRIBE names the JSON alias; the C API's type is VARCHAR.)
        auto described = conn->QueryStrings("DESCRIBE " + select);
        if (!described.ok())
          return Status::Unprocessable("the file cannot be read: " + described.status().message());
        if (std::any_of(described->begin(), described->end(),
                        [](const auto& row) { return row.size() > 1 && row[1] == "JSON"; })) {
          std::string list;
          for (const auto& row : *described) {
            if (!list.empty()) list += ", ";
            const std::string q = duck::QuoteIdent(row[0]);
            list += row[1] == "JSON" ? fmt::format("json_extract_string({0}, '$') AS {0}", q) : q;
          }
          select = fmt::format("SELECT {} FROM ({})", list, select);
        }
      }
      rows_read = good + quarantine.count();
      count_quarantined = [&]() -> Result<int64_t> { return quarantine.count(); };
      break;
    }
    case IngestFormat::kParquet: {
      const std::string qpath = duck::QuoteString(path);
      const std::string from = fmt::format("read_parquet({})", qpath);
      LH_ASSIGN_OR_RETURN(Schema file_cols, Describe(*conn, from));
      if (existing == nullptr) {
        select = "SELECT * FROM " + from;
        count_quarantined = [] { return Result<int64_t>(int64_t{0}); };
        break;
      }
      LH_RETURN_IF_ERROR(CheckSameColumnNames(file_cols, *existing, "Parquet"));
      // Columns whose type differs are converted with TRY_CAST; a row where a non-null
      // value does not convert is quarantined instead of loaded.
      std::string casts, bad, reasons, json_fields;
      for (const auto& col : *existing) {
        const std::string q = duck::QuoteIdent(col.name);
        if (!casts.empty()) casts += ", ";
        if (!json_fields.empty()) json_fields += ", ";
        json_fields += fmt::format("{} := {}", q, q);
        if (FindColumn(file_cols, col.name)->type == col.type) {
          casts += q;
          continue;
        }
        const std::string fails =
            fmt::format("({0} IS NOT NULL AND TRY_CAST({0} AS {1}) IS NULL)", q, col.type);
        casts += fmt::format("TRY_CAST({0} AS {1}) AS {0}", q, col.type);
        bad += (bad.empty() ? "" : " OR ") + fails;
        reasons += fmt::format(", CASE WHEN {} THEN {} END", fails,
                               duck::QuoteString(fmt::format("column '{}' does not convert to {}",
                                                             col.name, col.type)));
      }
      if (bad.empty()) {
        select = fmt::format("SELECT {} FROM {}", casts, from);
        count_quarantined = [] { return Result<int64_t>(int64_t{0}); };
        break;
      }
      select = fmt::format("SELECT {} FROM {} WHERE NOT ({})", casts, from, bad);
      count_quarantined = [&, bad, reasons, json_fields, qpath]() -> Result<int64_t> {
        LH_ASSIGN_OR_RETURN(auto rows,
                            conn->QueryStrings(fmt::format(
                                "SELECT CAST(file_row_number AS VARCHAR), concat_ws('; '{}), "
                                "CAST(to_json(struct_pack({})) AS VARCHAR) FROM read_parquet({}, "
                                "file_row_number=true) "
                                "WHERE {} ORDER BY file_row_number",
                                reasons, json_fields, qpath, bad)));
        for (const auto& r : rows) quarantine.Add(std::stoll(r[0]), r[1], r[2]);
        return quarantine.count();
      };
      break;
    }
  }

  Workspace::PublishSpec spec;
  spec.select_sql = select;
  spec.source = fmt::format("ingest {} ({}, {})", origin, IngestFormatName(format),
                            mode == IngestMode::kAppend ? "append" : "replace");
  spec.count_quarantined = count_quarantined;
  const DatasetVersion* base = pending.previous() ? pending.previous()->Current() : nullptr;
  if (mode == IngestMode::kAppend) spec.append_to = base;
  auto published = ws_.Publish(*conn, pending, spec);
  for (const auto& f : cleanup) fs::remove(f, ec);
  LH_RETURN_IF_ERROR(quarantine.Flush());
  if (!published.ok()) {
    const Status& st = published.status();
    if (st.code() == ErrorCode::kInvalidArgument)
      return Status::Unprocessable("the input cannot be loaded: " + st.message());
    return st;
  }
  report.version = published->version;
  report.row_count = published->row_count;
  report.rows_ingested = published->row_count - (spec.append_to ? spec.append_to->row_count : 0);
  report.rows_quarantined = quarantine.count();
  report.rows_read = rows_read >= 0 ? rows_read : report.rows_ingested + report.rows_quarantined;
  if (report.rows_read != report.rows_ingested + report.rows_quarantined) {
    // Nothing may go missing between the file and the dataset: say so loudly if it did.
    spdlog::error("ingest {} ({}): {} rows read but {} landed and {} quarantined", dataset, origin,
                  report.rows_read, report.rows_ingested, report.rows_quarantined);
  }
  if (quarantine.count() > 0) report.quarantine_key = quarantine.key();
  report.quarantined = quarantine.sample();
  report.columns = published->columns;
  report.elapsed_ms = static_cast<double>(MicrosSince(start)) / 1000.0;
  return report;
}

}  // namespace lakehouse
