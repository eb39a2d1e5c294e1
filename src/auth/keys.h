// src/auth/keys.h: API keys: who may call the server, with which scopes and limits.
//
// A key is "lh_<id>_<secret>": 12 hex characters of id (shown in lists, journal events and
// errors, so an operator can tell keys apart) and 24 random bytes of secret (48 hex).
// The secret is printed once, at creation; the store keeps only the SHA-256 of the whole
// key (a key is random, not a password: a slow hash would buy nothing) and compares it in
// constant time (CRYPTO_memcmp).
//
// The store is `<root>/auth/keys.log` (mode 0600), a CRC-framed record log shared by every
// process on the root (storage/record_log.h SharedRecordLog): `lakehouse keys create` on
// the command line, /v1/admin/keys in a server, and each split service appends under flock
// and reads what the others appended. Records are {"op":"create",...} and
// {"op":"revoke","id",...}; nothing is ever rewritten, so a revocation is as durable as the
// creation it cancels. Each appender then bumps a counter in `<root>/auth/keys.gen`, which
// every process maps shared; Authenticate compares it with the count it last caught up to
// (one memory load), so a key revoked by another process is refused by the very next
// request there too.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "storage/record_log.h"

namespace lakehouse::auth {

//! What a key may do (docs/SECURITY.md lists the routes of each). Independent bits: a
//! write-only key (an ingest pipeline) cannot read.
enum Scope : uint8_t { kRead = 1, kWrite = 2, kAdmin = 4 };
//! "read", "write", "admin".
const char* ScopeName(Scope s);
//! "read,write" or ["read","write"] -> bits; InvalidArgument naming an unknown scope.
Result<uint8_t> ParseScopes(std::string_view comma_separated);
Result<uint8_t> ParseScopesJson(const Json& value);
Json ScopesJson(uint8_t scopes);

struct ApiKey {
  std::string id;                          // 12 hex
  std::string name;                        // the operator's label ("console", "loadgen")
  std::string sha256;                      // hex, as stored
  std::array<unsigned char, 32> digest{};  // the same, as bytes (what a check compares)
  uint8_t scopes = 0;
  double rate = 0;          // requests per second; 0: the server's default (server.rate_limit)
  int64_t concurrency = 0;  // concurrent expensive requests; 0: the server's default
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0: active

  bool active() const { return revoked_ms == 0; }
  //! {id, name, prefix, scopes, rate, concurrency, created_at, revoked_at}: never the hash.
  Json ToJson() const;
};

//! A key just created: the only time its secret exists outside the client.
struct NewKey {
  ApiKey key;
  std::string secret;  // the whole "lh_<id>_<secret>"
  //! ApiKey::ToJson plus "key".
  Json ToJson() const;
};

//! Why a presented key was refused (the label of lakehouse_auth_failures_total).
enum class AuthFailure { kMissing, kMalformed, kUnknown, kRevoked };
const char* AuthFailureName(AuthFailure f);

//! The id part of a token that has the key's shape ("" otherwise): for journal events
//! about a refused key, which must never carry the secret.
std::string KeyIdOf(std::string_view token);

class KeyStore {
 public:
  //! Opens (creating) `<root>/auth/keys.log`.
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& root);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  //! Creates a key, durable on return. `name` 1..64 printable characters; scopes non-empty;
  //! rate >= 0; concurrency >= 0.
  Result<NewKey> Create(const std::string& name, uint8_t scopes, double rate = 0,
                        int64_t concurrency = 0);
  //! Revokes `id`, durable on return; NotFound when there is no such key. Revoking a revoked
  //! key answers it unchanged.
  Result<ApiKey> Revoke(const std::string& id);
  //! Every key, oldest first (revoked ones too), as the log holds them now.
  std::vector<ApiKey> List();
  size_t ActiveCount();

  //! The active key `token` is, or null with `why` set. Cheap enough for every request:
  //! one fstat, a map lookup and a SHA-256.
  std::shared_ptr<const ApiKey> Authenticate(std::string_view token, AuthFailure* why);
  //! The log grew by a writer that does not bump the shared counter (a standby appending
  //! what its owner node appended, docs/SCALE.md): every process of this root catches up.
  void NoteAppended();

 private:
  KeyStore(std::string path, uint64_t* generation)
      : path_(std::move(path)), generation_(generation) {}
  std::atomic_ref<uint64_t> Generation() const { return std::atomic_ref<uint64_t>(*generation_); }
  //! Applies what other processes appended, when the file grew.
  void CatchUpIfChanged() LH_EXCLUDES(mu_);
  Status ApplyRecord(std::string_view body) LH_REQUIRES(mu_);
  //! Appends a record built under the lock and syncs it.
  Status AppendSynced(const std::function<Result<std::string>()>& make) LH_EXCLUDES(mu_);

  const std::string path_;
  // `<root>/auth/keys.gen`, mapped shared by every process of the root: a counter each
  // appender bumps once its record is durable. Lock-free 8-byte atomics on a shared
  // mapping are coherent across processes, so a check costs one load, not a syscall.
  uint64_t* const generation_;
  std::atomic<uint64_t> seen_generation_{0};  // the counter when this process last caught up
  SharedMutex mu_;
  std::unique_ptr<SharedRecordLog> log_ LH_GUARDED_BY(mu_);
  // Replaced, never mutated, so Authenticate hands out pointers without copying.
  std::map<std::string, std::shared_ptr<const ApiKey>> keys_ LH_GUARDED_BY(mu_);
  std::vector<std::string> order_ LH_GUARDED_BY(mu_);  // ids in creation order
};

}  // namespace lakehouse::auth
