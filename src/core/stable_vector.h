// src/core/stable_vector.h: an append-only sequence whose elements never move.
//
// A std::vector's growth moves every element at once. The fills ledger's rows grow by
// ~1,000 a second under the loadgen; the move of 280k of them took ~300 ms (idle machine,
// bench/ledger_rows_bench), under the mutex every fill validation takes (validations run
// inline on the I/O threads): every request class stopped for 325-480 ms once per 5-minute
// run. Reserving room only moved the stall to when the room ran out; a std::deque never
// moves elements, but libstdc++'s 512-byte blocks hold one row each, and the scattered
// rows made walks slower as the ledger grew. Here elements live in chunks of 2^ChunkBits,
// contiguous inside a chunk; growth allocates one chunk (its elements default-constructed:
// ~1.5 ms for 1,024 ledger rows, against ~6 ms for 4,096), and only the table of chunk
// pointers, a pointer per chunk, ever moves.
//
// Thread-safety: none; the owner serialises access. A reference to an element stays valid
// until clear().
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace lakehouse {

template <typename T, unsigned ChunkBits = 10>
class StableVector {
 public:
  static constexpr size_t kChunk = size_t{1} << ChunkBits;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  //! The chunks allocated, each holding kChunk elements.
  size_t chunks() const { return chunks_.size(); }

  T& operator[](size_t i) { return chunks_[i >> ChunkBits][i & (kChunk - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> ChunkBits][i & (kChunk - 1)]; }

  //! Reading in order (range-for).
  class ConstIterator {
   public:
    ConstIterator(const StableVector* v, size_t i) : v_(v), i_(i) {}
    const T& operator*() const { return (*v_)[i_]; }
    ConstIterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const ConstIterator& o) const { return i_ == o.i_; }

   private:
    const StableVector* v_;
    size_t i_;
  };
  ConstIterator begin() const { return {this, 0}; }
  ConstIterator end() const { return {this, size_}; }

  void push_back(T value) {
    if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<T[]>(kChunk));
    (*this)[size_] = std::move(value);
    ++size_;
  }

  void clear() {
    chunks_.clear();
    size_ = 0;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace lakehouse
