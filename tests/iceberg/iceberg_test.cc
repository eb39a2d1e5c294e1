// Tests of src/iceberg: DuckDB types as Iceberg types with field ids, bounds in the
// single-value serialization, manifests and manifest lists through Avro and back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <utility>

#include "iceberg/manifest.h"
#include "iceberg/schema.h"
#include "iceberg/table.h"
#include "storage/local_object_store.h"
#include "support/test_support.h"

namespace lakehouse::iceberg {
namespace {

using ::testing::HasSubstr;

TEST(IcebergSchemaTest, DuckDbTypesMapWithIdsForEveryField) {
  int32_t last = 0;
  auto s = BuildSchema({{"id", "VARCHAR"},
                        {"skills", "VARCHAR[]"},
                        {"pay", "DECIMAL(9,2)"},
                        {"rank", "SMALLINT"},
                        {"at", "TIMESTAMP WITH TIME ZONE"},
                        {"place", "STRUCT(city VARCHAR, \"zip code\" INTEGER)"},
                        {"tags", "MAP(VARCHAR, BIGINT)"}},
                       nullptr, &last, 0);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->fields[0].type, "string");
  EXPECT_EQ(s->fields[0].id, 1);
  // Top-level ids first (1..7), then nested ones in field order.
  EXPECT_EQ(s->fields[1].type["type"], "list");
  EXPECT_EQ(s->fields[1].type["element-id"], 8);
  EXPECT_EQ(s->fields[1].type["element"], "string");
  EXPECT_EQ(s->fields[2].type, "decimal(9, 2)");
  EXPECT_EQ(s->fields[3].type, "int");
  EXPECT_EQ(s->fields[4].type, "timestamptz");
  EXPECT_EQ(s->fields[5].type["fields"][1]["name"], "zip code");
  EXPECT_EQ(s->fields[5].type["fields"][1]["type"], "int");
  EXPECT_EQ(s->fields[6].type["key"], "string");
  EXPECT_EQ(s->fields[6].type["value"], "long");
  EXPECT_EQ(last, 12);
  // What Iceberg cannot say exactly is kept for our catalog; the rest reads back as it was.
  auto overrides = DuckDbTypeOverrides(*s);
  EXPECT_EQ(overrides, (std::map<int32_t, std::string>{{4, "SMALLINT"}}));
  auto back = SchemaFromJson(s->ToJson(), overrides);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  for (size_t i = 0; i < s->fields.size(); ++i)
    EXPECT_EQ(back->fields[i].duckdb_type, s->fields[i].duckdb_type) << i;
  // The name mapping reaches nested fields (files without Parquet field ids).
  Json nm = NameMapping(*s);
  EXPECT_EQ(nm[1]["fields"][0]["field-id"], 8);
  EXPECT_EQ(nm[1]["fields"][0]["names"][0], "element");
}

TEST(IcebergSchemaTest, IdsSurviveAcrossVersionsAndUnsupportedTypesAreNamed) {
  int32_t last = 0;
  auto v1 = BuildSchema({{"a", "VARCHAR"}, {"b", "BIGINT"}}, nullptr, &last, 0);
  auto v2 = BuildSchema({{"b", "BIGINT"}, {"c", "DOUBLE"}, {"a", "DATE"}}, &*v1, &last, 1);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->Find("b")->id, 2);  // kept
  EXPECT_EQ(v2->Find("c")->id, 3);  // new
  EXPECT_EQ(v2->Find("a")->id, 4);  // retyped: a new column to engines
  auto bad = BuildSchema({{"big", "HUGEINT"}}, nullptr, &last, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("column 'big' has type HUGEINT"));
}

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s += static_cast<char>(x);
  return s;
}

TEST(IcebergSchemaTest, BoundsUseTheSingleValueSerialization) {
  EXPECT_EQ(EncodeBound("int", "258", false), Bytes({2, 1, 0, 0}));
  EXPECT_EQ(EncodeBound("long", "-1", false), std::string(8, '\xff'));
  EXPECT_EQ(EncodeBound("date", "1", false), Bytes({1, 0, 0, 0}));
  EXPECT_EQ(EncodeBound("boolean", "true", false), Bytes({1}));
  double d = 2.5;
  EXPECT_EQ(EncodeBound("double", "2.5", false), std::string(reinterpret_cast<char*>(&d), 8));
  EXPECT_EQ(EncodeBound("string", "Dayton", true), "Dayton");
  // Cut to 16 characters; an upper bound cut short is rounded up to still bound the value.
  EXPECT_EQ(EncodeBound("string", "abcdefghijklmnopqrstuvwxyz", false), "abcdefghijklmnop");
  EXPECT_EQ(EncodeBound("string", "abcdefghijklmnopqrstuvwxyz", true), "abcdefghijklmnoq");
  EXPECT_EQ(EncodeBound("long", "12x", false), std::nullopt);
  EXPECT_EQ(EncodeBound("double", "nan", false), std::nullopt);
  EXPECT_EQ(EncodeBound(Json{{"type", "list"}}, "x", false), std::nullopt);
}

