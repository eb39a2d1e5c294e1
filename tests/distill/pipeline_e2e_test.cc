// End-to-end: real server traffic (a model that needs three tries, the local planner,
// coordinators committing fills and emails, feedback, playbooks, truth, a replay) produces
// the `_kb` sources; materialize -> score -> export -> audit full PASS, twice, with
// byte-identical outputs. Then the same pipeline through the `lakehouse` binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>

#include "distill/audit.h"
#include "distill/exports.h"
#include "distill/materializer.h"
#include "distill/receipts.h"
#include "distill/replay.h"
#include "distill/scorer.h"
#include "distill/scoring.h"
#include "support/test_support.h"

namespace lakehouse {
namespace {

namespace fs = std::filesystem;
using testing::HttpClient;
using testing::ReadFile;
using testing::RunCli;

std::string Tree(const fs::path& root) {
  std::string out;
  for (const char* dir : {"evidence", "scored", "exports", "_quarantine"})
    for (const fs::path& p : distill::JsonlFiles(root / dir))
      out += distill::RelPath(root, p) + "\n" + ReadFile(p);
  return out;
}

std::vector<Json> Lines(const fs::path& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(Json::parse(l));
  return out;
}

// The four-step playbook that fills O000007 with W0000071 (its one eligible worker).
Json FillO000007Steps() {
  return Json::array(
      {Json{{"tool", "retrieve"}, {"args", {{"query", "forklift nights Virginia Beach"}}}},
       Json{{"tool", "propose_fill"},
            {"args", {{"order_id", "O000007"}, {"worker_ids", {"W0000071"}}}}},
       Json{{"tool", "validate_fill"}, {"args", {{"order_id", "O000007"}}}},
       Json{{"tool", "commit_fill"}, {"args", {{"order_id", "O000007"}}}}});
}

Json RunPipeline(const fs::path& root, Services& s) {
  Json out = Json::object();
  auto m = distill::Materialize({root});
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  out["materialize"] = m.ok() ? (*m)["counts"] : Json();
  auto roster_for_scoring = s.roster->Require();
  EXPECT_TRUE(roster_for_scoring.ok());
  const distill::RosterPeople people = distill::RosterPeople::From(*roster_for_scoring->get());
  auto sc = distill::Score(root, &people);
  EXPECT_TRUE(sc.ok()) << sc.status().ToString();
  for (const char* kind : {"sft", "rag", "preference"}) {
    auto e = distill::Export({root, kind});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    out[kind] = e.ok() ? (*e)["counts"] : Json();
  }
  auto roster = s.roster->Require();
  distill::AuditOptions opt{root, roster->get(), s.validators.get()};
  auto audit = distill::AuditFull(opt);
  EXPECT_TRUE(audit.ok()) << audit.status().ToString();
  EXPECT_EQ((*audit)["result"], "PASS") << distill::AuditTable(*audit);
  out["audit"] = *audit;
  return out;
}

// Canaries of third-party PII and do-not-rehire content go in through every ordinary route
// and shape an adversarial run used; none reaches a training export (sft, preference), and
// the audit still passes.
TEST(DistillPipeline, NoCanaryReachesATrainingExport) {
  testing::TestServer server(200, 40);
  HttpClient c = server.Client();
  auto post = [&](const std::string& path, const Json& body, int status,
                  const std::map<std::string, std::string>& headers = {}) {
    std::map<std::string, std::string> h = headers;
    h["content-type"] = "application/json";
    auto r = c.Request("POST", path, body.dump(), h);
    EXPECT_EQ(r.status, status) << path << " " << r.body;
    return r;
  };
  // A free-form task field would be copied into the prompt: refused.
  auto note = post("/v1/iterate",
                   {{"kind", "email"},
                    {"task",
                     {{"order_id", "O000001"},
                      {"worker_id", "W0000071"},
                      {"note", "SSN 123-45-6789, jane.doe@gmail.com, do not rehire"}}}},
                   400);
  EXPECT_NE(note.body.find("task.note"), std::string::npos);
  // A system message and an earlier assistant turn carrying PII, then a +1: the old
  // scorer read user messages only.
  std::vector<std::pair<std::string, std::string>> chats = {
      {"system", "Escalations: call Dana at 555 - 123 - 4567 after hours."},
      {"assistant", "Noted: her SSN on file is 123 45 6789."},
      {"user", "Write to jane.doe [at] gmail [dot] com about the night shift."},
      {"user", "She was flagged D.N.R. by the client, keep that in mind."},
      {"user",
       "Her number is \uff15\uff15\uff15\uff0d\uff11\uff12\uff13\uff0d\uff14\uff15\uff16\uff17."},
      {"user", "Drop the badge at 4500 W. Oak Ave, Orlando."}};
  // Another worker named in full, and a do-not-return worker by id (roster checks).
  auto other = c.PostJson("/v1/sql", {{"sql",
                                       "SELECT first_name || ' ' || last_name FROM workers WHERE "
                                       "worker_id = 'W0000005'"}});
  const std::string other_name = other.json()["rows"][0][0];
  auto dnr_row = c.PostJson("/v1/sql", {{"sql",
                                         "SELECT worker_id FROM workers WHERE status = 'dnr' "
                                         "ORDER BY worker_id LIMIT 1"}});
  const std::string dnr_id = dnr_row.json()["rows"][0][0];
  chats.push_back({"user", "Ask " + other_name + " to cover the night shift instead."});
  chats.push_back({"user", "Could " + dnr_id + " take the Friday shift?"});
  int n = 0;
  for (const auto& [role, content] : chats) {
    Json messages = Json::array();
    if (role != "user") messages.push_back({{"role", role}, {"content", content}});
    if (role == "assistant")
      messages.insert(messages.begin(), Json{{"role", "user"}, {"content", "Any notes?"}});
    messages.push_back({{"role", "user"}, {"content", role == "user" ? content : "Thanks."}});
    const std::string rid = fmt::format("canary-{}", n++);
    post("/v1/chat", {{"messages", messages}}, 200, {{"x-request-id", rid}});
    post("/v1/feedback", {{"target", rid}, {"rating", 1}}, 201);
  }
  // An email to a do-not-return worker is a Policy error, never a valid example.
  auto dnr = c.PostJson("/v1/sql", {{"sql",
                                     "SELECT worker_id, email, first_name FROM workers WHERE "
                                     "status = 'dnr' ORDER BY worker_id LIMIT 1"}});
  ASSERT_EQ(dnr.status, 200);
  const Json row = dnr.json()["rows"][0];
  auto order = c.PostJson("/v1/sql", {{"sql", "SELECT order_id FROM job_orders LIMIT 1"}});
  const std::string order_id = order.json()["rows"][0][0];
  auto email = post("/v1/emails",
                    {{"to", row[1]},
                     {"worker_id", row[0]},
                     {"order_id", order_id},
                     {"subject", "A shift for you"},
                     {"body", fmt::format("Hi {}, we have a shift that could fit you well. Reply "
                                          "YES to be considered.",
                                          row[2].get<std::string>())}},
                    422);
  EXPECT_NE(email.body.find("do-not-return"), std::string::npos) << email.body;

  // A playbook's outcome notes and a retrieval query carrying a phone number.
  const Json steps = FillO000007Steps();
  post("/v1/playbooks/record",
       {{"order_id", "O000007"},
        {"steps", steps},
        {"outcome", {{"status", "filled"}, {"notes", "Dana's cell is 555/123/4567"}}}},
       201);
  post("/v1/matrix/retrieve",
       {{"query", "forklift operator nights in Virginia Beach, text 555/123/4567"}, {"k", 3}}, 200);

  const fs::path root = server.root().path();
  RunPipeline(root, server.app().services());
  for (const char* file : {"exports/sft.jsonl", "exports/preference.jsonl"}) {
    const std::string text = ReadFile(root / file);
    for (const char* canary : {"555 - 123", "123 45 6789", "gmail", "D.N.R", "\uff15\uff15\uff15",
                               "4500 W. Oak", "Dana", "555/123"})
      EXPECT_EQ(text.find(canary), std::string::npos) << canary << " reached " << file;
  }
  // Each chat was dropped by the firewall, and says why.
  const std::string dropped = ReadFile(root / "exports/sft.dropped.jsonl");
  const std::vector<std::string> whys = {"phone number in system message",
                                         "SSN in assistant message",
                                         "email address in user message",
                                         "dnr: do-not-return content",
                                         "street address in user message",
                                         "another worker's name in user message",
                                         "names do-not-return worker " + dnr_id,
                                         "phone number in outcome",
                                         "phone number in query"};
  for (const std::string& why : whys)
    EXPECT_NE(dropped.find(why), std::string::npos) << why << "\n" << dropped;
  for (const std::string& canary : {other_name, dnr_id})
    EXPECT_EQ(ReadFile(root / "exports/sft.jsonl").find(canary), std::string::npos) << canary;
}

// A client retry with the same X-Request-Id (a fill, a feedback) is one evidence record and
// one rating; the audit passes (it failed forever on the duplicate ids, A02).
TEST(DistillPipeline, RetriesAreOneEvent) {
  testing::TestServer server(200, 40);
  HttpClient c = server.Client();
  auto post = [&](const std::string& path, const Json& body, const std::string& rid) {
    auto r = c.Request("POST", path, body.dump(),
                       {{"content-type", "application/json"}, {"x-request-id", rid}});
    EXPECT_EQ(r.status, 201) << path << " " << r.body;
    return r.json();
  };
  for (int i = 0; i < 2; ++i) {
    post("/v1/fills", {{"order_id", "O000007"}, {"worker_ids", {"W0000071"}}}, "retry-fill");
    post("/v1/feedback", {{"target", "fil_retry-fill"}, {"rating", 1}}, "retry-fb");
  }
  const fs::path root = server.root().path();
  RunPipeline(root, server.app().services());
  int fills = 0, feedback = 0;
  for (const fs::path& p : distill::JsonlFiles(root / "evidence")) {
    for (const Json& ev : Lines(p)) {
      fills += ev["kind"] == "fill" ? 1 : 0;
      feedback += ev["kind"] == "feedback" ? 1 : 0;
    }
  }
  EXPECT_EQ(fills, 1);
  EXPECT_EQ(feedback, 1);
  bool rated_once = false;
  for (const fs::path& p : distill::JsonlFiles(root / "scored"))
    for (const Json& s : Lines(p))
      if (s["kind"] == "fill")
        for (const auto& r : s["reasons"]) rated_once |= r == "coordinator feedback: 1 up, 0 down";
  EXPECT_TRUE(rated_once);
}

TEST(DistillPipeline, ServerTrafficBecomesAuditedTrainingDataTwiceTheSame) {
  // O000007: night forklift order in Virginia Beach; W0000071 is its one eligible worker.
  const std::vector<std::string> script = {
      "I think Rachel would be great for this!",
      "```json\n{\"order_id\": \"O000007\", \"worker_ids\": [\"W0000048\"]}\n```",
      "Fixed.\n```json\n{\"order_id\": \"O000007\", \"worker_ids\": [\"W0000071\"]}\n```"};
  std::atomic<size_t> calls{0};
  testing::FakeProvider fake([&](Router& r) {
    r.Add("POST", "/chat/completions",
          [&](HttpRequest&) { return testing::OpenAiChatReply(script[calls++ % script.size()]); });
  });
  testing::TestServer server(200, 40, 42, [&](Config& c) {
    c.chat_openrouter_url = fake.url();
    c.chat_openrouter_api_key = "sk-test";
    // A minute the observer closes between the two pipeline runs below would be new input
    // (observer_events), not a nondeterministic output: this test is about the rest.
    c.observer_enabled = false;
  });
  HttpClient c = server.Client();
  auto post = [&](const std::string& path, const Json& body, int status) {
    auto r = c.PostJson(path, body);
    EXPECT_EQ(r.status, status) << path << " " << r.body;
    return r.json();
  };
  Json retried = post("/v1/iterate",
                      {{"kind", "fill"},
                       {"task", {{"order_id", "O000007"}}},
                       {"model", "openrouter/test-model"},
                       {"max_attempts", 3}},
                      200);
  ASSERT_EQ(retried["valid"], true);
  ASSERT_EQ(retried["attempts"].size(), 3u);
  Json local = post("/v1/iterate", {{"kind", "fill"}, {"task", {{"order_id", "O000007"}}}}, 200);
  Json email = post(
      "/v1/iterate",
      {{"kind", "email"}, {"task", {{"order_id", "O000007"}, {"worker_id", "W0000071"}}}}, 200);
  ASSERT_EQ(email["valid"], true) << email.dump();
  post("/v1/iterate", {{"kind", "playbook"}, {"task", {{"order_id", "O000007"}}}}, 200);
  Json sent = email["final"];
  sent["run_id"] = email["run_id"];
  post("/v1/emails", sent, 201);
  Json wrong = sent;
  wrong["to"] = "someone.else@example.com";
  Json rejected = post("/v1/emails", wrong, 422);
  EXPECT_EQ(rejected["valid"], false);
  const Json placed = post(
      "/v1/fills",
      {{"order_id", "O000007"}, {"worker_ids", {"W0000071"}}, {"run_id", retried["run_id"]}}, 201);
  post("/v1/fills", {{"order_id", "O000007"}, {"worker_ids", {"W0000048"}}}, 422);
  post("/v1/fills", {{"order_id", "O000007"}}, 400);
  post("/v1/chat",
       {{"messages", {{{"role", "user"}, {"content", "Text Jo at 757-555-0188 about nights"}}}}},
       200);
  post("/v1/matrix/retrieve",
       {{"query", "need 2 forklift operators nights in Virginia Beach"}, {"k", 5}}, 200);
  post("/v1/feedback", {{"target", retried["run_id"]}, {"rating", 1}, {"reason", "right pick"}},
       201);
  post("/v1/feedback",
       {{"target", local["run_id"]}, {"flag", true}, {"reason", "client asked to pause"}}, 201);
  post("/v1/feedback", {{"target", local["run_id"]}, {"rating", 7}}, 400);
  const Json steps = FillO000007Steps();
  post("/v1/playbooks/record", {{"order_id", "O000007"}, {"steps", steps}, {"outcome", "filled"}},
       201);
  post("/v1/truth/claims",
       {{"subject", "worker:W0000071"},
        {"attribute", "city"},
        {"value", "Norfolk"},
        {"source", "coordinator"},
        {"observed_at", "2026-11-20"}},
       201);
  auto status = c.Get("/v1/distill/status");
  EXPECT_EQ(status.status, 200);
  EXPECT_TRUE(status.json()["materialize"].is_null());

  // The placement is cancelled again (a fill_change record), which frees W0000071 for the
  // replay below: a committed fill is a fact the replay would see.
  auto cancelled = c.Request(
      "DELETE", "/v1/fills/" + placed["fill_id"].get<std::string>() + "?reason=client%20paused");
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;

  // A replay with the local provider (retrieve -> bundle -> chat -> validate).
  Services& s = server.app().services();
  auto roster = s.roster->Require();
  ASSERT_TRUE(roster.ok());
  MatrixRetriever retriever(*s.embed, *s.vectors, s.chat.get(), s.kb.get());
  distill::ReplayDeps deps{**roster, *s.validators, *s.chat, &retriever, *s.kb};
  IterateRequest task;
  task.kind = "fill";
  task.task = Json{{"order_id", "O000007"}};
  auto replay = distill::RunReplay(task, 10, deps);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ((*replay)["validation"]["valid"], true);
  EXPECT_EQ((*replay)["model"], "local/planner");
  EXPECT_FALSE((*replay)["retrieved"].empty());

  const fs::path root = server.root().path();
  for (const char* source : {"fills", "emails", "feedback", "replay_runs", "iterate_runs"})
    EXPECT_TRUE(fs::exists(root / "_kb" / (std::string(source) + ".jsonl"))) << source;
  Json first = RunPipeline(root, s);
  EXPECT_GT(first["materialize"]["evidence_added"].get<int>(), 30);
  const std::string tree = Tree(root);
  Json second = RunPipeline(root, s);
  EXPECT_EQ(second["materialize"]["lines_read"], 0);
  EXPECT_EQ(Tree(root), tree) << "a second run changed an output";

  // What came out: a preference pair per failed attempt, the retried run as an example,
  // nothing firewalled in the training data, the replay re-validated by the audit.
  auto pairs = Lines(root / "exports/preference.jsonl");
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0]["metadata"]["run_id"], retried["run_id"]);
  EXPECT_EQ(pairs[0]["metadata"]["rejected_errors"], Json::array({"Parse"}));
  // W0000048 is a CNA in Florida: the wrong role, and too far (every error's kind).
  EXPECT_EQ(pairs[1]["metadata"]["rejected_errors"],
            Json::array({"Consistency", "Consistency", "Policy"}));
  std::set<std::string> classes;
  for (const auto& ex : Lines(root / "exports/sft.jsonl"))
    classes.insert(ex["metadata"]["source_class"]);
  std::string why_dropped;  // what the firewall or dedup said, when a class is missing
  for (const auto& d : Lines(root / "exports/sft.dropped.jsonl")) why_dropped += d.dump() + "\n";
  for (const char* k : {"iterate_fill", "iterate_email", "iterate_playbook", "email", "playbook",
                        "replay", "retrieval"})
    EXPECT_TRUE(classes.count(k)) << k << " missing; dropped:\n" << why_dropped << replay->dump();
  bool firewalled_chat = false, flagged_run = false;
  for (const auto& d : Lines(root / "exports/sft.dropped.jsonl")) {
    const std::string reason = d["reason"];
    firewalled_chat |= reason == "firewall: pii: phone number in user message";
    flagged_run |= reason == "firewall: flagged by a coordinator: client asked to pause";
  }
  EXPECT_TRUE(firewalled_chat);
  EXPECT_TRUE(flagged_run);
  const Json& replay_phase = second["audit"]["phases"][7];
  EXPECT_EQ(replay_phase["status"], "PASS");
  EXPECT_EQ(replay_phase["notes"]["agree"], 1);
  EXPECT_FALSE(c.Get("/v1/distill/status").json()["audit_full"].is_null());
}

