// Unit tests of the distillation pipeline on small hand-made roots: the JSONL reader, the
// materializer's idempotency, resumption, rewrite and crash handling, the scorer's rules
// and firewall, the exports' determinism and dedup, and the audit catching tampering.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "core/clock.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "distill/audit.h"
#include "distill/evidence.h"
#include "distill/exports.h"
#include "distill/firewall.h"
#include "distill/jsonl.h"
#include "distill/materializer.h"
#include "distill/receipts.h"
#include "distill/scorer.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// One line of each kind the tests need, with its time and ids given.
std::string Feedback(const std::string& id, const std::string& target, int rating, bool flag,
                     const std::string& at = "2026-11-20T10:00:00.000Z") {
  return Json{{"schema", "feedback.v1"},
              {"id", id},
              {"at", at},
              {"request_id", "req-" + id},
              {"target", target},
              {"rating", rating},
              {"flag", flag},
              {"reason", flag ? "wrong client" : "good"},
              {"coordinator", "dana"}}
      .dump();
}

std::string Claim(const std::string& id, const std::string& attribute, const Json& value,
                  const std::string& recorded_at) {
  return Json{{"schema", "truth_claim.v1"},
              {"request_id", "req-" + id},
              {"id", id},
              {"subject", "worker:W0000001"},
              {"attribute", attribute},
              {"value", value},
              {"source", "coordinator"},
              {"observed_at", "2026-11-01T00:00:00.000Z"},
              {"confidence", 0.9},
              {"recorded_at", recorded_at}}
      .dump();
}

std::string IterateRun(const std::string& run_id, const std::vector<std::string>& raws, bool valid,
                       const std::string& at = "2026-11-21T08:30:00.000Z") {
  Json attempts = Json::array();
  for (size_t i = 0; i < raws.size(); ++i) {
    const bool last = i + 1 == raws.size();
    attempts.push_back(Json{
        {"raw", raws[i]},
        {"extracted", nullptr},
        {"errors", last && valid ? Json::array()
                                 : Json::array({Json{{"Consistency",
                                                      {{"field", "worker_ids[0]"},
                                                       {"reason", "unknown worker W9999999"}}}}})},
        {"latency_ms", 0.5},
        {"model", "local/planner"}});
  }
  return Json{
      {"schema", "iterate_run.v1"},
      {"run_id", run_id},
      {"at", at},
      {"request_id", "req-" + run_id},
      {"kind", "fill"},
      {"task", {{"order_id", "O000007"}}},
      {"prompt", Json::array({Json{{"role", "system"}, {"content", "You fill orders."}},
                              Json{{"role", "user"}, {"content", "Fill O000007."}}})},
      {"requested_model", "local/planner"},
      {"model", "local/planner"},
      {"max_attempts", 3},
      {"attempts", attempts},
      {"attempt_count", raws.size()},
      {"valid", valid},
      {"final", valid ? Json{{"order_id", "O000007"}, {"worker_ids", {"W0000071"}}} : Json()},
      {"latency_ms", 1.5},
      {"error", nullptr}}
      .dump();
}

void Append(const fs::path& root, const std::string& source, const std::string& lines) {
  std::ofstream(root / "_kb" / (source + ".jsonl"), std::ios::app) << lines;
}

Json Materialize(const fs::path& root) {
  distill::MaterializeOptions o;
  o.root = root;
  o.recorded_at_millis = *ParseRfc3339Millis("2026-11-25T00:00:00.000Z");
  auto r = distill::Materialize(o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Json();
}

std::vector<Json> Lines(const fs::path& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(Json::parse(l));
  return out;
}

// The whole evidence tree as text: path + content of every file.
std::string Tree(const fs::path& root, const char* dir) {
  std::string out;
  for (const fs::path& p : distill::JsonlFiles(root / dir))
    out += distill::RelPath(root, p) + "\n" + ReadFile(p);
  return out;
}

// score, then the three exports: each must succeed.
void ScoreAndExport(const fs::path& root) {
  auto scored = distill::Score(root);
  ASSERT_TRUE(scored.ok()) << scored.status().ToString();
  for (const char* kind : {"sft", "rag", "preference"}) {
    auto exported = distill::Export({root, kind});
    ASSERT_TRUE(exported.ok()) << kind << ": " << exported.status().ToString();
  }
}

class DistillRoot : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(root_.path() / "_kb"); }
  const fs::path& root() const { return root_.path(); }
  TempDir root_;
};