TEST(IcebergManifestTest, ManifestsAndListsRoundTripThroughAvro) {
  ManifestEntry e;
  e.file.path = "file:///r/datasets/w/v1/part-0.parquet";
  e.file.record_count = 500;
  e.file.file_size = 12345;
  e.file.columns[1] = ColumnStats{500, 3, 900, std::string("Akron"), std::string("Zanesville")};
  e.file.columns[2] = ColumnStats{500, -1, 0, std::nullopt, std::nullopt};
  ManifestEntry old = e;
  old.status = EntryStatus::kExisting;
  old.snapshot_id = 1;
  old.sequence_number = 1;
  old.file_sequence_number = 1;
  old.file.path = "file:///r/datasets/w/v0/part-0.parquet";
  auto bytes = WriteManifest({e, old}, R"({"type":"struct","schema-id":0,"fields":[]})", 0);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->substr(0, 4), std::string("Obj\x01", 4));
  // The header keeps the field ids and the metadata Iceberg asks for.
  EXPECT_THAT(*bytes, HasSubstr("\"field-id\":134"));
  EXPECT_THAT(*bytes, HasSubstr("partition-spec-id"));
  ManifestFile owner = Summarize({e, old}, "file:///r/m.avro", static_cast<int64_t>(bytes->size()),
                                 /*snapshot_id=*/7, /*sequence_number=*/4);
  EXPECT_EQ(owner.added_files, 1);
  EXPECT_EQ(owner.existing_files, 1);
  EXPECT_EQ(owner.added_rows, 500);
  EXPECT_EQ(owner.min_sequence_number, 1);
  auto back = ReadManifest(*bytes, owner);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  const auto& a = (*back)[0];
  EXPECT_EQ(a.status, EntryStatus::kAdded);
  EXPECT_EQ(a.snapshot_id, 7);      // inherited from the list
  EXPECT_EQ(a.sequence_number, 4);  // inherited
  EXPECT_EQ(a.file.path, e.file.path);
  EXPECT_EQ(a.file.record_count, 500);
  EXPECT_EQ(a.file.columns.at(1).nulls, 3);
  EXPECT_EQ(a.file.columns.at(1).lower, "Akron");
  EXPECT_EQ(a.file.columns.at(1).upper, "Zanesville");
  EXPECT_EQ(a.file.columns.at(1).bytes, 900);
  EXPECT_EQ(a.file.columns.at(2).nulls, -1);
  EXPECT_FALSE(a.file.columns.at(2).lower.has_value());
  EXPECT_EQ((*back)[1].sequence_number, 1);  // written, not inherited

  auto list = WriteManifestList({owner}, 7, 6, 4);
  ASSERT_TRUE(list.ok());
  auto rows = ReadManifestList(*list);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].path, "file:///r/m.avro");
  EXPECT_EQ((*rows)[0].added_snapshot_id, 7);
  EXPECT_EQ((*rows)[0].sequence_number, 4);

  EXPECT_FALSE(ReadManifest("not avro", owner).ok());
  EXPECT_FALSE(ReadManifestList("").ok());
}

