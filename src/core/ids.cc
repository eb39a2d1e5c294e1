#include "core/ids.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <random>

#include <fmt/format.h>

namespace lakehouse {

std::string RandomHex(size_t n_bytes) {
  std::string bytes(n_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n_bytes)) != 1) {
    std::random_device rd;
    for (auto& b : bytes) b = static_cast<char>(rd());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n_bytes * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string NextRequestId() {
  static const std::string prefix = RandomHex(4);
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}-{:x}", prefix, counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

std::array<unsigned char, 32> Sha256(std::string_view data) {
  // The algorithm is fetched once and each thread keeps its context: EVP_Digest would fetch
  // and allocate both per call, which costs more than hashing a short string (an API key is
  // hashed on every request).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Ctx t;
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  if (md == nullptr || t.ctx == nullptr || EVP_DigestInit_ex2(t.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(t.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(t.ctx, digest.data(), &len) != 1) {
    EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  }
  return digest;
}

std::string Sha256Hex(std::string_view data) {
  const auto digest = Sha256(data);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (size_t i = 0; i < digest.size(); ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace lakehouse
