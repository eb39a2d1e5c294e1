// src/query/query_routes.cc: POST /v1/sql and POST /v1/datasets/{name}/ingest.
#include <fmt/format.h>

#include "query/ingest.h"
#include "query/query_engine.h"
#include "server/module.h"
#include "server/services.h"

namespace lakehouse {
namespace {

HttpResponse HandleSql(Services& services, HttpRequest& req) {
  auto body = ParseJsonObject(req.body);
  if (!body.ok()) return HttpResponse::Error(body.status());
  auto sql = RequiredString(*body, "sql");
  if (!sql.ok()) return HttpResponse::Error(sql.status());
  auto limit = OptionalInt(*body, "limit");
  if (!limit.ok()) return HttpResponse::Error(limit.status());
  if (*limit && **limit < 1)
    return HttpResponse::Error(Status::InvalidArgument("field 'limit' must be at least 1"));
  auto result = services.query->Query(*sql, services.SqlOptions(*limit));
  if (!result.ok()) return HttpResponse::Error(result.status());
  return HttpResponse::FromJsonText(200, result->ToJsonText());
}

HttpResponse HandleIngest(Services& services, HttpRequest& req) {
  const std::string& name = req.Param("name");
  if (Status st = ValidateDatasetName(name); !st.ok()) return HttpResponse::Error(st);
  Result<IngestFormat> format = Status::InvalidArgument("unset");
  if (auto f = req.Query("format")) {
    format = ParseIngestFormat(*f);
  } else if (auto ct = req.Header("content-type"); !ct.empty()) {
    format = IngestFormatFromContentType(ct);
  } else {
    format = Status::UnsupportedMedia(
        "say what the body is: a content-type (text/csv, application/x-ndjson, "
        "application/vnd.apache.parquet) or "
        "?format=csv|jsonl|parquet");
  }
  if (!format.ok()) return HttpResponse::Error(format.status());
  Result<IngestMode> mode = IngestMode::kReplace;
  if (auto m = req.Query("mode")) mode = ParseIngestMode(*m);
  if (!mode.ok()) return HttpResponse::Error(mode.status());
  const std::string origin =
      req.Query("filename").value_or(fmt::format("http-upload-{}", req.request_id));
  auto report = services.ingestor->Ingest(name, *format, req.body_file, origin, *mode);
  if (!report.ok()) return HttpResponse::Error(report.status());
  return HttpResponse::FromJson(201, report->ToJson());
}

class SqlModule final : public Module {
 public:
  std::string Name() const override { return "sql"; }

  void RegisterRoutes(Router& router, Services& services) override {
    router.Add("POST", "/v1/sql",
               [&services](HttpRequest& req) { return HandleSql(services, req); });
    RouteOptions upload;
    upload.stream_body_to_file = true;
    router.Add(
        "POST", "/v1/datasets/{name}/ingest",
        [&services](HttpRequest& req) { return HandleIngest(services, req); }, upload);
  }
};

LAKEHOUSE_REGISTER_MODULE("sql", SqlModule);

}  // namespace
}  // namespace lakehouse
