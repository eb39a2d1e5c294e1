#include <cmath>
#include <unordered_map>

#include "core/ids.h"
#include "embed/embedder.h"

namespace lakehouse {
namespace {

// Lower-cased alphanumeric tokens; bytes >= 0x80 (UTF-8) count as letters so accented
// names stay whole.
std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      cur += static_cast<char>(std::tolower(c));
    } else if (!cur.empty()) {
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

// splitmix64 finaliser: spreads FNV's bits so bucket and sign are independent.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

HashEmbedder::HashEmbedder(std::string model, int dims) : model_(std::move(model)), dims_(dims) {}

Embedding HashEmbedder::EmbedOne(std::string_view text) const {
  // Feature -> (weight class, count). Classes weight what they say about meaning:
  // whole words most, word pairs (phrases such as "forklift operator") next, character
  // trigrams (plurals, typos, "welder"/"welding") least.
  constexpr float kWordWeight = 1.0f, kBigramWeight = 0.8f, kTrigramWeight = 0.35f;
  std::unordered_map<std::string, std::pair<float, int>> features;
  const auto tokens = Tokenize(text);
  for (size_t i = 0; i < tokens.size(); ++i) {
    auto& w = features["w:" + tokens[i]];
    w.first = kWordWeight;
    ++w.second;
    if (i + 1 < tokens.size()) {
      auto& b = features["b:" + tokens[i] + " " + tokens[i + 1]];
      b.first = kBigramWeight;
      ++b.second;
    }
    const std::string padded = "#" + tokens[i] + "#";
    for (size_t k = 0; k + 3 <= padded.size(); ++k) {
      auto& t = features["c:" + padded.substr(k, 3)];
      t.first = kTrigramWeight;
      ++t.second;
    }
  }
  Embedding v(static_cast<size_t>(dims_), 0.0f);
  for (const auto& [feature, wc] : features) {
    const uint64_t h = Mix(Fnv1a64(feature));
    const size_t bucket = static_cast<size_t>(h % static_cast<uint64_t>(dims_));
    const float sign = (h >> 63) ? -1.0f : 1.0f;
    v[bucket] += sign * wc.first * (1.0f + std::log(static_cast<float>(wc.second)));
  }
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm > 0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v) x *= inv;
  }
  return v;
}

Result<std::vector<Embedding>> HashEmbedder::Embed(std::span<const std::string> texts) {
  std::vector<Embedding> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(EmbedOne(t));
  return out;
}

}  // namespace lakehouse
