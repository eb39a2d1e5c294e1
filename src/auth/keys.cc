#include "auth/keys.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"

namespace lakehouse::auth {
namespace {

constexpr std::string_view kPrefix = "lh_";
constexpr size_t kIdChars = 12;
constexpr size_t kSecretChars = 48;
constexpr size_t kTokenChars = kPrefix.size() + kIdChars + 1 + kSecretChars;

//! 64 hex characters -> 32 bytes (false when `hex` is not that).
bool DecodeDigest(std::string_view hex, std::array<unsigned char, 32>& out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < 32; ++i)
    out[i] = static_cast<unsigned char>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  return true;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return !s.empty();
}

std::string Rfc3339OrNull(int64_t ms) {
  return ms == 0 ? std::string() : FormatRfc3339Millis(ms);
}

}  // namespace

const char* ScopeName(Scope s) {
  switch (s) {
    case kRead:
      return "read";
    case kWrite:
      return "write";
    case kAdmin:
      return "admin";
  }
  return "read";
}

Result<uint8_t> ParseScopes(std::string_view comma_separated) {
  Json list = Json::array();
  for (const auto& s : SplitList(comma_separated)) list.push_back(s);
  return ParseScopesJson(list);
}

Result<uint8_t> ParseScopesJson(const Json& value) {
  if (value.is_string()) return ParseScopes(std::string_view(value.get_ref<const std::string&>()));
  if (!value.is_array())
    return Status::InvalidArgument("scopes must be a list of read, write, admin");
  uint8_t bits = 0;
  for (const Json& s : value) {
    const std::string name = s.is_string() ? s.get<std::string>() : s.dump();
    if (name == "read") {
      bits |= kRead;
    } else if (name == "write") {
      bits |= kWrite;
    } else if (name == "admin") {
      bits |= kAdmin;
    } else {
      return Status::InvalidArgument(
          fmt::format("unknown scope '{}': scopes are read, write, admin", name));
    }
  }
  if (bits == 0)
    return Status::InvalidArgument("a key needs at least one scope: read, write, admin");
  return bits;
}

Json ScopesJson(uint8_t scopes) {
  Json out = Json::array();
  for (Scope s : {kRead, kWrite, kAdmin})
    if (scopes & s) out.push_back(ScopeName(s));
  return out;
}

const char* AuthFailureName(AuthFailure f) {
  switch (f) {
    case AuthFailure::kMissing:
      return "missing";
    case AuthFailure::kMalformed:
      return "malformed";
    case AuthFailure::kUnknown:
      return "unknown";
    case AuthFailure::kRevoked:
      return "revoked";
  }
  return "unknown";
}

std::string KeyIdOf(std::string_view token) {
  if (token.size() != kTokenChars || !token.starts_with(kPrefix) ||
      token[kPrefix.size() + kIdChars] != '_')
    return "";
  std::string_view id = token.substr(kPrefix.size(), kIdChars);
  return IsLowerHex(id) ? std::string(id) : "";
}

Json ApiKey::ToJson() const {
  Json j = Json::object();
  j["id"] = id;
  j["name"] = name;
  j["prefix"] = fmt::format("{}{}_", kPrefix, id);
  j["scopes"] = ScopesJson(scopes);
  j["rate"] = rate;
  j["concurrency"] = concurrency;
  j["created_at"] = Rfc3339OrNull(created_ms);
  j["revoked_at"] = revoked_ms == 0 ? Json(nullptr) : Json(Rfc3339OrNull(revoked_ms));
  return j;
}

