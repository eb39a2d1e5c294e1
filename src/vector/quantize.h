// src/vector/quantize.h: int8 rows for an index declared with `quantization: int8`.
//
// A quantized index keeps two columns of the same rows (vector_column.h): the float32 vectors as
// given (the truth, read only to rerank: mapped while they take at most 1/16 of the machine's
// memory, else read row by row from disk, so they need not fit in RAM) and a code row per
// vector, in memory, that the graph is built on and searches walk:
//
//   [float scale][float norm2][int8 code x dims]   (rounded up to 8 bytes)
//
// The code of vector v is u = v/|v| for cosine (v itself for dot and l2), scaled so that its
// largest component is 127: code_i = round(u_i / scale), scale = max|u_i| / 127. norm2 is the
// squared length of the decoded vector (scale^2 * sum code_i^2), which l2 needs. A row is a
// quarter of the float row's size (392 bytes against 1,540 at 384 dims), so a search touches
// four times fewer cache lines, and 5M vectors of 384 dims take 1.96 GB instead of 7.7 GB.
//
// A query is quantized too, finer (int16, see QueryCode), so one product is an integer dot
// product (AVX2 madd when the build has it); the error it adds is far below the codes' own.
// Approximate distances choose the candidates; the float32 rerank of the best of them (see
// VectorIndex::Search) gives the answer its exact order and exact scores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lakehouse {

enum class Quantization { kNone, kInt8 };

Result<Quantization> ParseQuantization(std::string_view name);
std::string_view QuantizationName(Quantization q);

//! Bytes of one code row for `dims` dimensions.
size_t Int8RowBytes(int dims);

//! Writes the code row of `u` (already normalised for cosine) into `row` (Int8RowBytes bytes).
void EncodeInt8Row(const float* u, int dims, char* row);

//! A query's int16 form: products with a code row sum exactly in int32.
struct QueryCode {
  std::vector<int16_t> codes;
  float scale = 0;  // component i is codes[i] * scale
  float norm2 = 0;  // the query's own squared length (float32, for l2)
};
QueryCode EncodeQuery(const float* q, int dims);

//! The decoded inner products: query . row, and row . row (two code rows, while building).
float Int8Dot(const QueryCode& q, const char* row, int dims);
float Int8Dot(const char* a, const char* b, int dims);
//! A code row's scale and decoded squared length.
float Int8Scale(const char* row);
float Int8Norm2(const char* row);
//! The row decoded to floats (tests, and checks of the encoding).
std::vector<float> DecodeInt8Row(const char* row, int dims);

//! The integer kernels under Int8Dot (exposed for their tests against a plain loop). Codes
//! are in [-127, 127], as EncodeInt8Row writes them (DotI8I8 relies on it).
int32_t DotI16I8(const int16_t* q, const int8_t* c, size_t n);
int32_t DotI8I8(const int8_t* a, const int8_t* b, size_t n);

}  // namespace lakehouse