TEST(Crc32c, KnownVectorAndChaining) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  const std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  EXPECT_EQ(Crc32c(text.substr(13), Crc32c(text.substr(0, 13))), Crc32c(text));
}

TEST(JsonlReader, HandsOutCompleteLinesWithOffsetsAndLeavesAPartialTail) {
  TempDir dir;
  const fs::path f = dir.path() / "x.jsonl";
  const std::string big(5 << 20, 'a');  // longer than a read block
  WriteFile(f, "{\"a\":1}\n\n{\"b\":\"" + big + "\"}\n{\"c\":3}\n{\"partial");
  distill::JsonlReader r;
  ASSERT_TRUE(r.Open(f.string()).ok());
  distill::JsonlLine l;
  std::vector<int64_t> index, offset;
  std::vector<size_t> sizes;
  while (r.Next(l)) {
    index.push_back(l.index);
    offset.push_back(l.offset);
    sizes.push_back(l.text.size());
  }
  EXPECT_EQ(index, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(offset[1], 8);
  EXPECT_EQ(sizes[1], 0u);
  EXPECT_EQ(sizes[2], big.size() + 8);
  // The partial line is not consumed: the next reader starts at it.
  EXPECT_EQ(r.offset(), static_cast<int64_t>(fs::file_size(f) - std::string("{\"partial").size()));
  distill::JsonlReader again;
  ASSERT_TRUE(again.Open(f.string(), offset[3], 3).ok());
  ASSERT_TRUE(again.Next(l));
  EXPECT_EQ(l.text, "{\"c\":3}");
  EXPECT_EQ(l.index, 3);
}

TEST(ScoreFormat, AlwaysFourDecimals) {
  EXPECT_EQ(distill::FormatScore(0.85), "0.8500");
  EXPECT_EQ(distill::FormatScore(1), "1.0000");
  EXPECT_EQ(distill::FormatScore(0), "0.0000");
  EXPECT_EQ(distill::FormatScore(0.12345), "0.1235");
  EXPECT_EQ(distill::FormatScore(0.7), "0.7000");
}

TEST(Firewall, FindsThirdPartyContactsSsnAndDnr) {
  std::vector<std::string> r;
  distill::FindPii("Reach Ann at ann@example.com or (513) 555-0101", "body", {}, r);
  EXPECT_EQ(r,
            (std::vector<std::string>{"pii: email address in body", "pii: phone number in body"}));
  r.clear();
  distill::FindPii("Hi Mei, write back to mei@example.com", "body", {"MEI@example.com"}, r);
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(distill::ContainsSsn("ssn 123-45-6789."));
  EXPECT_FALSE(distill::ContainsSsn("order 2026-11-2024"));
  EXPECT_FALSE(distill::ContainsSsn("W123-45-6789"));
  EXPECT_TRUE(distill::ContainsDnr("He is DNR at this client"));
  EXPECT_TRUE(distill::ContainsDnr("marked do-not-return"));
  EXPECT_FALSE(distill::ContainsDnr("the dinner shift"));
}

TEST_F(DistillRoot, MaterializeIsIdempotentAndPicksUpAppendedLines) {
  Append(root(), "feedback", Feedback("fb_1", "run_a", 1, false) + "\n");
  Append(root(), "truth_claims",
         Claim("clm_1", "city", "Dayton", "2026-11-19T23:59:59.999Z") + "\n");
  Json first = Materialize(root());
  EXPECT_EQ(first["counts"]["evidence_added"], 2);
  const fs::path fb = root() / "evidence/2026/11/20/feedback.jsonl";
  ASSERT_TRUE(fs::exists(fb));
  ASSERT_TRUE(fs::exists(root() / "evidence/2026/11/19/truth_claims.jsonl"));  // own day
  const std::string tree = Tree(root(), "evidence");
  const Json ev = Lines(fb)[0];
  EXPECT_EQ(ev["provenance"]["line_offset"], 0);  // zero is written
  EXPECT_EQ(ev["kind"], "feedback");
  EXPECT_EQ(ev["subject"], "run_a");
  EXPECT_EQ(ReadFile(fb).find("{\"schema\":\"evidence.v1\",\"id\":\"ev_"), 0u);

  // Nothing new: nothing added, nothing changed.
  Json second = Materialize(root());
  EXPECT_EQ(second["counts"]["lines_read"], 0);
  EXPECT_EQ(Tree(root(), "evidence"), tree);
  ASSERT_GE(fs::directory_iterator(root() / "_receipts/materialize") != fs::directory_iterator(),
            true);

  // Appended lines, and a partial line (a writer mid-append) left for later.
  Append(root(), "feedback", Feedback("fb_2", "run_b", -1, false) + "\n" + "{\"schema\":\"feed");
  Json third = Materialize(root());
  EXPECT_EQ(third["counts"]["evidence_added"], 1);
  EXPECT_GT(third["inputs"][0]["pending_bytes"].get<int64_t>() +
                third["inputs"][1]["pending_bytes"].get<int64_t>(),
            0);
  auto lines = Lines(fb);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["provenance"]["line_offset"], 1);
  Append(root(), "feedback", "back.v1\"}\n");
  Json fourth = Materialize(root());
  EXPECT_EQ(fourth["counts"]["quarantined"], 1);
  auto q = Lines(root() / "_quarantine/_kb/feedback.jsonl");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0]["line_offset"], 2);
  EXPECT_EQ(q[0]["reason"], "field 'at' missing");
  EXPECT_EQ(q[0]["raw"], "{\"schema\":\"feedback.v1\"}");
}

