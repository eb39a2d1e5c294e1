// Tests of src/query/ingest: CSV, JSONL and Parquet into dataset versions, bad rows to
// quarantine with their offsets and reasons, schema checks against the existing version.
#include <gtest/gtest.h>

#include "server/services.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

using testing::TempDir;
using testing::WriteFile;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Services::Open(testing::TestConfig(dir_.str()));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    services_ = std::move(s).value();
  }
  std::string Input(const std::string& name, const std::string& text) {
    auto p = inputs_.path() / name;
    WriteFile(p, text);
    return p.string();
  }
  Result<IngestReport> Ingest(const std::string& dataset, IngestFormat f, const std::string& path) {
    return services_->ingestor->Ingest(dataset, f, path, std::filesystem::path(path).filename());
  }
  Json Rows(const std::string& sql) {
    QueryOptions o;
    auto r = services_->query->Query(sql, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Json::parse(r->rows_json) : Json();
  }
  std::vector<Json> Quarantine(const IngestReport& rep) {
    std::vector<Json> out;
    if (rep.quarantine_key.empty()) return out;
    auto text = services_->store->Get(rep.quarantine_key);
    std::stringstream ss(*text);
    std::string line;
    while (std::getline(ss, line)) out.push_back(Json::parse(line));
    return out;
  }

  TempDir dir_, inputs_;
  std::unique_ptr<Services> services_;
};

TEST_F(IngestTest, CsvNewDatasetInfersSchema) {
  auto rep =
      Ingest("people", IngestFormat::kCsv, Input("p.csv", "id,name,age\n1,Ann,30\n2,Bo,41\n"));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->version, 1);
  EXPECT_EQ(rep->rows_ingested, 2);
  EXPECT_EQ(rep->rows_quarantined, 0);
  EXPECT_EQ(rep->schema_source, "inferred");
  EXPECT_EQ(Rows("SELECT name, age FROM people ORDER BY id"),
            Json::parse(R"([["Ann",30],["Bo",41]])"));
}

// Rows that do not fit the existing schema are quarantined with their line; good rows land
// as version 2 while version 1 stays queryable.
TEST_F(IngestTest, CsvBadRowsGoToQuarantine) {
  ASSERT_TRUE(Ingest("people", IngestFormat::kCsv, Input("a.csv", "id,name,age\n1,Ann,30\n")).ok());
  auto rep =
      Ingest("people", IngestFormat::kCsv,
             Input("b.csv", "id,name,age\n2,Bo,41\n3,Cy,not-a-number\n4,Di,52\n5,Ed,1,extra\n"));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->version, 2);
  EXPECT_EQ(rep->schema_source, "existing");
  EXPECT_EQ(rep->rows_ingested, 2);
  EXPECT_EQ(rep->rows_quarantined, 2);
  auto q = Quarantine(*rep);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0]["schema"], "quarantine.v1");
  EXPECT_EQ(q[0]["source"], "people");
  EXPECT_EQ(q[0]["origin"], "b.csv");
  EXPECT_EQ(q[0]["line_offset"], 2);
  EXPECT_EQ(q[0]["raw"], "3,Cy,not-a-number");
  EXPECT_FALSE(q[0]["reason"].get<std::string>().empty());
  EXPECT_EQ(q[1]["line_offset"], 4);
  EXPECT_EQ(Rows("SELECT id FROM people ORDER BY id"), Json::parse("[[2],[4]]"));
  EXPECT_EQ(Rows("SELECT id FROM \"people@v1\""), Json::parse("[[1]]"));
  auto m = services_->catalog->Get("people");
  EXPECT_EQ(m->Current()->quarantined_rows, 2);
}

TEST_F(IngestTest, CsvWithDifferentColumnsIsRejected) {
  ASSERT_TRUE(Ingest("people", IngestFormat::kCsv, Input("a.csv", "id,name\n1,Ann\n")).ok());
  auto rep = Ingest("people", IngestFormat::kCsv, Input("b.csv", "id,nom\n1,Ann\n"));
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.status().code(), ErrorCode::kUnprocessable);
  EXPECT_NE(rep.status().message().find("missing [name], not in the dataset [nom]"),
            std::string::npos);
  EXPECT_EQ(services_->catalog->Get("people")->current_version, 1);
  // Same columns in another order are fine.
  auto ok = Ingest("people", IngestFormat::kCsv, Input("c.csv", "name,id\nBo,2\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Rows("SELECT id, name FROM people"), Json::parse(R"([[2,"Bo"]])"));
}

TEST_F(IngestTest, JsonlChecksEveryLine) {
  ASSERT_TRUE(Ingest("events", IngestFormat::kJsonl,
                     Input("a.jsonl", R"({"id": 1, "kind": "a", "tags": ["x"], "at": "2026-12-01"})"
                                      "\n"))
                  .ok());
  const std::string second = R"({"id": 2, "kind": "b", "tags": ["y", "z"], "at": "2026-12-02"})"
                             "\n"
                             "{not json\n"
                             "\n"
                             R"([1, 2])"
                             "\n"
                             R"({"id": "three", "kind": "c"})"
                             "\n"
                             R"({"id": 4, "kind": "d", "colour": "red"})"
                             "\n"
                             R"({"id": 5, "kind": null, "tags": [7]})"
                             "\n"
                             R"({"id": 6})"
                             "\n";
  auto rep = Ingest("events", IngestFormat::kJsonl, Input("b.jsonl", second));
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->rows_ingested, 2);
  EXPECT_EQ(rep->rows_quarantined, 5);
  auto q = Quarantine(*rep);
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0]["line_offset"], 1);
  EXPECT_NE(q[0]["reason"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(q[1]["line_offset"], 3);
  EXPECT_EQ(q[1]["reason"], "expected a JSON object per line");
  EXPECT_EQ(q[2]["line_offset"], 4);
  EXPECT_NE(q[2]["reason"].get<std::string>().find("field 'id': expected an integer"),
            std::string::npos);
  EXPECT_NE(q[3]["reason"].get<std::string>().find("field 'colour' is not a column"),
            std::string::npos);
  EXPECT_NE(q[4]["reason"].get<std::string>().find("field 'tags': item 0: expected a string"),
            std::string::npos);
  EXPECT_EQ(Rows("SELECT id, tags FROM events ORDER BY id"),
            Json::parse(R"([[2,["y","z"]],[6,null]])"));
}

TEST_F(IngestTest, JsonlWithNoValidLinesIsRejectedForNewDataset) {
  auto rep = Ingest("nothing", IngestFormat::kJsonl, Input("x.jsonl", "garbage\n[]\n"));
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.status().code(), ErrorCode::kUnprocessable);
}

