// src/vector/float_kernels.h: the float32 dot product and squared L2 distance every graph
// step, exact scan and rerank computes.
//
// hnswlib's own kernels add each product into one vector register, so a 384-dim distance is
// a chain of 48 dependent FMAs (~4 cycles each) however fast the loads are: distances were
// 60% of an index build's profile. These keep four independent sums (32 floats a step) and
// add them at the end, so the loads, not the chain, set the pace. They are written with GCC's
// vector extensions rather than intrinsics: one source gives two SSE ops per step on
// x86-64-v2, AVX2 with FMA on x86-64-v3 (the default build) and the same on v4, with no
// runtime dispatch. Sums are in another order than a plain loop's, so results differ from
// it in the last bits, never more (tests/vector/float_kernels_test.cc).
#pragma once

#include <cstddef>
#include <cstring>

namespace lakehouse {
namespace float_kernels {

using F8 = float __attribute__((vector_size(32)));

inline F8 Load8(const float* p) {
  F8 v;
  std::memcpy(&v, p, sizeof(v));  // rows are 4-byte aligned only
  return v;
}

inline float Sum8(F8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// Adds Term(a+i, b+i) over the rows' 8-float blocks into four sums, then the tail one by one.
template <class Term, class Scalar>
inline float Reduce(const float* a, const float* b, size_t n, Term term, Scalar scalar) {
  F8 s0{}, s1{}, s2{}, s3{};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 += term(Load8(a + i), Load8(b + i));
    s1 += term(Load8(a + i + 8), Load8(b + i + 8));
    s2 += term(Load8(a + i + 16), Load8(b + i + 16));
    s3 += term(Load8(a + i + 24), Load8(b + i + 24));
  }
  for (; i + 8 <= n; i += 8) s0 += term(Load8(a + i), Load8(b + i));
  float sum = Sum8((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) sum += scalar(a[i], b[i]);
  return sum;
}

}  // namespace float_kernels

//! sum a_i * b_i over n floats.
inline float DotF32(const float* a, const float* b, size_t n) {
  using float_kernels::F8;
  return float_kernels::Reduce(
      a, b, n, [](F8 x, F8 y) { return x * y; }, [](float x, float y) { return x * y; });
}

//! sum (a_i - b_i)^2 over n floats.
inline float L2SqrF32(const float* a, const float* b, size_t n) {
  using float_kernels::F8;
  return float_kernels::Reduce(
      a, b, n,
      [](F8 x, F8 y) {
        const F8 d = x - y;
        return d * d;
      },
      [](float x, float y) { return (x - y) * (x - y); });
}

}  // namespace lakehouse