TEST_F(DistillRoot, BadAndUnknownLinesAreQuarantinedWithTheirReason) {
  Append(root(), "truth_claims",
         "not json\n" + Claim("clm_1", "city", "Dayton", "2026-11-19T10:00:00Z") + "\n" +
             "{\"schema\":\"truth_claim.v1\",\"id\":\"clm_2\",\"subject\":\"worker:W1\","
             "\"recorded_at\":\"2026-11-19T10:00:00Z\"}\n" +
             Claim("clm_3", "city", "Dayton", "yesterday") + "\n");
  Append(root(), "stray", "{\"x\":1}\n");
  Json r = Materialize(root());
  EXPECT_EQ(r["counts"]["evidence_added"], 1);
  EXPECT_EQ(r["counts"]["quarantined"], 4);
  auto q = Lines(root() / "_quarantine/_kb/truth_claims.jsonl");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0]["line_offset"], 0);
  EXPECT_TRUE(q[0]["reason"].get<std::string>().starts_with("malformed JSON")) << q[0];
  EXPECT_EQ(q[0]["raw"], "not json");
  EXPECT_EQ(q[1]["reason"], "field 'request_id' missing");
  EXPECT_EQ(q[2]["reason"], "field 'recorded_at': 'yesterday' is not an RFC 3339 time");
  auto stray = Lines(root() / "_quarantine/_kb/stray.jsonl");
  ASSERT_EQ(stray.size(), 1u);
  EXPECT_EQ(stray[0]["reason"], "no transform for source 'stray'");
}

