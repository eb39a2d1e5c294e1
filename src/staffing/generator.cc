#include "staffing/generator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/clock.h"
#include "staffing/taxonomy.h"

namespace lakehouse::staffing {
namespace {

// splitmix64: a tiny, well-mixed generator whose output is defined by its arithmetic
// alone (unlike std:: distributions, whose algorithms differ between libraries).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t table, uint64_t row)
      : s_(seed * 0x9E3779B97F4A7C15ULL ^ (table << 56) ^ row) {
    Next();
    Next();
  }
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  //! Uniform in [0, n).
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  //! Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Between(double lo, double hi) { return lo + (hi - lo) * Unit(); }
  bool Chance(double p) { return Unit() < p; }
  //! Approximately normal (sum of 4 uniforms), mean 0, sd 1.
  double Normal() { return (Unit() + Unit() + Unit() + Unit() - 2.0) * 1.7320508; }

 private:
  uint64_t s_;
};

class WeightedPick {
 public:
  template <typename Items, typename WeightOf>
  WeightedPick(const Items& items, WeightOf weight_of) {
    double total = 0;
    for (const auto& it : items) {
      total += weight_of(it);
      cumulative_.push_back(total);
    }
  }
  size_t Pick(Rng& rng) const {
    const double x = rng.Unit() * cumulative_.back();
    return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) -
                               cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};

constexpr std::string_view kFirstNames[] = {
    "James",     "Mary",     "Robert",    "Patricia",  "John",      "Jennifer", "Michael",
    "Linda",     "David",    "Elizabeth", "William",   "Barbara",   "Richard",  "Susan",
    "Joseph",    "Jessica",  "Thomas",    "Sarah",     "Carlos",    "Karen",    "Christopher",
    "Lisa",      "Daniel",   "Nancy",     "Matthew",   "Betty",     "Anthony",  "Sandra",
    "Mark",      "Margaret", "Donald",    "Ashley",    "Steven",    "Kimberly", "Andrew",
    "Emily",     "Paul",     "Donna",     "Joshua",    "Michelle",  "Kenneth",  "Carol",
    "Kevin",     "Amanda",   "Brian",     "Melissa",   "Luis",      "Deborah",  "Jose",
    "Stephanie", "Juan",     "Maria",     "Ryan",      "Rebecca",   "Jacob",    "Laura",
    "Gary",      "Sharon",   "Nicholas",  "Cynthia",   "Eric",      "Kathleen", "Jonathan",
    "Amy",       "Stephen",  "Angela",    "Larry",     "Shirley",   "Justin",   "Brenda",
    "Scott",     "Emma",     "Brandon",   "Anna",      "Benjamin",  "Pamela",   "Samuel",
    "Nicole",    "Gregory",  "Samantha",  "Alexander", "Katherine", "Patrick",  "Christine",
    "Frank",     "Debra",    "Raymond",   "Rachel",    "Jack",      "Carolyn",  "Dennis",
    "Janet",     "Jerry",    "Maya",      "Tyler",     "Olivia",    "Aaron",    "Sofia",
    "Jamal",     "Aisha",    "Darnell",   "Keisha",    "Wei",       "Mei",      "Arjun",
    "Priya",     "Mohammed", "Fatima",    "Diego",     "Lucia",     "Andre",    "Tanya"};
constexpr std::string_view kLastNames[] = {
    "Smith",    "Johnson",   "Williams",   "Brown",     "Jones",    "Garcia",   "Miller",
    "Davis",    "Rodriguez", "Martinez",   "Hernandez", "Lopez",    "Gonzalez", "Wilson",
    "Anderson", "Thomas",    "Taylor",     "Moore",     "Jackson",  "Martin",   "Lee",
    "Perez",    "Thompson",  "White",      "Harris",    "Sanchez",  "Clark",    "Ramirez",
    "Lewis",    "Robinson",  "Walker",     "Young",     "Allen",    "King",     "Wright",
    "Scott",    "Torres",    "Nguyen",     "Hill",      "Flores",   "Green",    "Adams",
    "Nelson",   "Baker",     "Hall",       "Rivera",    "Campbell", "Mitchell", "Carter",
    "Roberts",  "Gomez",     "Phillips",   "Evans",     "Turner",   "Diaz",     "Parker",
    "Cruz",     "Edwards",   "Collins",    "Reyes",     "Stewart",  "Morris",   "Morales",
    "Murphy",   "Cook",      "Rogers",     "Gutierrez", "Ortiz",    "Morgan",   "Cooper",
    "Peterson", "Bailey",    "Reed",       "Kelly",     "Howard",   "Ramos",    "Kim",
    "Cox",      "Ward",      "Richardson", "Watson",    "Brooks",   "Chavez",   "Wood",
    "James",    "Bennett",   "Gray",       "Mendoza",   "Ruiz",     "Hughes",   "Price",
    "Alvarez",  "Castillo",  "Sanders",    "Patel",     "Myers",    "Long",     "Ross",
    "Foster",   "Jimenez",   "Okafor",     "Chen",      "Singh",    "Kowalski", "Novak",
    "Haddad"};
constexpr std::string_view kClientPrefixes[] = {
    "Acme",     "Buckeye",   "Summit",      "Riverbend",  "Keystone",   "Pioneer",
    "Lakeside", "Heartland", "Granite",     "Evergreen",  "Blue Ridge", "Ironwood",
    "Prairie",  "Harbor",    "Northstar",   "Red Oak",    "Silverline", "Cardinal",
    "Liberty",  "Sunbelt",   "Great Lakes", "Coastal",    "Frontier",   "Magnolia",
    "Cascade",  "Union",     "Patriot",     "Tri-County", "Midwest",    "Gulf"};
struct ClientKind {
  std::string_view suffix;
  std::string_view industry;
};
constexpr ClientKind kClientKinds[] = {{"Logistics", "logistics"},
                                       {"Distribution", "logistics"},
                                       {"Foods", "food processing"},
                                       {"Manufacturing", "manufacturing"},
                                       {"Health Partners", "healthcare"},
                                       {"Senior Living", "healthcare"},
                                       {"Hospitality Group", "hospitality"},
                                       {"Builders", "construction"},
                                       {"Fabrication", "manufacturing"},
                                       {"Freight", "transportation"},
                                       {"Retail Co", "retail"},
                                       {"Medical Center", "healthcare"},
                                       {"Packaging", "manufacturing"},
                                       {"Facility Services", "facilities"},
                                       {"Events", "hospitality"}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::erase_if(out, [](char c) { return c == ' ' || c == '\''; });
  return out;
}

double Round(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

//! `count` distinct items of `pool`, earlier items more likely, in pool order.
std::vector<std::string_view> PickSome(Rng& rng, std::span<const std::string_view> pool,
                                       size_t count) {
  count = std::min(count, pool.size());
  std::vector<size_t> idx(pool.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  // Weighted shuffle prefix: weight decays with position.
  std::vector<std::string_view> out;
  std::vector<bool> taken(pool.size(), false);
  while (out.size() < count) {
    double total = 0;
    for (size_t i = 0; i < pool.size(); ++i)
      if (!taken[i]) total += 1.0 / (1.0 + 0.35 * static_cast<double>(i));
    double x = rng.Unit() * total;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (taken[i]) continue;
      x -= 1.0 / (1.0 + 0.35 * static_cast<double>(i));
      if (x <= 0) {
        taken[i] = true;
        out.push_back(pool[i]);
        break;
      }
    }
    if (x > 0) {  // rounding: take the last free item
      for (size_t i = pool.size(); i-- > 0;)
        if (!taken[i]) {
          taken[i] = true;
          out.push_back(pool[i]);
          break;
        }
    }
  }
  std::sort(out.begin(), out.end(), [&](std::string_view a, std::string_view b) {
    return std::find(pool.begin(), pool.end(), a) < std::find(pool.begin(), pool.end(), b);
  });
  return out;
}

std::string_view PickShift(Rng& rng, const Role& role, bool for_worker) {
  const double night = role.nights_common ? 0.30 : 0.10;
  const double x = rng.Unit();
  if (for_worker) {
    if (x < 0.40) return "day";
    if (x < 0.40 + night) return "night";
    if (x < 0.55 + night) return "swing";
    return "any";
  }
  if (x < 0.55) return "day";
  if (x < 0.55 + night) return "night";
  return "swing";
}

enum Table : uint64_t { kWorkersTable = 1, kClientsTable = 2, kOrdersTable = 3 };

struct WorkerLite {  // what the fills ledger needs to pick matching workers
  uint16_t role;
  uint16_t city;
  bool active;
  std::vector<std::string_view> certs;
};

}  // namespace

Json GenReport::ToJson() const {
  Json tables_json = Json::array();
  for (const auto& t : tables)
    tables_json.push_back(Json{{"dataset", t.dataset}, {"version", t.version}, {"rows", t.rows}});
  return Json{{"datasets", tables_json}, {"elapsed_ms", Round(elapsed_ms, 3)}};
}

Result<GenReport> Generate(Workspace& ws, const GenOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  if (opt.workers < 0 || opt.orders < 0)
    return Status::InvalidArgument("--workers and --orders must be >= 0");
  const auto roles = Roles();
  const auto cities = Cities();
  const WeightedPick role_pick(roles, [](const Role& r) { return r.weight; });
  const WeightedPick city_pick(cities, [](const City& c) { return c.weight; });
  const int32_t anchor = static_cast<int32_t>(DaysFromCivil(kAnchorYear, kAnchorMonth, kAnchorDay));
  const std::string source =
      fmt::format("gen --seed {} --workers {} --orders {}", opt.seed, opt.workers, opt.orders);
  Progress no_progress;
  Progress& prog = opt.progress != nullptr ? *opt.progress : no_progress;
  GenReport report;
  auto record = [&](const DatasetVersion& v, const std::string& name) {
    report.tables.push_back({name, v.version, v.row_count});
  };

  // ---- workers ----
  std::vector<WorkerLite> lite;
  lite.reserve(static_cast<size_t>(opt.workers));
  {
    LH_ASSIGN_OR_RETURN(
        auto w,
        DatasetWriter::Begin(
            ws, "workers",
            {{"worker_id", ColumnKind::kString},     {"first_name", ColumnKind::kString},
             {"last_name", ColumnKind::kString},     {"email", ColumnKind::kString},
             {"phone", ColumnKind::kString},         {"role", ColumnKind::kString},
             {"skills", ColumnKind::kStringList},    {"certifications", ColumnKind::kStringList},
             {"city", ColumnKind::kString},          {"state", ColumnKind::kString},
             {"lat", ColumnKind::kDouble},           {"lon", ColumnKind::kDouble},
             {"shift_pref", ColumnKind::kString},    {"available", ColumnKind::kBool},
             {"status", ColumnKind::kString},        {"rating", ColumnKind::kDouble},
             {"reliability", ColumnKind::kDouble},   {"pay_rate", ColumnKind::kDouble},
             {"years_experience", ColumnKind::kInt}, {"last_assignment_date", ColumnKind::kDate}}));
    std::string id, email, phone;
    prog.Phase("workers", opt.workers, "rows");
    for (int64_t i = 0; i < opt.workers; ++i) {
      Rng rng(opt.seed, kWorkersTable, static_cast<uint64_t>(i));
      const size_t ri = role_pick.Pick(rng);
      const size_t ci = city_pick.Pick(rng);
      const Role& role = roles[ri];
      const City& city = cities[ci];
      const std::string_view first = kFirstNames[rng.Below(std::size(kFirstNames))];
      const std::string_view last = kLastNames[rng.Below(std::size(kLastNames))];
      const int64_t n = i + 1;
      id = fmt::format("W{:07d}", n);
      email = fmt::format("{}.{}.{}@example.com", Lower(first), Lower(last), n);
      phone = fmt::format("+1-{:03d}-{:03d}-{:04d}", 201 + (ci * 7) % 780, (n / 10000) % 1000,
                          n % 10000);
      auto skills = PickSome(rng, role.skills, 3 + rng.Below(4));
      std::vector<std::string_view> certs;
      for (size_t k = 0; k < role.certifications.size(); ++k) {
        if (rng.Chance(k == 0 ? 0.8 : 0.35)) certs.push_back(role.certifications[k]);
      }
      const double status_x = rng.Unit();
      const std::string_view status = status_x < 0.93   ? "active"
                                      : status_x < 0.98 ? "inactive"
                                                        : "dnr";
      const int64_t years =
          static_cast<int64_t>(std::min(30.0, std::floor(std::pow(rng.Unit(), 1.6) * 25.0)));
      const double pay = Round(
          role.pay_low + (role.pay_high - role.pay_low) *
                             std::clamp(0.15 + years / 30.0 + 0.25 * rng.Normal() * 0.5, 0.0, 1.0),
          2);
      w->String(id);
      w->String(first);
      w->String(last);
      w->String(email);
      w->String(phone);
      w->String(role.name);
      w->StringList(skills);
      w->StringList(certs);
      w->String(city.name);
      w->String(city.state);
      w->Double(Round(city.lat + rng.Between(-0.18, 0.18), 5));
      w->Double(Round(city.lon + rng.Between(-0.22, 0.22), 5));
      w->String(PickShift(rng, role, /*for_worker=*/true));
      w->Bool(rng.Chance(0.70));
      w->String(status);
      w->Double(Round(std::clamp(4.0 + 0.6 * rng.Normal(), 1.0, 5.0), 1));
      w->Double(Round(std::clamp(0.82 + 0.12 * rng.Normal(), 0.0, 1.0), 3));
      w->Double(pay);
      w->Int(years);
      if (rng.Chance(0.15)) {
        w->Null();
      } else {
        w->Date(anchor - static_cast<int32_t>(1 + rng.Below(540)));
      }
      LH_RETURN_IF_ERROR(w->EndRow());
      prog.Add();
      lite.push_back(WorkerLite{static_cast<uint16_t>(ri), static_cast<uint16_t>(ci),
                                status == "active", std::move(certs)});
    }
    LH_ASSIGN_OR_RETURN(auto v, w->Commit(source));
    record(v, "workers");
  }

  // ---- clients ----
  const int64_t n_clients = opt.clients > 0 ? opt.clients : std::max<int64_t>(10, opt.orders / 20);
  struct ClientLite {
    std::string id, name;
    size_t city;
  };
  std::vector<ClientLite> clients;
  {
    LH_ASSIGN_OR_RETURN(auto w, DatasetWriter::Begin(ws, "clients",
                                                     {{"client_id", ColumnKind::kString},
                                                      {"name", ColumnKind::kString},
                                                      {"industry", ColumnKind::kString},
                                                      {"city", ColumnKind::kString},
                                                      {"state", ColumnKind::kString},
                                                      {"contact_email", ColumnKind::kString},
                                                      {"since_date", ColumnKind::kDate}}));
    prog.Phase("clients", n_clients, "rows");
    for (int64_t i = 0; i < n_clients; ++i) {
      Rng rng(opt.seed, kClientsTable, static_cast<uint64_t>(i));
      const auto& kind = kClientKinds[rng.Below(std::size(kClientKinds))];
      const size_t ci = city_pick.Pick(rng);
      ClientLite c{
          fmt::format("C{:05d}", i + 1),
          fmt::format("{} {}", kClientPrefixes[rng.Below(std::size(kClientPrefixes))], kind.suffix),
          ci};
      w->String(c.id);
      w->String(c.name);
      w->String(kind.industry);
      w->String(cities[ci].name);
      w->String(cities[ci].state);
      w->String(fmt::format("staffing.{}@client.example.com", Lower(c.id)));
      w->Date(anchor - static_cast<int32_t>(30 + rng.Below(3000)));
      LH_RETURN_IF_ERROR(w->EndRow());
      prog.Add();
      clients.push_back(std::move(c));
    }
    LH_ASSIGN_OR_RETURN(auto v, w->Commit(source));
    record(v, "clients");
  }

  // ---- job orders, and fills for the filled ones ----
  // Workers by (role, city) so a filled order takes workers who match it.
  std::map<std::pair<uint16_t, uint16_t>, std::vector<uint32_t>> pool;
  for (uint32_t i = 0; i < lite.size(); ++i) {
    if (lite[i].active) pool[{lite[i].role, lite[i].city}].push_back(i);
  }
  std::vector<bool> booked(lite.size(), false);
  struct FillRow {
    std::string order_id;
    uint32_t worker;
    int32_t start, end;
  };
  std::vector<FillRow> fills;
  {
    LH_ASSIGN_OR_RETURN(auto w,
                        DatasetWriter::Begin(ws, "job_orders",
                                             {{"order_id", ColumnKind::kString},
                                              {"client_id", ColumnKind::kString},
                                              {"client_name", ColumnKind::kString},
                                              {"role", ColumnKind::kString},
                                              {"headcount", ColumnKind::kInt},
                                              {"shift", ColumnKind::kString},
                                              {"start_date", ColumnKind::kDate},
                                              {"end_date", ColumnKind::kDate},
                                              {"city", ColumnKind::kString},
                                              {"state", ColumnKind::kString},
                                              {"lat", ColumnKind::kDouble},
                                              {"lon", ColumnKind::kDouble},
                                              {"pay_rate", ColumnKind::kDouble},
                                              {"required_certifications", ColumnKind::kStringList},
                                              {"required_skills", ColumnKind::kStringList},
                                              {"status", ColumnKind::kString}}));
    prog.Phase("job_orders", opt.orders, "rows");
    for (int64_t i = 0; i < opt.orders; ++i) {
      Rng rng(opt.seed, kOrdersTable, static_cast<uint64_t>(i));
      const ClientLite& client = clients[rng.Below(clients.size())];
      const size_t ri = role_pick.Pick(rng);
      const Role& role = roles[ri];
      const size_t ci = rng.Chance(0.8) ? client.city : city_pick.Pick(rng);
      const City& city = cities[ci];
      const int64_t headcount = rng.Chance(0.12) ? 10 + static_cast<int64_t>(rng.Below(16))
                                                 : 1 + static_cast<int64_t>(rng.Below(6));
      const std::string_view shift = PickShift(rng, role, /*for_worker=*/false);
      const int32_t start_date = anchor - 30 + static_cast<int32_t>(rng.Below(76));
      const int32_t end_date = start_date + 14 + static_cast<int32_t>(rng.Below(107));
      const double premium = shift == "night" ? 1.5 : shift == "swing" ? 0.75 : 0.0;
      const double pay = Round(rng.Between(role.pay_low, role.pay_high) + premium, 2);
      std::vector<std::string_view> req_certs;
      if (!role.certifications.empty() && rng.Chance(0.6))
        req_certs.push_back(role.certifications[0]);
      if (role.certifications.size() > 1 && rng.Chance(0.15))
        req_certs.push_back(role.certifications[1]);
      auto req_skills = PickSome(rng, role.skills, 1 + rng.Below(3));
      const double sx = rng.Unit();
      std::string_view status = sx < 0.72 ? "open" : sx < 0.90 ? "filled" : "cancelled";
      const std::string order_id = fmt::format("O{:06d}", i + 1);
      if (status == "filled") {
        // Take matching, unbooked workers from the order's city; an order that cannot be
        // staffed completely stays open with what it got.
        auto it = pool.find({static_cast<uint16_t>(ri), static_cast<uint16_t>(ci)});
        int64_t placed = 0;
        if (it != pool.end()) {
          const auto& cands = it->second;
          const size_t offset = rng.Below(cands.size());
          for (size_t k = 0; k < cands.size() && placed < headcount; ++k) {
            const uint32_t wi = cands[(offset + k) % cands.size()];
            if (booked[wi]) continue;
            const auto& have = lite[wi].certs;
            bool ok = std::all_of(req_certs.begin(), req_certs.end(), [&](std::string_view c) {
              return std::find(have.begin(), have.end(), c) != have.end();
            });
            if (!ok) continue;
            booked[wi] = true;
            fills.push_back({order_id, wi, start_date, end_date});
            ++placed;
          }
        }
        if (placed < headcount) status = "open";
      }
      w->String(order_id);
      w->String(client.id);
      w->String(client.name);
      w->String(role.name);
      w->Int(headcount);
      w->String(shift);
      w->Date(start_date);
      w->Date(end_date);
      w->String(city.name);
      w->String(city.state);
      w->Double(Round(city.lat + rng.Between(-0.08, 0.08), 5));
      w->Double(Round(city.lon + rng.Between(-0.1, 0.1), 5));
      w->Double(pay);
      w->StringList(req_certs);
      w->StringList(req_skills);
      w->String(status);
      LH_RETURN_IF_ERROR(w->EndRow());
      prog.Add();
    }
    LH_ASSIGN_OR_RETURN(auto v, w->Commit(source));
    record(v, "job_orders");
  }
  {
    LH_ASSIGN_OR_RETURN(auto w, DatasetWriter::Begin(ws, "fills",
                                                     {{"order_id", ColumnKind::kString},
                                                      {"worker_id", ColumnKind::kString},
                                                      {"start_date", ColumnKind::kDate},
                                                      {"end_date", ColumnKind::kDate}}));
    prog.Phase("fills", static_cast<int64_t>(fills.size()), "rows");
    for (const auto& f : fills) {
      w->String(f.order_id);
      w->String(fmt::format("W{:07d}", f.worker + 1));
      w->Date(f.start);
      w->Date(f.end);
      LH_RETURN_IF_ERROR(w->EndRow());
      prog.Add();
    }
    LH_ASSIGN_OR_RETURN(auto v, w->Commit(source));
    record(v, "fills");
  }
  report.elapsed_ms = static_cast<double>(MicrosSince(start)) / 1000.0;
  return report;
}

}  // namespace lakehouse::staffing
