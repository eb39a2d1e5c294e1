#include "vector/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "vector/vector_column.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace lakehouse {
namespace {

constexpr size_t kHeader = 2 * sizeof(float);  // scale, norm2

const int8_t* Codes(const char* row) {
  return reinterpret_cast<const int8_t*>(row + kHeader);
}

float ReadFloat(const char* at) {
  float f;
  std::memcpy(&f, at, sizeof(f));
  return f;
}

#if defined(__AVX2__)
int32_t HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}
#endif

}  // namespace

Result<Quantization> ParseQuantization(std::string_view name) {
  if (name == "none") return Quantization::kNone;
  if (name == "int8") return Quantization::kInt8;
  return Status::InvalidArgument(fmt::format("quantization '{}' is not one of none, int8", name));
}

std::string_view QuantizationName(Quantization q) {
  return q == Quantization::kInt8 ? "int8" : "none";
}

size_t Int8RowBytes(int dims) {
  return (kHeader + static_cast<size_t>(dims) + 7) / 8 * 8;
}

namespace {

// Writes x's codes in [-limit, limit] to `out` (x_i / scale, rounded) and answers the scale:
// max|x_i| / limit, 0 for a zero vector (every code 0). Rows and queries differ in limit only.
template <class T>
float ScaleAndRound(const float* x, int dims, float limit, T* out) {
  float max_abs = 0;
  for (int i = 0; i < dims; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  const float scale = max_abs > 0 ? max_abs / limit : 0.0f;
  for (int i = 0; i < dims; ++i) {
    const float c = scale > 0 ? std::nearbyint(x[i] / scale) : 0.0f;
    out[i] = static_cast<T>(std::clamp(c, -limit, limit));
  }
  return scale;
}

}  // namespace

void EncodeInt8Row(const float* u, int dims, char* row) {
  auto* codes = reinterpret_cast<int8_t*>(row + kHeader);
  const float scale = ScaleAndRound(u, dims, 127.0f, codes);
  int64_t sum2 = 0;
  for (int i = 0; i < dims; ++i) sum2 += int64_t{codes[i]} * codes[i];
  const float norm2 = scale * scale * static_cast<float>(sum2);
  std::memcpy(row, &scale, sizeof(scale));
  std::memcpy(row + sizeof(float), &norm2, sizeof(norm2));
  std::memset(row + kHeader + dims, 0, Int8RowBytes(dims) - kHeader - static_cast<size_t>(dims));
}

QueryCode EncodeQuery(const float* q, int dims) {
  // As fine as int16 allows while dims * 127 * limit stays inside int32.
  const int64_t limit = std::min<int64_t>(
      32767, std::numeric_limits<int32_t>::max() / (int64_t{127} * std::max(dims, 1)));
  QueryCode out;
  out.codes.resize(static_cast<size_t>(dims));
  out.scale = ScaleAndRound(q, dims, static_cast<float>(limit), out.codes.data());
  out.norm2 = static_cast<float>(SumOfSquares(q, static_cast<size_t>(dims)));
  return out;
}

namespace {

// sum a_i * b_i in int32: 16 lanes at a time (a widened to int16 when it is int8, then madd),
// the tail one by one.
template <class A>
int32_t MaddDot(const A* a, const int8_t* b, size_t n) {
  static_assert(std::is_same_v<A, int16_t> || std::is_same_v<A, int8_t>);
  size_t i = 0;
  int32_t sum = 0;
#if defined(__AVX2__)
  __m256i acc = _mm256_setzero_si256();
  for (; i + 16 <= n; i += 16) {
    __m256i av;
    if constexpr (std::is_same_v<A, int16_t>) {
      av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    } else {
      av = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    }
    const __m256i bv =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(av, bv));
  }
  sum = HorizontalSum(acc);
#endif
  for (; i < n; ++i) sum += int32_t{a[i]} * b[i];
  return sum;
}

// sum a_i * b_i for two code rows, whose codes lie in [-127, 127] (EncodeInt8Row's range):
// 32 lanes at a time as |a_i| * (b_i with a_i's sign), which maddubs multiplies as unsigned
// by signed bytes and adds in pairs (at most 2 * 127 * 127, inside int16), then madd by 1s
// to int32. No widening shuffles: MaddDot's two per 16 lanes bound it on the one port that
// runs them (a build spends 17% of its time here: every distance is code to code). A -128
// (which codes never hold) could saturate or lose its sign. The rest goes to MaddDot.
int32_t SignDot(const int8_t* a, const int8_t* b, size_t n) {
  size_t i = 0;
  int32_t sum = 0;
#if defined(__AVX2__)
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc = _mm256_setzero_si256();
  for (; i + 32 <= n; i += 32) {
    const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    const __m256i bv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(av, av), _mm256_sign_epi8(bv, av));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
  }
  sum = HorizontalSum(acc);
#endif
  return sum + MaddDot(a + i, b + i, n - i);
}

}  // namespace

int32_t DotI16I8(const int16_t* q, const int8_t* c, size_t n) {
  return MaddDot(q, c, n);
}

int32_t DotI8I8(const int8_t* a, const int8_t* b, size_t n) {
  return SignDot(a, b, n);
}

float Int8Scale(const char* row) {
  return ReadFloat(row);
}

float Int8Norm2(const char* row) {
  return ReadFloat(row + sizeof(float));
}

float Int8Dot(const QueryCode& q, const char* row, int dims) {
  const int32_t dot = DotI16I8(q.codes.data(), Codes(row), static_cast<size_t>(dims));
  return q.scale * Int8Scale(row) * static_cast<float>(dot);
}

float Int8Dot(const char* a, const char* b, int dims) {
  const int32_t dot = DotI8I8(Codes(a), Codes(b), static_cast<size_t>(dims));
  return Int8Scale(a) * Int8Scale(b) * static_cast<float>(dot);
}

std::vector<float> DecodeInt8Row(const char* row, int dims) {
  std::vector<float> out(static_cast<size_t>(dims));
  const float scale = Int8Scale(row);
  for (int i = 0; i < dims; ++i) out[static_cast<size_t>(i)] = scale * Codes(row)[i];
  return out;
}

}  // namespace lakehouse
