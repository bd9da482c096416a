#pragma once
// TokenBloom: the per-column, per-block filter that lets a word search skip
// blocks that cannot hold the word. No false negatives: a token added is
// always reported as possibly present. About 1% false positives at the
// default 10 bits per token.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::logstore {

// Builds a filter from the tokens of a column's values.
// Not thread-safe; the result is an immutable byte string.
class TokenBloomBuilder {
 public:
  // Adds every token of `value` (ForEachToken).
  void AddTokensOf(std::string_view value);
  // Adds one token as is.
  void AddToken(std::string_view token);
  // The filter's bytes (little-endian 64-bit words; empty when no token was
  // added, which TokenBloomMayContain treats as "contains nothing").
  std::string Finish() const;

 private:
  std::vector<uint64_t> hashes_;
};

// True when `token` may have been added to the filter in `bloom`; false means
// certainly not. `bloom` must come from TokenBloomBuilder::Finish (any length
// that is not a multiple of 8 is treated as "may contain", never as absent).
bool TokenBloomMayContain(std::string_view bloom, std::string_view token);

}  // namespace vigil::logstore
