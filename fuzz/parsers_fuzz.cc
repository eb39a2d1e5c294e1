// fuzz/parsers_fuzz.cc: libFuzzer target over the parsers this project owns.
// The first input byte picks the parser; the rest is its input. Each must never crash,
// hang or read out of bounds (ASan), and must keep its documented invariants:
//   0 record log:     records returned + valid_bytes never exceed the input; re-framing the
//                     returned bodies reproduces exactly the valid prefix
//   1 JSON escaping:  the escaped text is always a valid JSON string
//   2 query strings:  parse never fails; percent-decoding never grows the text; a
//                     Retry-After value (seconds or HTTP date) is never a negative wait
//   3 payload filter: compile any JSON; a compiled filter matches any JSON payload safely;
//                     an object held as payload columns comes back equal, and the filter
//                     bound to the columns agrees with the filter on the JSON
//   4 hash embedder:  any bytes embed to a finite, unit-or-zero vector
//   5 extract_json:   a match is an object, and extracting from its own serialisation
//                     gives it back (found objects are real JSON, not fragments)
//   6 email scanners: dates have a real month/day, phones are 10-digit NANP, words and
//                     placeholders are slices of the input, emails hold an '@'
//   7 memory fields:  an accepted timestamp starts with a real calendar date; an accepted
//                     label has no control characters and fits its limit
//   8 distill:        (next byte: the source) a _kb line a source's transform accepts becomes an
//   evidence line
//                     that parses back (same id, the id is the content hash, line_offset
//                     kept); the firewall scanners take any text
//  10 API keys:       a key id comes only from a token of a key's exact shape; scopes parse
//                     to read/write/admin bits; the admission of any Host, Origin,
//                     Authorization and Content-Type refuses (no key is valid) with a JSON error
//  11 Iceberg:        table metadata JSON (and the schemas in it) that parses comes back equal
//                     through ToJson; a bound encodes any text of any type without reading past it
//   9 CSV records:    (next byte: the delimiter) bad records are in order, inside the input,
//                     never overlap, start on a line and are counted among the records;
//                     every line of the input is a record's, a bad one's or blank
// Build and run: scripts/fuzz.sh (make fuzz).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/guard.h"
#include "auth/keys.h"
#include "core/clock.h"
#include "core/fields.h"
#include "core/http_client.h"
#include "core/json.h"
#include "distill/evidence.h"
#include "distill/evidence_view.h"
#include "distill/firewall.h"
#include "embed/embedder.h"
#include "gateway/http.h"
#include "iceberg/schema.h"
#include "iceberg/table.h"
#include "query/csv_scan.h"
#include "storage/record_log.h"
#include "validate/extract_json.h"
#include "validate/text_scan.h"
#include "vector/payload_columns.h"
#include "vector/payload_filter.h"

