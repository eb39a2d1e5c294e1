#include "validate/roster_fixture.h"

#include <gtest/gtest.h>

namespace lakehouse::testing {
namespace {

// Dayton, OH is at 39.7589, -84.1916; Columbus, OH (~65 miles away) at 39.9612, -82.9988.
std::string Worker(const std::string& id, const std::string& first, const std::string& last,
                   const std::string& role, const std::string& certs, const std::string& shift,
                   bool available, const std::string& status, double lat = 39.76,
                   double lon = -84.19, const std::string& city = "Dayton") {
  return "{\"worker_id\":\"" + id + "\",\"first_name\":\"" + first + "\",\"last_name\":\"" + last +
         "\",\"email\":\"" + first + "." + last + "@example.com\",\"phone\":\"+1-937-555-0" +
         id.substr(id.size() - 3) + "\",\"role\":\"" + role +
         "\",\"skills\":[],\"certifications\":" + certs + ",\"city\":\"" + city +
         "\",\"state\":\"OH\",\"lat\":" + std::to_string(lat) + ",\"lon\":" + std::to_string(lon) +
         ",\"shift_pref\":\"" + shift + "\",\"available\":" + (available ? "true" : "false") +
         ",\"status\":\"" + status +
         "\",\"rating\":4.5,\"reliability\":0.9,\"pay_rate\":19.0,\"years_experience\":3}\n";
}

}  // namespace

RosterFixture::RosterFixture() {
  auto s = Services::Open(TestConfig(dir_.str()), /*with_vectors=*/false);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  services_ = std::move(*s);
  const std::string fork = "forklift operator", cert = "[\"forklift certification\"]";
  Ingest("workers", Worker("W001", "Ana", "Diaz", fork, cert, "day", true, "active") +
                        Worker("W002", "Ben", "Cole", fork, cert, "any", true, "active") +
                        Worker("W003", "Cara", "Dunn", "welder", cert, "day", true, "active") +
                        Worker("W004", "Dan", "Eddy", fork, cert, "day", true, "dnr") +
                        Worker("W005", "Eve", "Falk", fork, cert, "day", true, "inactive") +
                        Worker("W006", "Fay", "Gill", fork, cert, "day", false, "active") +
                        Worker("W007", "Gus", "Hale", fork, cert, "night", true, "active") +
                        Worker("W008", "Hal", "Ives", fork, "[]", "day", true, "active") +
                        Worker("W009", "Ida", "Jude", fork, cert, "day", true, "active", 39.9612,
                               -82.9988, "Columbus") +
                        Worker("W010", "Jon", "Kerr", fork, cert, "day", true, "active") +
                        Worker("W011", "Kim", "Lowe", fork, cert, "day", true, "active") +
                        Worker("W012", "Lea", "Moss", fork, cert, "day", true, "active"));
  auto order = [](const std::string& id, const std::string& status, int64_t headcount,
                  const std::string& start, const std::string& end) {
    return "{\"order_id\":\"" + id +
           "\",\"client_id\":\"C00001\",\"client_name\":\"Acme Logistics\",\"role\":\"forklift "
           "operator\",\"headcount\":" +
           std::to_string(headcount) + ",\"shift\":\"day\",\"start_date\":\"" + start +
           "\",\"end_date\":\"" + end +
           "\",\"city\":\"Dayton\",\"state\":\"OH\",\"lat\":39.7589,\"lon\":-84.1916,"
           "\"pay_rate\":19.5,\"required_certifications\":[\"forklift certification\"],"
           "\"required_skills\":[\"pallet jack\"],\"status\":\"" +
           status + "\"}\n";
  };
  Ingest("job_orders", order("O001", "open", 3, "2026-12-01", "2026-12-31") +
                           order("O002", "filled", 1, "2026-11-15", "2026-12-15") +
                           order("O003", "open", 1, "2027-03-01", "2027-03-31"));
  Ingest("fills",
         "{\"order_id\":\"O002\",\"worker_id\":\"W010\",\"start_date\":\"2026-11-15\",\"end_date\":"
         "\"2026-12-15\"}\n"
         "{\"order_id\":\"O001\",\"worker_id\":\"W011\",\"start_date\":\"2026-12-01\",\"end_date\":"
         "\"2026-12-31\"}\n");
  auto r = Roster::Load(*services_->query, *services_->catalog);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok()) roster_ = *r;
}

void RosterFixture::Ingest(const std::string& dataset, const std::string& jsonl) {
  const auto path = dir_.path() / (dataset + ".jsonl");
  WriteFile(path, jsonl);
  auto r = services_->ingestor->Ingest(dataset, IngestFormat::kJsonl, path.string(), "test");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

}  // namespace lakehouse::testing