// Strict types and plausible times: "flag": "true" was read as false, a rating "1" as 0,
// and any RFC 3339 time was accepted.
TEST_F(DistillRoot, MistypedFieldsAndImplausibleTimesAreQuarantined) {
  auto fb = [](const std::string& rating, const std::string& flag, const std::string& at) {
    return "{\"schema\":\"feedback.v1\",\"id\":\"fb_1\",\"request_id\":\"r1\",\"at\":\"" + at +
           "\",\"target\":\"run_1\",\"rating\":" + rating + ",\"flag\":" + flag +
           ",\"reason\":\"x\",\"coordinator\":null}\n";
  };
  Append(root(), "feedback",
         fb("1", "\"true\"", "2026-11-19T10:00:00Z") +
             fb("\"1\"", "false", "2026-11-19T10:00:00Z") +
             fb("1", "true", "1970-01-01T00:00:00Z") + fb("1", "true", "2150-01-01T00:00:00Z") +
             fb("-1", "true", "2026-11-19T10:00:00Z"));
  Json r = Materialize(root());
  EXPECT_EQ(r["counts"]["evidence_added"], 1) << r.dump();
  auto q = Lines(root() / "_quarantine/_kb/feedback.jsonl");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0]["reason"], "field 'flag' must be a boolean");
  EXPECT_EQ(q[1]["reason"], "field 'rating' must be an integer");
  EXPECT_EQ(q[2]["reason"],
            "field 'at': '1970-01-01T00:00:00Z' is outside the plausible range 2000..2099");
  EXPECT_TRUE(q[3]["reason"].get<std::string>().find("plausible range") != std::string::npos);
}

TEST_F(DistillRoot, RewrittenSourceIsReadAgainWithoutDuplicates) {
  const std::string a = Feedback("fb_a", "run_a", 1, false),
                    b = Feedback("fb_b", "run_b", 1, false),
                    c = Feedback("fb_c", "run_c", -1, false);
  Append(root(), "feedback", a + "\n" + b + "\n");
  Materialize(root());
  // Rewritten in place: a line removed and another added in front, same total length or not.
  fs::remove(root() / "_kb/feedback.jsonl");
  Append(root(), "feedback", c + "\n" + b + "\n");
  Json r = Materialize(root());
  EXPECT_EQ(r["inputs"][0]["rewritten"], true);
  EXPECT_EQ(r["counts"]["evidence_added"], 1);      // c
  EXPECT_EQ(r["counts"]["duplicates_skipped"], 1);  // b, already there
  auto lines = Lines(root() / "evidence/2026/11/20/feedback.jsonl");
  ASSERT_EQ(lines.size(), 3u);  // a (seen then), b, c: evidence is what the system saw
  std::set<std::string> ids;
  for (const auto& l : lines) ids.insert(l["id"]);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(Materialize(root())["counts"]["lines_read"], 0);
}

TEST_F(DistillRoot, OutputOfACrashedRunIsCutBackAndWrittenOnce) {
  Append(root(), "feedback", Feedback("fb_1", "run_a", 1, false) + "\n");
  Materialize(root());
  const fs::path fb = root() / "evidence/2026/11/20/feedback.jsonl";
  const std::string committed = ReadFile(fb);
  // A run that wrote evidence for new lines, then died before its checkpoint.
  Append(root(), "feedback",
         Feedback("fb_2", "run_b", 1, false) + "\n" +
             Feedback("fb_3", "run_c", 1, false, "2026-11-22T00:00:00Z") + "\n");
  Materialize(root());
  const std::string clean = Tree(root(), "evidence");
  WriteFile(fb, committed);  // back to the first run's state...
  fs::remove(root() / "evidence/2026/11/22/feedback.jsonl");
  std::string checkpoint_after_first;
  {
    // ...with the first run's checkpoint, and a torn tail as a crash would leave it.
    TempDir again;
    fs::create_directories(again.path() / "_kb");
    std::ofstream(again.path() / "_kb/feedback.jsonl")
        << Feedback("fb_1", "run_a", 1, false) << "\n";
    Materialize(again.path());
    checkpoint_after_first = ReadFile(again.path() / "evidence/_checkpoint.json");
  }
  WriteFile(root() / "evidence/_checkpoint.json", checkpoint_after_first);
  std::ofstream(fb, std::ios::app) << "{\"schema\":\"evidence.v1\",\"id\":\"ev_torn";
  WriteFile(root() / "evidence/2026/11/22/feedback.jsonl", "{\"half\":");
  Json r = Materialize(root());
  EXPECT_EQ(r["counts"]["evidence_added"], 2);
  EXPECT_EQ(Tree(root(), "evidence"), clean);
}