using namespace lakehouse;

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 12) {
    case 0: {
      std::string reframed;
      auto r = ParseRecords(in, [&](std::string_view body) {
        AppendRecord(reframed, body);
        return Status::OK();
      });
      Check(r.ok() && r->valid_bytes <= in.size());
      Check(reframed == in.substr(0, r->valid_bytes));
      break;
    }
    case 1: {
      std::string out = "\"";
      AppendJsonEscaped(out, in);
      out += '"';
      Check(ParseJson(out).ok());
      break;
    }
    case 2: {
      auto q = ParseQueryString(in);
      Check(PercentDecode(in, false).size() <= in.size());
      (void)q;
      if (auto wait = ParseRetryAfter(in, 1793000000000)) Check(wait->count() >= 0);
      break;
    }
    case 3: {
      auto j = ParseJson(in);
      if (!j.ok()) break;
      auto f = PayloadFilter::Compile(*j);
      if (f.ok()) {
        (void)f->Matches(*j);
        (void)f->Matches(Json::object());
        (void)f->Matches(Json::parse(R"({"role":"cna","rating":4.5,"skills":["a"],"state":"OH"})"));
      }
      if (j->is_object() && j->size() <= 4096) {  // an index holds at most 4,096 keys
        PayloadColumns columns;
        Check(columns.Set(0, in).ok());
        Check(columns.Get(0) == *j);
        if (f.ok()) Check(f->Bind(columns).Matches(0) == f->Matches(*j));
      }
      break;
    }
    case 4: {
      static HashEmbedder e("hash/default", 64);
      auto v = e.EmbedOne(in);
      double norm = 0;
      for (float x : v) {
        Check(std::isfinite(x));
        norm += x * x;
      }
      Check(norm == 0 || std::fabs(norm - 1.0) < 1e-3);
      break;
    }
    case 5: {
      auto v = ExtractJson(in);
      if (!v) break;
      Check(v->is_object());
      auto again = ExtractJson(DumpJson(*v));
      Check(again.has_value() && *again == *v);
      break;
    }
    case 6: {
      using namespace textscan;
      for (const auto& d : DatesIn(in))
        Check(d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31);
      for (uint64_t p : PhonesIn(in)) Check(p >= 2000000000ULL && p <= 9999999999ULL);
      for (const auto& w : WordsIn(in))
        Check(w.end <= in.size() && in.substr(w.begin, w.end - w.begin) == w.text);
      for (const auto& e : EmailsIn(in)) Check(e.find('@') != std::string::npos);
      if (auto ph = PlaceholderIn(in)) Check(in.find(*ph) != std::string_view::npos);
      (void)ShiftsIn(in);
      for (const auto& m : HourlyAmountsIn(in)) Check(m.text.size() >= 2 && m.text[0] == '$');
      (void)ValidEmailSyntax(in);
      break;
    }
    case 7: {
      if (CheckTimestamp("t", in).ok()) {
        Check(in.size() >= 10);
        const int y = std::atoi(std::string(in.substr(0, 4)).c_str());
        const int m = std::atoi(std::string(in.substr(5, 2)).c_str());
        const int d = std::atoi(std::string(in.substr(8, 2)).c_str());
        const CivilDate back = CivilFromDays(DaysFromCivil(y, m, d));
        Check(back.year == y && back.month == m && back.day == d);
      }
      if (CheckLabel("l", in, 64).ok()) {
        Check(in.size() <= 64);
        for (unsigned char c : in) Check(c >= 0x20 && c != 0x7f);
      }
      (void)CheckText("x", in, 100);
      break;
    }
    case 8: {
      static distill::EvidenceTransformer transformer;
      static distill::EvidenceParser parser;
      // The next byte picks the source (scripts/fuzz.sh seeds real lines that way).
      if (in.empty()) break;
      const auto& sources = distill::Sources();
      const distill::SourceSpec& spec = sources[static_cast<unsigned char>(in[0]) % sources.size()];
      std::string padded(in.substr(1));
      const size_t len = padded.size();
      padded.reserve(len + simdjson::SIMDJSON_PADDING);
      const std::string_view line(padded.data(), len);
      distill::EvidenceDraft d;
      if (transformer.Transform(spec, line, d).ok()) {
        const std::string id = distill::EvidenceId(spec, d);
        std::string out;
        distill::AppendEvidenceLine(out, spec, d, id, 7, "2026-11-24T00:00:00.000Z");
        Check(!out.empty() && out.back() == '\n');
        out.pop_back();
        const size_t n = out.size();
        out.reserve(n + simdjson::SIMDJSON_PADDING);
        auto ev = parser.Parse(std::string_view(out.data(), n));
        Check(ev.ok());
        Check(ev->id == id && ev->line_offset == 7 && ev->source == spec.name);
        distill::EvidenceDraft back{std::string(ev->kind), std::string(ev->day),
                                    std::string(ev->subject), distill::Minify(ev->payload)};
        Check(distill::EvidenceId(spec, back) == id);
      }
      std::vector<std::string> reasons;
      distill::FindPii(in, "x", {"a@b.co"}, reasons);
      (void)distill::ContainsSsn(in);
      (void)distill::ContainsDnr(in);
      break;
    }
    case 9: {
      if (in.empty()) break;
      static constexpr char kDelimiters[] = {',', '\t', ';', '|'};
      const char delimiter = kDelimiters[static_cast<unsigned char>(in[0]) % 4];
      const std::string_view csv = in.substr(1);
      const CsvRecordScan scan = ScanCsvRecords(csv, delimiter, 1);
      Check(static_cast<size_t>(scan.records) >= scan.bad.size());
      size_t prev_end = 0;
      int64_t prev_line = 0;
      for (const CsvBadRecord& b : scan.bad) {
        Check(b.begin >= prev_end && b.begin < b.end && b.end <= csv.size());
        Check(b.begin == 0 || csv[b.begin - 1] == '\n');  // starts on a line
        Check(b.line > prev_line && b.lines >= 1 && !b.reason.empty());
        // The line number is the count of newlines before it.
        Check(b.line == 1 + static_cast<int64_t>(std::count(
                                csv.begin(), csv.begin() + static_cast<long>(b.begin), '\n')));
        prev_end = b.end;
        prev_line = b.line;
      }
      // Non-blank lines bound the records from above (a record spans one line or more).
      int64_t non_blank = 0;
      size_t at = 0;
      while (at < csv.size()) {
        size_t nl = csv.find('\n', at);
        if (nl == std::string_view::npos) nl = csv.size();
        std::string_view line = csv.substr(at, nl - at);
        if (!line.empty() && line != "\r") ++non_blank;
        at = nl + 1;
      }
      Check(scan.records <= non_blank);
      break;
    }
    case 10: {
      // A key id is 12 lower-case hex taken from a token of exactly a key's shape.
      const std::string id = auth::KeyIdOf(in);
      Check(id.empty() || (id.size() == 12 && in.size() == 64 && in.substr(3, 12) == id));
      auto scopes = auth::ParseScopes(in);
      Check(!scopes.ok() || (*scopes >= 1 && *scopes <= 7));
      // The admission of a request whose Host, Origin, Authorization and Content-Type are
      // slices of the input: it decides without crashing, and a refusal is a JSON error.
      static auth::KeyStore* keys = [] {
        auto s = auth::KeyStore::Open("build-fuzz/keys-root");
        return s.ok() ? s->release() : nullptr;
      }();
      static RequestGuard guard(GuardOptions{true}, keys, nullptr);
      static Router router = [] {
        Router r;
        r.Add("POST", "/v1/sql", [](HttpRequest&) { return HttpResponse::Text(200, ""); });
        return r;
      }();
      HttpRequest req;
      req.method = "POST";
      req.path = "/v1/sql";
      const size_t q = in.size() / 4;
      req.headers = {{"host", std::string(in.substr(0, q))},
                     {"origin", std::string(in.substr(q, q))},
                     {"authorization", std::string(in.substr(2 * q, q))},
                     {"content-type", std::string(in.substr(3 * q))},
                     {"content-length", "2"}};
      const Admission a = guard.Admit(req, router.Find("POST", "/v1/sql"));
      Check(a.refuse.has_value());  // no valid key can be in the input
      Check(a.refuse->status >= 400 && ParseJsonObject(a.refuse->body).ok());
      break;
    }
    case 11: {
      auto j = ParseJson(in);
      if (j.ok()) {
        auto meta = iceberg::TableMetadata::FromJson(*j);
        if (meta.ok()) {
          auto again = iceberg::TableMetadata::FromJson(meta->ToJson());
          Check(again.ok() && again->ToJson() == meta->ToJson());
        }
      }
      for (const char* t : {"int", "long", "date", "double", "float", "boolean", "string"}) {
        auto b = iceberg::EncodeBound(Json(t), in, (in.size() & 1) != 0);
        Check(!b || b->size() <= std::max<size_t>(in.size(), 8));
      }
      break;
    }
  }
  return 0;
}
