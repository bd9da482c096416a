#include "base/hash.h"

#include <bit>
#include <cstring>

namespace vigil {
namespace {

// Multiply-fold construction: each step multiplies two 64-bit words into 128
// bits and folds the halves together, which diffuses every input bit into
// every output bit in one instruction pair. Inputs are first XORed with
// odd constants so that zero words do not cancel the state.
constexpr uint64_t kMix0 = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMix2 = 0x94D049BB133111EBull;
constexpr uint64_t kMix3 = 0xD6E8FEB86659FD93ull;

inline uint64_t MulFold(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline uint64_t Load32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

}  // namespace

uint64_t Hash64(std::string_view data, uint64_t seed) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint64_t h = seed ^ MulFold(seed ^ kMix0, kMix1);
  if (n > 16) {
    if (n > 32) {
      // Two independent lanes so that long inputs keep both multipliers busy.
      uint64_t h2 = h;
      do {
        h = MulFold(Load64(p) ^ kMix1, Load64(p + 8) ^ h);
        h2 = MulFold(Load64(p + 16) ^ kMix2, Load64(p + 24) ^ h2);
        p += 32;
        n -= 32;
      } while (n > 32);
      h ^= h2;
    }
    while (n > 16) {
      h = MulFold(Load64(p) ^ kMix1, Load64(p + 8) ^ h);
      p += 16;
      n -= 16;
    }
  }
  // 0..16 trailing bytes, read as two possibly overlapping words.
  uint64_t a = 0;
  uint64_t b = 0;
  if (n >= 8) {
    a = Load64(p);
    b = Load64(p + n - 8);
  } else if (n >= 4) {
    a = Load32(p);
    b = Load32(p + n - 4);
  } else if (n > 0) {
    a = (uint64_t{p[0]} << 16) | (uint64_t{p[n >> 1]} << 8) | p[n - 1];
  }
  h = MulFold(a ^ kMix2, b ^ h ^ kMix3);
  return MulFold(h ^ kMix0, static_cast<uint64_t>(data.size()) ^ kMix1);
}

}  // namespace vigil
