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

std::string TokenBloomBuilder::Finish() const {
  std::vector<uint64_t> unique = hashes_;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  if (unique.empty()) return {};
  const size_t words = (unique.size() * kBitsPerToken + 63) / 64;
  std::vector<uint64_t> bits(words, 0);
  for (uint64_t h : unique)
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