// Parquet rows whose values do not convert to the dataset's types are quarantined with
// their row number and the row as JSON.
TEST_F(IngestTest, ParquetIsCastToExistingSchema) {
  ASSERT_TRUE(Ingest("scores", IngestFormat::kCsv, Input("a.csv", "id,score\n1,10\n")).ok());
  // Build a Parquet file through a dataset, then ingest its part into `scores`.
  ASSERT_TRUE(
      Ingest("raw", IngestFormat::kCsv, Input("r.csv", "id,score\n2,20\n3,high\n4,40\n")).ok());
  auto raw = services_->catalog->Get("raw");
  ASSERT_EQ(raw->Current()->columns[1].type, "VARCHAR");
  auto part = services_->store->LocalPath(raw->Current()->files[0]);
  auto rep = Ingest("scores", IngestFormat::kParquet, part->string());
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->rows_ingested, 2);
  EXPECT_EQ(rep->rows_quarantined, 1);
  auto q = Quarantine(*rep);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0]["line_offset"], 1);
  EXPECT_EQ(Json::parse(q[0]["raw"].get<std::string>()), Json::parse(R"({"id":3,"score":"high"})"));
  EXPECT_EQ(Rows("SELECT id, score FROM scores ORDER BY id"), Json::parse("[[2,20],[4,40]]"));
}

TEST_F(IngestTest, UnreadableInputsAreClearErrors) {
  EXPECT_EQ(Ingest("x", IngestFormat::kCsv, "/nonexistent/file.csv").status().code(),
            ErrorCode::kNotFound);
  auto bad = Ingest("x", IngestFormat::kParquet, Input("not.parquet", "this is not parquet"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kUnprocessable);
  EXPECT_EQ(services_->catalog->Get("x").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Ingest("Bad Name", IngestFormat::kCsv, Input("a.csv", "a\n1\n")).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(IngestFormatTest, FromNamesContentTypesAndExtensions) {
  EXPECT_EQ(*ParseIngestFormat("ndjson"), IngestFormat::kJsonl);
  EXPECT_FALSE(ParseIngestFormat("xml").ok());
  EXPECT_EQ(*IngestFormatFromContentType("text/csv; charset=utf-8"), IngestFormat::kCsv);
  EXPECT_EQ(*IngestFormatFromContentType("application/x-ndjson"), IngestFormat::kJsonl);
  EXPECT_EQ(*IngestFormatFromContentType("application/vnd.apache.parquet"), IngestFormat::kParquet);
  EXPECT_EQ(IngestFormatFromContentType("application/xml").status().code(),
            ErrorCode::kUnsupportedMedia);
  EXPECT_EQ(*IngestFormatFromFileName("/x/y.PARQUET"), IngestFormat::kParquet);
  EXPECT_FALSE(IngestFormatFromFileName("noext").ok());
}

}  // namespace
}  // namespace lakehouse

namespace lakehouse {
namespace {

// Append shares the previous version's parts and adds the file's rows; replace does not.
TEST_F(IngestTest, AppendAddsToTheCurrentVersion) {
  ASSERT_TRUE(
      Ingest("fills_log", IngestFormat::kCsv, Input("a.csv", "order_id,worker_id\nO1,W1\nO2,W2\n"))
          .ok());
  auto rep =
      services_->ingestor->Ingest("fills_log", IngestFormat::kJsonl,
                                  Input("b.jsonl", "{\"order_id\":\"O3\",\"worker_id\":\"W3\"}\n"),
                                  "b.jsonl", IngestMode::kAppend);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->version, 2);
  EXPECT_EQ(rep->rows_ingested, 1);
  EXPECT_EQ(rep->row_count, 3);
  EXPECT_EQ(rep->ToJson()["mode"], "append");
  EXPECT_EQ(Rows("SELECT order_id FROM fills_log ORDER BY order_id"),
            Json::parse(R"([["O1"],["O2"],["O3"]])"));
  auto m = services_->catalog->Get("fills_log");
  EXPECT_EQ(m->Current()->files.size(), 2u);
  EXPECT_EQ(m->Current()->files[0], m->Version(1)->files[0]);  // shared, not copied
  // A replace afterwards holds only its own rows; appending to a new dataset creates it.
  auto rep3 =
      Ingest("fills_log", IngestFormat::kCsv, Input("c.csv", "order_id,worker_id\nO9,W9\n"));
  EXPECT_EQ(rep3->row_count, 1);
  EXPECT_EQ(*ParseIngestMode("append"), IngestMode::kAppend);
  EXPECT_FALSE(ParseIngestMode("merge").ok());
}

}  // namespace
}  // namespace lakehouse