// The metadata JSON other engines read: the fields the v2 spec requires, and back.
TEST(IcebergTableTest, MetadataHasTheRequiredV2FieldsAndReadsBack) {
  testing::TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  NewSnapshot snap;
  snap.snapshot_id = 1;
  snap.timestamp_ms = 1700000000000;
  snap.columns = {{"id", "VARCHAR"}};
  NewFile f;
  f.key = "datasets/t/v1/part-0.parquet";
  f.record_count = 2;
  f.file_size = 10;
  snap.added = {f};
  auto table = CommitSnapshot(**store, "datasets/t", std::nullopt, snap);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  Json j = table->metadata.ToJson();
  for (const char* k : {"format-version", "table-uuid", "location", "last-sequence-number",
                        "last-updated-ms", "last-column-id", "schemas", "current-schema-id",
                        "partition-specs", "default-spec-id", "last-partition-id", "sort-orders",
                        "default-sort-order-id", "current-snapshot-id", "snapshots", "refs"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["refs"]["main"]["snapshot-id"], 1);
  EXPECT_EQ(j["snapshots"][0]["summary"]["operation"], "append");
  EXPECT_EQ(j["snapshots"][0]["summary"]["total-records"], "2");
  auto back = TableMetadata::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), j);
  // A missing hint: the newest metadata file is found by listing.
  ASSERT_TRUE((*store)->Delete("datasets/t/metadata/version-hint.text").ok());
  auto loaded = LoadTable(**store, "datasets/t");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->metadata_version, 1);
  EXPECT_EQ(KeyOf(**loaded, (*store)->Uri("datasets/t/v1/part-0.parquet")).value(),
            "datasets/t/v1/part-0.parquet");
  EXPECT_FALSE(KeyOf(**loaded, "file:///elsewhere/x.parquet").ok());
}

// A shared catalog in memory whose publish can land and still answer an error (the answer
// lost with its connection), or be refused (another writer came first).
class MemoryCatalog final : public SharedCatalog {
 public:
  enum class Next { kOk, kLandsButFails, kRefused } next = Next::kOk;
  std::map<std::string, std::string> pointers;
  std::string Describe() const override { return "memory"; }
  Result<std::map<std::string, std::string>> Tables() override { return pointers; }
  Result<std::optional<std::string>> Current(const std::string& table) override {
    auto it = pointers.find(table);
    return it == pointers.end() ? std::optional<std::string>() : std::optional(it->second);
  }
  Status Publish(const std::string& table, const std::optional<std::string>& expected,
                 const std::string& uri) override {
    const Next now = std::exchange(next, Next::kOk);
    if (now == Next::kRefused) return Status::Conflict("another writer came first");
    auto it = pointers.find(table);
    if ((it == pointers.end()) != !expected || (it != pointers.end() && it->second != *expected))
      return Status::Conflict("moved");
    pointers[table] = uri;
    return now == Next::kLandsButFails ? Status::Unavailable("server closed the connection")
                                       : Status::OK();
  }
  Result<std::unique_ptr<Guard>> LockTable(const std::string&) override {
    return std::unique_ptr<Guard>(std::make_unique<Guard>());
  }
};

TEST(IcebergTableTest, APublishThatLandedIsCommittedEvenWhenItsAnswerWasAnError) {
  testing::TempDir dir;
  auto store = LocalObjectStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  MemoryCatalog catalog;
  NewSnapshot snap;
  snap.timestamp_ms = 1700000000000;
  snap.columns = {{"id", "VARCHAR"}};
  auto commit = [&](int64_t id, const std::optional<Table>& base) {
    snap.snapshot_id = id;
    return CommitSnapshot(**store, "datasets/t", base, snap, nullptr, &catalog);
  };
  auto v1 = commit(1, std::nullopt);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();

  catalog.next = MemoryCatalog::Next::kLandsButFails;
  auto v2 = commit(2, *v1);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();  // the pointer names it: committed
  EXPECT_TRUE((*store)->Exists("datasets/t/metadata/v2.metadata.json").value());
  auto loaded = LoadTable(**store, "datasets/t", &catalog);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->metadata_version, 2);

  // A writer planning on a stale version (v1 while the catalog names v2) is refused before it
  // writes anything: v2's file, which the catalog names, is untouched.
  const std::string v2_bytes = (*store)->Get("datasets/t/metadata/v2.metadata.json").value();
  auto stale = commit(9, *v1);
  EXPECT_EQ(stale.status().code(), ErrorCode::kConflict) << stale.status().ToString();
  EXPECT_EQ((*store)->Get("datasets/t/metadata/v2.metadata.json").value(), v2_bytes);

  catalog.next = MemoryCatalog::Next::kRefused;
  auto v3 = commit(3, *v2);
  EXPECT_EQ(v3.status().code(), ErrorCode::kConflict);
  EXPECT_FALSE((*store)->Exists("datasets/t/metadata/v3.metadata.json").value());  // removed
  EXPECT_EQ(catalog.pointers["t"], (*store)->Uri("datasets/t/metadata/v2.metadata.json"));
}

}  // namespace
}  // namespace lakehouse::iceberg
