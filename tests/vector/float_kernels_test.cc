// Tests of src/vector/float_kernels.h: the four-sum dot product and squared L2 against a
// plain loop in double, at every length that exercises a different part (the 32-float body,
// the 8-float steps, the tail), on rows that are not 32-byte aligned.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "vector/float_kernels.h"

namespace lakehouse {
namespace {

TEST(FloatKernelsTest, EqualAPlainLoopToRounding) {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  for (size_t n : {0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 384, 385, 1536}) {
    // One float of offset: a row after the column's header is 4-byte aligned only.
    std::vector<float> a(n + 1), b(n + 1);
    for (float& x : a) x = g(rng);
    for (float& x : b) x = g(rng);
    const float* x = a.data() + 1;
    const float* y = b.data() + 1;
    double dot = 0, l2 = 0, scale = 0;
    for (size_t i = 0; i < n; ++i) {
      dot += static_cast<double>(x[i]) * y[i];
      l2 += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
      scale += std::fabs(static_cast<double>(x[i]) * y[i]);
    }
    // float32 sums of n terms: within n ulps of the terms' magnitude.
    const double tolerance = 1e-6 * (static_cast<double>(n) + 1) * (scale + 1);
    EXPECT_NEAR(DotF32(x, y, n), dot, tolerance) << "n=" << n;
    EXPECT_NEAR(L2SqrF32(x, y, n), l2, 1e-6 * (static_cast<double>(n) + 1) * (l2 + 1)) << "n=" << n;
  }
}

TEST(FloatKernelsTest, ExactOnSmallIntegers) {
  // Integers small enough that every partial sum is exact in float: any order, same answer.
  for (size_t n : {5, 32, 37, 384}) {
    std::vector<float> a(n), b(n);
    double dot = 0, l2 = 0;
    for (size_t i = 0; i < n; ++i) {
      a[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
      b[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
      dot += a[i] * b[i];
      l2 += (a[i] - b[i]) * (a[i] - b[i]);
    }
    EXPECT_EQ(DotF32(a.data(), b.data(), n), static_cast<float>(dot)) << "n=" << n;
    EXPECT_EQ(L2SqrF32(a.data(), b.data(), n), static_cast<float>(l2)) << "n=" << n;
    EXPECT_EQ(L2SqrF32(a.data(), a.data(), n), 0.0f);
  }
}

}  // namespace
}  // namespace lakehouse
