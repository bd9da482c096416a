// libFuzzer target for the sample chunk codec (src/tsdb/chunk.h).
//
// Two properties, chosen by the first input byte:
//   - hostile bytes: decoding arbitrary bytes as a chunk (sample by sample,
//     in batches, and with Seek) never crashes, never reads outside the
//     input, never yields more samples than the header claims or decreasing
//     timestamps, and all three ways agree.
//   - round trip: the input read as (timestamp delta, value bits) records is
//     encoded in one of the three layouts (interleaved, split, blocks; the
//     first byte's next bits choose) and must decode to exactly the same
//     samples.
//
// Build: clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//        fuzz/tsdb_chunk_fuzzer.cc src/tsdb/chunk.cc src/tsdb/block_chunk.cc
//        src/base/status.cc

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/chunk.h"

namespace {

using vigil::tsdb::ChunkDecoder;
using vigil::tsdb::ChunkEncoder;

void Check(bool ok) {
  if (!ok) std::abort();
}

void DecodeHostile(std::string_view bytes) {
  // Copy to a heap buffer of the exact size so ASan flags any over-read.
  const std::vector<char> copy(bytes.begin(), bytes.end());
  const std::string_view view(copy.data(), copy.size());

  std::vector<int64_t> ts;
  std::vector<uint64_t> vs;
  ChunkDecoder one(view);
  while (one.Next()) {
    Check(ts.empty() || ts.back() <= one.t());
    ts.push_back(one.t());
    vs.push_back(std::bit_cast<uint64_t>(one.v()));
  }
  Check(ts.size() <= vigil::tsdb::CountSamples(view));
  Check(vigil::tsdb::ValidateChunk(view).ok() == one.status().ok());

  ChunkDecoder batch(view);
  std::vector<int64_t> bt(7);
  std::vector<double> bv(7);
  size_t seen = 0;
  for (;;) {
    const size_t n = batch.NextBatch(bt, bv);
    for (size_t i = 0; i < n; ++i, ++seen) {
      Check(seen < ts.size() && bt[i] == ts[seen] && std::bit_cast<uint64_t>(bv[i]) == vs[seen]);
    }
    if (n < bt.size()) break;
  }
  Check(seen == ts.size());
  Check(batch.status().ok() == one.status().ok());

  ChunkDecoder samples(view);
  std::vector<vigil::Sample> out(5);
  seen = 0;
  for (size_t n; (n = samples.NextSamples(out)) > 0;) {
    for (size_t i = 0; i < n; ++i, ++seen) {
      Check(seen < ts.size() && out[i].timestamp_ms == ts[seen] && std::bit_cast<uint64_t>(out[i].value) == vs[seen]);
    }
  }
  Check(seen == ts.size());
  Check(samples.status().ok() == one.status().ok());

  if (!ts.empty()) {
    ChunkDecoder seek(view);
    const int64_t target = ts[ts.size() / 2];
    Check(seek.Seek(target) && seek.t() == target);
  }
}

void RoundTrip(std::string_view data, vigil::tsdb::ChunkLayout layout) {
  ChunkEncoder enc(layout);
  std::vector<int64_t> ts;
  std::vector<uint64_t> vs;
  int64_t t = 0;
  while (data.size() >= 11 && !enc.full()) {
    // Two bytes of delta scaled by a shift from a third: covers equal
    // timestamps, jitter and huge gaps without overflowing.
    uint16_t small;
    std::memcpy(&small, data.data(), 2);
    const int shift = static_cast<uint8_t>(data[2]) % 48;
    const uint64_t delta = static_cast<uint64_t>(small) << shift;
    if (delta > static_cast<uint64_t>(INT64_MAX - t)) break;
    t += static_cast<int64_t>(delta);
    uint64_t bits;
    std::memcpy(&bits, data.data() + 3, 8);
    data.remove_prefix(11);
    enc.Append(t, std::bit_cast<double>(bits));
    ts.push_back(t);
    vs.push_back(bits);
  }
  const std::string bytes = enc.Finish();
  ChunkDecoder dec(bytes);
  size_t i = 0;
  while (dec.Next()) {
    Check(i < ts.size() && dec.t() == ts[i] && std::bit_cast<uint64_t>(dec.v()) == vs[i]);
    ++i;
  }
  Check(i == ts.size() && dec.status().ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    RoundTrip(rest, static_cast<vigil::tsdb::ChunkLayout>((data[0] >> 1) % 3));
  } else {
    DecodeHostile(rest);
  }
  return 0;
}
