#include "api/sql_routes.h"

#include <fmt/format.h>

#include "query/ingest.h"

namespace lakehouse {
namespace {

HttpResponse HandleSql(const SqlDeps& d, HttpRequest& req) {
  auto body = ParseJsonObject(req.body);
  if (!body.ok()) return HttpResponse::Error(body.status());
  auto sql = RequiredString(*body, "sql");
  if (!sql.ok()) return HttpResponse::Error(sql.status());
  auto limit = OptionalInt(*body, "limit");
  if (!limit.ok()) return HttpResponse::Error(limit.status());
  if (*limit && **limit < 1)
    return HttpResponse::Error(Status::InvalidArgument("field 'limit' must be at least 1"));
  auto result = d.query->Query(*sql, d.limits.For(*limit, req.received));
  if (!result.ok()) return HttpResponse::Error(result.status());
  return HttpResponse::FromJsonText(200, result->ToJsonText());
}

HttpResponse HandleIngest(const SqlDeps& d, HttpRequest& req) {
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
  auto report = d.ingestor->Ingest(name, *format, req.body_file, origin, *mode);
  if (!report.ok()) return HttpResponse::Error(report.status());
  return HttpResponse::FromJson(201, report->ToJson());
}

class SqlModule final : public Module {
 public:
  explicit SqlModule(SqlDeps deps) : d_(deps) {}
  std::string Name() const override { return "sql"; }

  void RegisterRoutes(Router& router) override {
    router.Add(
        "POST", "/v1/sql", [d = d_](HttpRequest& req) { return HandleSql(d, req); },
        OnPool(WorkClass::kQuery, Access::kRead));
    RouteOptions upload = OnPool(WorkClass::kBulk);
    upload.stream_body_to_file = true;
    upload.body_types = IngestContentTypes();
    router.Add(
        "POST", "/v1/datasets/{name}/ingest",
        [d = d_](HttpRequest& req) { return HandleIngest(d, req); }, upload);
  }

 private:
  SqlDeps d_;
};

}  // namespace

std::unique_ptr<Module> NewSqlModule(SqlDeps deps) {
  return std::make_unique<SqlModule>(deps);
}
}  // namespace lakehouse