Json NewKey::ToJson() const {
  Json j = Json::object();
  j["id"] = key.id;
  j["name"] = key.name;
  j["key"] = secret;
  const Json rest = key.ToJson();
  for (auto& [k, v] : rest.items())
    if (!j.contains(k)) j[k] = v;
  return j;
}

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& root) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(root) / "auth";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  ::chmod(dir.c_str(), 0700);
  const std::string path = (dir / "keys.log").string();
  // Created private before the log opens it (its own create would use 0644).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return StatusFromErrno(errno, "cannot open " + path);
  ::fchmod(fd, 0600);
  ::close(fd);
  // The change counter every process maps (MAP_SHARED): bumped after each durable append.
  const std::string gen_path = (dir / "keys.gen").string();
  const int gfd = ::open(gen_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (gfd < 0) return StatusFromErrno(errno, "cannot open " + gen_path);
  struct stat st {};
  if (::fstat(gfd, &st) != 0 || (st.st_size < 8 && ::ftruncate(gfd, 8) != 0)) {
    const int err = errno;
    ::close(gfd);
    return StatusFromErrno(err, "cannot size " + gen_path);
  }
  void* map = ::mmap(nullptr, 8, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);
  ::close(gfd);  // the mapping stays
  if (map == MAP_FAILED) return StatusFromErrno(errno, "cannot map " + gen_path);
  auto store = std::unique_ptr<KeyStore>(new KeyStore(path, static_cast<uint64_t*>(map)));
  store->seen_generation_.store(store->Generation().load(std::memory_order_acquire));
  WriterLock lock(store->mu_);  // uncontended: nobody else has the store yet
  LH_ASSIGN_OR_RETURN(store->log_,
                      SharedRecordLog::Open(path, "the API key store",
                                            [&](std::string_view body) LH_REQUIRES(store->mu_) {
                                              return store->ApplyRecord(body);
                                            }));
  return store;
}

KeyStore::~KeyStore() {
  ::munmap(generation_, 8);
}

Status KeyStore::ApplyRecord(std::string_view body) {
  auto rec = ParseJsonObject(body);
  if (!rec.ok()) return Status::Corruption(path_ + ": a record is not JSON");
  const std::string op = StringField(*rec, "op");
  const std::string id = StringField(*rec, "id");
  if (op == "create") {
    auto key = std::make_shared<ApiKey>();
    key->id = id;
    key->name = StringField(*rec, "name");
    key->sha256 = StringField(*rec, "sha256");
    if (!IsLowerHex(key->sha256) || !DecodeDigest(key->sha256, key->digest))
      return Status::Corruption(fmt::format("{}: key {} has no SHA-256", path_, id));
    auto scopes = ParseScopesJson(rec->value("scopes", Json::array()));
    if (!scopes.ok())
      return Status::Corruption(
          fmt::format("{}: key {}: {}", path_, id, scopes.status().message()));
    key->scopes = *scopes;
    key->rate = rec->value("rate", 0.0);
    key->concurrency = rec->value("concurrency", int64_t{0});
    key->created_ms = rec->value("created_ms", int64_t{0});
    if (!keys_.count(id)) order_.push_back(id);
    keys_[id] = std::move(key);
  } else if (op == "revoke") {
    auto it = keys_.find(id);
    if (it == keys_.end()) return Status::OK();  // a revoke of nothing changes nothing
    auto key = std::make_shared<ApiKey>(*it->second);
    if (key->revoked_ms == 0) key->revoked_ms = std::max<int64_t>(1, rec->value("revoked_ms", 1));
    it->second = std::move(key);
  } else {
    return Status::Corruption(fmt::format("{}: unknown record op '{}'", path_, op));
  }
  return Status::OK();
}

void KeyStore::NoteAppended() {
  Generation().fetch_add(1, std::memory_order_acq_rel);
}

void KeyStore::CatchUpIfChanged() {
  // One load from shared memory: the same number as when this process last caught up means
  // nobody appended since.
  const uint64_t now = Generation().load(std::memory_order_acquire);
  if (now == seen_generation_.load(std::memory_order_relaxed)) return;
  WriterLock lock(mu_);
  Status caught =
      log_->CatchUp([this](std::string_view body) LH_REQUIRES(mu_) { return ApplyRecord(body); });
  if (!caught.ok()) {
    spdlog::error("API keys: cannot read what other processes appended: {}", caught.ToString());
    return;
  }
  seen_generation_.store(now, std::memory_order_relaxed);
}

Status KeyStore::AppendSynced(const std::function<Result<std::string>()>& make) {
  uint64_t end = 0;
  SharedRecordLog* log = nullptr;  // its SyncThrough is thread-safe
  {
    WriterLock lock(mu_);
    log = log_.get();
    LH_ASSIGN_OR_RETURN(end, log_->Append([this](std::string_view body)
                                              LH_REQUIRES(mu_) { return ApplyRecord(body); },
                                          make));
  }
  // Outside the mutex: concurrent creations share one fdatasync.
  LH_RETURN_IF_ERROR(log->SyncThrough(end));
  // Durable: now every process (this one included) sees it at its next check.
  Generation().fetch_add(1, std::memory_order_acq_rel);
  return Status::OK();
}

