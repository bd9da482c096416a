#include "logstore/bloom.h"

#include <algorithm>

#include "base/hash.h"
#include "base/varint.h"
#include "logstore/tokenizer.h"

namespace vigil::logstore {
namespace {

constexpr int kProbes = 6;
constexpr size_t kBitsPerToken = 10;

// Double hashing: probe i tests bit (h1 + i*h2) mod m.
template <typename Fn>
void ForEachProbe(uint64_t hash, uint64_t bits, Fn&& fn) {
  const uint64_t h1 = hash;
  const uint64_t h2 = (hash >> 32) | (hash << 32) | 1;
  for (int i = 0; i < kProbes; ++i) fn((h1 + static_cast<uint64_t>(i) * h2) % bits);
}

}  // namespace

void TokenBloomBuilder::AddTokensOf(std::string_view value) {
  ForEachToken(value, [&](std::string_view t) { AddToken(t); });
}

void TokenBloomBuilder::AddToken(std::string_view token) { hashes_.push_back(Hash64(token)); }

namespace {

// The number of distinct values in `hashes` (an open-addressing set: the
// values are hashes already, so their low bits index it directly).
size_t CountDistinct(const std::vector<uint64_t>& hashes) {
  if (hashes.size() < 2) return hashes.size();
  size_t slots = 16;
  while (slots < hashes.size() * 2) slots *= 2;
  std::vector<uint64_t> table(slots, 0);
  bool have_zero = false;
  size_t distinct = 0;
  for (uint64_t h : hashes) {
    if (h == 0) {  // 0 marks an empty slot
      distinct += have_zero ? 0 : 1;
      have_zero = true;
      continue;
    }
    for (size_t i = h & (slots - 1);; i = (i + 1) & (slots - 1)) {
      if (table[i] == h) break;
      if (table[i] == 0) {
        table[i] = h;
        ++distinct;
        break;
      }
    }
  }
  return distinct;
}

}  // namespace

std::string TokenBloomBuilder::Finish() const {
  // Sized by distinct tokens; setting a repeated token's bits again is a no-op.
  const size_t distinct = CountDistinct(hashes_);
  if (distinct == 0) return {};
  const size_t words = (distinct * kBitsPerToken + 63) / 64;
  std::vector<uint64_t> bits(words, 0);
  for (uint64_t h : hashes_)
    ForEachProbe(h, words * 64, [&](uint64_t bit) { bits[bit / 64] |= uint64_t{1} << (bit % 64); });
  std::string out;
  out.reserve(words * 8);
  for (uint64_t w : bits) PutFixed64(&out, w);
  return out;
}

bool TokenBloomMayContain(std::string_view bloom, std::string_view token) {
  if (bloom.empty()) return false;
  if (bloom.size() % 8 != 0) return true;
  const uint64_t bits = bloom.size() * 8;
  bool present = true;
  ForEachProbe(Hash64(token), bits, [&](uint64_t bit) {
    if (!present) return;
    const uint64_t word = DecodeFixed64(bloom.data() + (bit / 64) * 8);
    if ((word & (uint64_t{1} << (bit % 64))) == 0) present = false;
  });
  return present;
}

}  // namespace vigil::logstore