TEST_F(DistillRoot, WithoutACheckpointExistingEvidenceIsKeptAndATornTailCut) {
  Append(root(), "feedback",
         Feedback("fb_1", "run_a", 1, false) + "\n" + Feedback("fb_2", "run_b", 1, false) + "\n");
  Materialize(root());
  const std::string clean = Tree(root(), "evidence");
  // The checkpoint is lost and the evidence file ends in a torn line.
  fs::remove(root() / "evidence/_checkpoint.json");
  const fs::path fb = root() / "evidence/2026/11/20/feedback.jsonl";
  std::string text = ReadFile(fb);
  WriteFile(fb, text.substr(0, text.size() - 40));
  Json r = Materialize(root());
  EXPECT_EQ(r["inputs"][0]["rewritten"], true);
  EXPECT_EQ(r["counts"]["duplicates_skipped"], 1);
  EXPECT_EQ(r["counts"]["evidence_added"], 1);
  EXPECT_EQ(Lines(fb).size(), 2u);  // every line parses
  EXPECT_EQ(Tree(root(), "evidence"), clean);
}

TEST_F(DistillRoot, ScoresFollowTheRulesAndTheFirewall) {
  Append(root(), "iterate_runs",
         IterateRun("run_first", {"ok"}, true) + "\n" +
             IterateRun("run_third", {"bad", "bad again", "ok"}, true) + "\n" +
             IterateRun("run_never", {"bad", "bad", "bad"}, false) + "\n" +
             IterateRun("run_flagged", {"ok"}, true) + "\n" +
             IterateRun("run_pii", {"Call Ann at 513-555-0101. ```json {}```"}, true) + "\n");
  Append(root(), "feedback",
         Feedback("fb_up", "run_first", 1, false) + "\n" +
             Feedback("fb_flag", "run_flagged", 0, true) + "\n");
  Append(root(), "truth_claims",
         Claim("clm_1", "phone", "513-555-0101", "2026-11-19T10:00:00Z") + "\n");
  Materialize(root());
  auto scored = distill::Score(root());
  ASSERT_TRUE(scored.ok()) << scored.status().ToString();
  std::map<std::string, Json> by_subject;
  for (const auto& l : Lines(root() / "scored/2026/11/21/iterate_runs.jsonl"))
    by_subject[l["evidence_id"]] = l;
  std::vector<Json> runs = Lines(root() / "scored/2026/11/21/iterate_runs.jsonl");
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0]["category"], "Accepted");
  EXPECT_EQ(runs[0]["reasons"],
            Json::array({"valid on the first attempt", "coordinator feedback: 1 up, 0 down"}));
  EXPECT_EQ(runs[1]["reasons"][0], "valid after 3 attempts");
  EXPECT_EQ(runs[1]["category"], "Partial");
  EXPECT_EQ(runs[2]["category"], "Rejected");
  EXPECT_EQ(runs[3]["category"], "SftNever");
  EXPECT_EQ(runs[3]["firewall"], Json::array({"flagged by a coordinator: wrong client"}));
  EXPECT_EQ(runs[4]["firewall"], Json::array({"pii: phone number in answer"}));
  // Exactly 4 decimals on the wire.
  const std::string text = ReadFile(root() / "scored/2026/11/21/iterate_runs.jsonl");
  EXPECT_NE(text.find("\"score\":1.0000,"), std::string::npos);
  EXPECT_NE(text.find("\"score\":0.7000,"), std::string::npos);
  EXPECT_NE(text.find("\"score\":0.1000,"), std::string::npos);
  auto claims = Lines(root() / "scored/2026/11/19/truth_claims.jsonl");
  EXPECT_EQ(claims[0]["category"], "SftNever");

  // Unchanged evidence and context: nothing re-scored. New feedback: everything is.
  auto again = distill::Score(root());
  EXPECT_EQ((*again)["counts"]["files_scored"], 0);
  Append(root(), "feedback", Feedback("fb_down", "run_third", -1, false) + "\n");
  Materialize(root());
  auto third = distill::Score(root());
  EXPECT_GE((*third)["counts"]["files_scored"].get<int>(), 3);
  EXPECT_EQ(Lines(root() / "scored/2026/11/21/iterate_runs.jsonl")[1]["category"], "Rejected");
}