Result<NewKey> KeyStore::Create(const std::string& name, uint8_t scopes, double rate,
                                int64_t concurrency) {
  if (name.empty() || name.size() > 64)
    return Status::InvalidArgument("a key's name must be 1..64 characters");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      return Status::InvalidArgument("a key's name must not hold control characters");
  if ((scopes & (kRead | kWrite | kAdmin)) == 0 || (scopes & ~(kRead | kWrite | kAdmin)) != 0)
    return Status::InvalidArgument("a key needs at least one scope: read, write, admin");
  if (!(rate >= 0) || rate > 1e9)
    return Status::InvalidArgument("rate must be >= 0 requests per second (0: the server default)");
  if (concurrency < 0 || concurrency > 1'000'000)
    return Status::InvalidArgument("concurrency must be >= 0 (0: the server default)");
  NewKey out;
  out.key.name = name;
  out.key.scopes = scopes;
  out.key.rate = rate;
  out.key.concurrency = concurrency;
  out.key.created_ms = SystemClock::Get().NowMillis();
  LH_RETURN_IF_ERROR(AppendSynced([&]() LH_REQUIRES(mu_) -> Result<std::string> {
    do {
      out.key.id = RandomHex(kIdChars / 2);
    } while (keys_.count(out.key.id));
    out.secret = fmt::format("{}{}_{}", kPrefix, out.key.id, RandomHex(kSecretChars / 2));
    out.key.sha256 = Sha256Hex(out.secret);
    Json rec = Json::object();
    rec["op"] = "create";
    rec["id"] = out.key.id;
    rec["name"] = name;
    rec["sha256"] = out.key.sha256;
    rec["scopes"] = ScopesJson(scopes);
    rec["rate"] = rate;
    rec["concurrency"] = concurrency;
    rec["created_ms"] = out.key.created_ms;
    return DumpJson(rec);
  }));
  return out;
}

Result<ApiKey> KeyStore::Revoke(const std::string& id) {
  Status appended = AppendSynced([&]() LH_REQUIRES(mu_) -> Result<std::string> {
    auto it = keys_.find(id);  // caught up with every process's records
    if (it == keys_.end()) return Status::NotFound(fmt::format("no API key with id '{}'", id));
    if (!it->second->active()) return Status::AlreadyExists("revoked already: nothing to write");
    Json rec = Json::object();
    rec["op"] = "revoke";
    rec["id"] = id;
    rec["revoked_ms"] = SystemClock::Get().NowMillis();
    return DumpJson(rec);
  });
  if (!appended.ok() && appended.code() != ErrorCode::kAlreadyExists) return appended;
  ReaderLock lock(mu_);
  return ApiKey(*keys_.at(id));
}

std::vector<ApiKey> KeyStore::List() {
  CatchUpIfChanged();
  ReaderLock lock(mu_);
  std::vector<ApiKey> out;
  out.reserve(order_.size());
  for (const auto& id : order_) out.push_back(*keys_.at(id));
  return out;
}

size_t KeyStore::ActiveCount() {
  CatchUpIfChanged();
  ReaderLock lock(mu_);
  size_t n = 0;
  for (const auto& [id, key] : keys_) n += key->active() ? 1 : 0;
  return n;
}

std::shared_ptr<const ApiKey> KeyStore::Authenticate(std::string_view token, AuthFailure* why) {
  if (token.empty()) {
    *why = AuthFailure::kMissing;
    return nullptr;
  }
  const std::string id = KeyIdOf(token);
  if (id.empty()) {
    *why = AuthFailure::kMalformed;
    return nullptr;
  }
  CatchUpIfChanged();
  std::shared_ptr<const ApiKey> key;
  {
    ReaderLock lock(mu_);
    auto it = keys_.find(id);
    if (it != keys_.end()) key = it->second;
  }
  const auto digest = Sha256(token);
  if (key == nullptr || CRYPTO_memcmp(key->digest.data(), digest.data(), digest.size()) != 0) {
    *why = AuthFailure::kUnknown;
    return nullptr;
  }
  if (!key->active()) {
    *why = AuthFailure::kRevoked;
    return nullptr;
  }
  return key;
}

}  // namespace lakehouse::auth
