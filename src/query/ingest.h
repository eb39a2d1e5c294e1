// src/query/ingest.h: CSV, JSONL and Parquet files -> a new dataset version.
//
// The target schema is the dataset's current schema when it exists (the file must carry
// the same column names; values must fit the types), or inferred from the file for a new
// dataset. Rows that do not fit are written to quarantine (quarantine.v1, with the
// 0-based line or row offset, the reason and the raw text) and counted; good rows land.
// A file that cannot be read at all (wrong columns, not the format it claims) is a 422 and
// commits nothing. Inputs are read by DuckDB and by a line-at-a-time JSONL checker, so
// memory stays bounded whatever the file size.
//
// Thread-safety: Ingest may be called concurrently; ingests of one dataset are serialised
// by the catalog.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "query/workspace.h"

namespace lakehouse {

enum class IngestFormat { kCsv, kJsonl, kParquet };

//! replace: the new version holds exactly the file's rows (a snapshot, e.g. a roster export).
//! append: the new version is the current rows plus the file's (e.g. new fills).
enum class IngestMode { kReplace, kAppend };
//! "replace" or "append".
Result<IngestMode> ParseIngestMode(std::string_view name);

std::string_view IngestFormatName(IngestFormat f);
//! "csv", "jsonl" (also "ndjson", "json"), "parquet".
Result<IngestFormat> ParseIngestFormat(std::string_view name);
//! text/csv, application/x-ndjson (jsonl, jsonlines), application/vnd.apache.parquet...
//! (application/octet-stream names no format: say it with ?format=).
Result<IngestFormat> IngestFormatFromContentType(std::string_view content_type);
//! Every content type an upload may declare: those above, plus application/octet-stream.
const std::vector<std::string>& IngestContentTypes();
//! By extension: .csv, .jsonl/.ndjson/.json, .parquet.
Result<IngestFormat> IngestFormatFromFileName(std::string_view file_name);

struct IngestReport {
  std::string dataset;
  int64_t version = 0;
  IngestFormat format = IngestFormat::kCsv;
  IngestMode mode = IngestMode::kReplace;
  std::string schema_source;  // "existing" or "inferred"
  int64_t rows_read = 0;      // records in the file: always rows_ingested + rows_quarantined
  int64_t rows_ingested = 0;  // rows this file added
  int64_t rows_quarantined = 0;
  int64_t row_count = 0;             // rows in the new version
  std::string quarantine_key;        // empty when nothing was quarantined
  Json quarantined = Json::array();  // the first records quarantined ({line_offset, reason, raw})
  std::vector<ColumnSchema> columns;
  double elapsed_ms = 0;

  Json ToJson() const;
};

class Ingestor {
 public:
  explicit Ingestor(Workspace& workspace) : ws_(workspace) {}
  //! Ingests the local file `path`; `origin` names it in quarantine records and the manifest.
  Result<IngestReport> Ingest(const std::string& dataset, IngestFormat format,
                              const std::string& path, const std::string& origin,
                              IngestMode mode = IngestMode::kReplace);

 private:
  Workspace& ws_;
};

}  // namespace lakehouse