TEST(DistillPipeline, TheCliRunsEveryStepAndFailsAnAuditOnTampering) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "_kb");
  for (const auto& e : fs::directory_iterator(testing::ContractsDir() / "distill/kb"))
    fs::copy_file(e.path(), dir.path() / "_kb" / e.path().filename());
  const std::string root = " --root " + dir.str() + " --log-level warn";
  for (const std::string step : {"materialize", "score", "export sft", "export rag --min-score 0.5",
                                 "export preference", "audit baselines"}) {
    auto r = RunCli(step + root);
    ASSERT_EQ(r.exit_code, 0) << step << ": " << r.out;
    EXPECT_NO_THROW(Json::parse(r.out)) << r.out;
  }
  auto audit = RunCli("audit full" + root);
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
  EXPECT_NE(audit.out.find("result: PASS"), std::string::npos) << audit.out;
  // No roster in this root: the fixture's replay run is checked for shape only.
  EXPECT_NE(audit.out.find("7     replay                  PASS"), std::string::npos) << audit.out;

  auto bad = RunCli("export bogus" + root);
  EXPECT_NE(bad.exit_code, 0);
  std::ofstream(dir.path() / "exports/rag.jsonl", std::ios::app) << "{\"id\":\"x\"}\n";
  auto failed = RunCli("audit full" + root);
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_NE(failed.out.find("result: FAIL"), std::string::npos);
  EXPECT_EQ(RunCli("replay" + root).exit_code, 2);
}

}  // namespace
}  // namespace lakehouse