TEST_F(DistillRoot, ExportsAreDeterministicFirewalledAndDeduplicated) {
  Append(
      root(), "iterate_runs",
      IterateRun("run_1", {"```json\n{\"worker_ids\": [\"W9999999\"]}\n```", "ok answer"}, true) +
          "\n" + IterateRun("run_2", {"ok answer"}, true, "2026-11-21T09:00:00.000Z") +
          "\n" +  // same messages
          IterateRun("run_3", {"OK   answer!"}, true, "2026-11-21T09:30:00.000Z") +
          "\n" +  // near dup
          IterateRun("run_4", {"flagged answer"}, true) + "\n");
  Append(root(), "feedback", Feedback("fb_flag", "run_4", 0, true) + "\n");
  Materialize(root());
  ScoreAndExport(root());
  const std::string sft = ReadFile(root() / "exports/sft.jsonl");
  const std::string pref = ReadFile(root() / "exports/preference.jsonl");
  const std::string dropped = ReadFile(root() / "exports/sft.dropped.jsonl");
  ScoreAndExport(root());  // again: nothing changes
  EXPECT_EQ(ReadFile(root() / "exports/sft.jsonl"), sft);
  EXPECT_EQ(ReadFile(root() / "exports/preference.jsonl"), pref);

  auto examples = Lines(root() / "exports/sft.jsonl");
  ASSERT_EQ(examples.size(),
            1u);  // run_1 (0.85: valid after 2); run_2/run_3 duplicates; run_4 flagged
  EXPECT_EQ(examples[0]["messages"].back(),
            (Json{{"role", "assistant"}, {"content", "ok answer"}, {"weight", 1}}));
  EXPECT_EQ(examples[0]["metadata"]["source_class"], "iterate_fill");
  auto drops = Lines(root() / "exports/sft.dropped.jsonl");
  ASSERT_EQ(drops.size(), 3u) << dropped;
  EXPECT_TRUE(drops[0]["reason"].get<std::string>().starts_with("exact duplicate of ev_"))
      << dropped;
  EXPECT_TRUE(drops[1]["reason"].get<std::string>().starts_with("near duplicate of ev_"))
      << dropped;
  EXPECT_EQ(drops[2]["reason"], "firewall: flagged by a coordinator: wrong client");

  auto pairs = Lines(root() / "exports/preference.jsonl");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0]["prompt"].size(), 2u);
  EXPECT_EQ(pairs[0]["chosen"][0]["content"], "ok answer");
  EXPECT_EQ(pairs[0]["rejected"][0]["content"], "```json\n{\"worker_ids\": [\"W9999999\"]}\n```");
  EXPECT_EQ(pairs[0]["metadata"]["rejected_errors"], Json::array({"Consistency"}));
  EXPECT_EQ(pairs[0]["metadata"]["score"], 0.85);
}

// Near duplicates are Unicode-aware: two different answers in Chinese were one near-dup
// key (every non-ASCII character dropped), and the second was lost.
TEST_F(DistillRoot, NearDuplicatesKeepNonAsciiText) {
  Append(root(), "iterate_runs",
         IterateRun("run_zh1", {"\u8bf7\u5b89\u6392\u591c\u73ed"}, true) + "\n" +
             IterateRun("run_zh2", {"\u8bf7\u5b89\u6392\u767d\u73ed"}, true) + "\n" +
             IterateRun("run_zh3", {"\u8bf7\u5b89\u6392\u591c\u73ed!"}, true) + "\n");
  Materialize(root());
  ScoreAndExport(root());
  const auto sft = Lines(root() / "exports/sft.jsonl");
  EXPECT_EQ(sft.size(), 2u);  // the third is a near duplicate of the first (punctuation only)
  const std::string dropped = ReadFile(root() / "exports/sft.dropped.jsonl");
  EXPECT_NE(dropped.find("near duplicate"), std::string::npos) << dropped;
}

TEST_F(DistillRoot, AuditPassesThenCatchesTampering) {
  Append(root(), "iterate_runs",
         IterateRun("run_1", {"bad", "ok answer"}, true) + "\n" +
             IterateRun("run_4", {"flagged answer"}, true) + "\n");
  Append(root(), "feedback", Feedback("fb_flag", "run_4", 0, true) + "\n");
  Materialize(root());
  ScoreAndExport(root());
  auto ok = distill::AuditFull({root()});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["result"], "PASS") << distill::AuditTable(*ok);
  EXPECT_GE((*ok)["invariants"].size(), 20u);
  auto base = distill::AuditBaselines(root());
  ASSERT_TRUE(base.ok());
  EXPECT_EQ((*base)["firewall_violations"], 0);
  EXPECT_EQ((*base)["evidence"]["total"], 3);

  // A flagged example smuggled into the sft export: phase 4 and A11 fail.
  const std::string sft = ReadFile(root() / "exports/sft.jsonl");
  const Json flagged_ev = Lines(root() / "evidence/2026/11/21/iterate_runs.jsonl")[1];
  Json smuggled = Lines(root() / "exports/sft.jsonl")[0];
  smuggled["metadata"]["evidence_ids"] = Json::array({flagged_ev["id"]});
  smuggled["messages"].back()["content"] = "flagged answer";
  std::ofstream(root() / "exports/sft.jsonl", std::ios::app) << smuggled.dump() << "\n";
  auto bad = distill::AuditFull({root()});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ((*bad)["result"], "FAIL");
  EXPECT_EQ((*bad)["phases"][4]["status"], "FAIL");
  EXPECT_EQ((*bad)["invariants"][10]["id"], "A11");
  EXPECT_EQ((*bad)["invariants"][10]["status"], "FAIL");
  EXPECT_EQ((*bad)["invariants"][20]["status"], "FAIL");  // A21: not what the receipt says
  auto base2 = distill::AuditBaselines(root());
  EXPECT_EQ((*base2)["firewall_violations"], 1);
  WriteFile(root() / "exports/sft.jsonl", sft);

  // Evidence edited after the fact: the materializer phase re-derives and disagrees.
  const fs::path ev = root() / "evidence/2026/11/21/iterate_runs.jsonl";
  std::string text = ReadFile(ev);
  text.replace(text.find("ok answer"), 9, "ok_answer");
  WriteFile(ev, text);
  auto edited = distill::AuditFull({root()});
  EXPECT_EQ((*edited)["phases"][2]["status"], "FAIL");
  EXPECT_EQ((*edited)["result"], "FAIL");
  text.replace(text.find("ok_answer"), 9, "ok answer");
  WriteFile(ev, text);
  ASSERT_EQ((*distill::AuditFull({root()}))["result"], "PASS");

  auto a25 = [&](const Json& audit) {
    for (const auto& i : audit["invariants"])
      if (i["id"] == "A25") return i["status"].get<std::string>();
    return std::string("absent");
  };
  // Forged provenance (an edited line_offset, transform, recorded_at): A25.
  for (const auto& [from, to] :
       {std::pair{"\"line_offset\":0", "\"line_offset\":7"},
        std::pair{"\"transform\":\"iterate_runs@1\"", "\"transform\":\"iterate_runs@9\""},
        std::pair{"\"recorded_at\":\"2", "\"recorded_at\":\"1"}}) {
    std::string forged = text;
    forged.replace(forged.find(from), std::string(from).size(), to);
    WriteFile(ev, forged);
    auto f = distill::AuditFull({root()});
    EXPECT_EQ((*f)["result"], "FAIL") << from;
    EXPECT_EQ(a25(*f), "FAIL") << from;
  }
  WriteFile(ev, text);
  // A forged record with a correct content hash but no source line: A25.
  {
    Json forged = Lines(ev)[0];
    forged["payload"]["run_id"] = "run_forged";
    const distill::SourceSpec* spec = distill::FindSource("iterate_runs");
    ASSERT_NE(spec, nullptr);
    distill::EvidenceDraft d{forged["kind"], forged["day"], forged["subject"],
                             DumpJson(forged["payload"])};
    forged["id"] = distill::EvidenceId(*spec, d);
    std::ofstream(ev, std::ios::app) << DumpJson(forged) << "\n";
    auto f = distill::AuditFull({root()});
    EXPECT_EQ(a25(*f), "FAIL");
    WriteFile(ev, text);
  }
  // A rewritten firewall reason (same count): the re-score compares reasons, A10.
  {
    const fs::path scored = root() / "scored/2026/11/21/iterate_runs.jsonl";
    const std::string orig = ReadFile(scored);
    std::string forged = orig;
    const size_t at = forged.find("flagged by a coordinator");
    ASSERT_NE(at, std::string::npos) << orig;
    forged.replace(at, 24, "flagged by a supervisor!");
    WriteFile(scored, forged);
    auto f = distill::AuditFull({root()});
    EXPECT_EQ((*f)["result"], "FAIL");
    EXPECT_EQ((*f)["invariants"][9]["id"], "A10");
    EXPECT_EQ((*f)["invariants"][9]["status"], "FAIL");
    WriteFile(scored, orig);
  }
  EXPECT_EQ((*distill::AuditFull({root()}))["result"], "PASS");

  auto status_of = [](const Json& audit, const char* id) {
    for (const auto& i : audit["invariants"])
      if (i["id"] == id) return i["status"].get<std::string>();
    return std::string("absent");
  };
  // An edited dropped log (a reason rewritten): A21.
  {
    const fs::path dropped = root() / "exports/sft.dropped.jsonl";
    const std::string orig = ReadFile(dropped);
    ASSERT_FALSE(orig.empty());
    std::string edited = orig;
    edited.replace(edited.find("\"reason\":\"") + 10, 1, "X");
    WriteFile(dropped, edited);
    EXPECT_EQ(status_of(*distill::AuditFull({root()}), "A21"), "FAIL");
    WriteFile(dropped, orig);
  }
  // An export edited together with its receipt's hash: the re-derivation disagrees, A21.
  {
    const fs::path out = root() / "exports/sft.jsonl";
    const std::string orig = ReadFile(out);
    std::string edited = orig;  // an answer rewritten
    edited.replace(edited.rfind("\"weight\":1") - 3, 1, "X");
    WriteFile(out, edited);
    fs::path receipt;
    for (const auto& e : fs::directory_iterator(root() / "_receipts/export_sft"))
      if (receipt.empty() || e.path().filename() > receipt.filename()) receipt = e.path();
    const std::string receipt_text = ReadFile(receipt);
    Json r = Json::parse(receipt_text);
    for (auto& o : r["outputs"])
      if (o["path"] == "exports/sft.jsonl") o["sha256"] = *distill::FileSha256(out);
    WriteFile(receipt, r.dump(2) + "\n");
    auto f = distill::AuditFull({root()});
    EXPECT_EQ(status_of(*f, "A21"), "FAIL") << distill::AuditTable(*f);
    WriteFile(out, orig);
    WriteFile(receipt, receipt_text);
  }
  // An older receipt edited: the next receipt's link breaks, A26.
  {
    std::vector<fs::path> all;
    for (const auto& d : fs::directory_iterator(root() / "_receipts"))
      for (const auto& e : fs::directory_iterator(d.path())) all.push_back(e.path());
    std::sort(all.begin(), all.end(),
              [](const fs::path& x, const fs::path& y) { return x.filename() < y.filename(); });
    ASSERT_GE(all.size(), 3u);
    const std::string orig = ReadFile(all.front());
    Json r = Json::parse(orig);
    r["duration_ms"] = 0.1;
    WriteFile(all.front(), r.dump(2) + "\n");
    EXPECT_EQ(status_of(*distill::AuditFull({root()}), "A26"), "FAIL");
    WriteFile(all.front(), orig);
  }
  EXPECT_EQ((*distill::AuditFull({root()}))["result"], "PASS");
}

}  // namespace
}  // namespace lakehouse
