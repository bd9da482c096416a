#pragma once
// MemSeries: the in-memory samples of one series in the head.
//
// In-order samples go into an open ChunkEncoder, which is sealed (kept as its
// compact encoded bytes) after kHeadChunkSamples samples or once a sample
// would make it span more than kHeadChunkSpanMs, as Prometheus' head does.
// Out-of-order samples (older than the newest in-order one) are accepted into
// a small sorted buffer that reads merge in; once it holds
// kOutOfOrderFoldSamples samples it is folded into the chunks (the affected
// tail of chunks is re-encoded). A sample whose timestamp is already stored is
// a duplicate: the first value written wins.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/sample_row.h"
#include "tsdb/chunk.h"

namespace vigil::tsdb {

// Prometheus' DefaultSamplesPerChunk: ~1-2 bytes a sample with its encodings,
// small enough to decode quickly for a narrow query.
inline constexpr size_t kHeadChunkSamples = 120;
// A chunk never spans more than this (2 h, Prometheus' block range), so a
// sparse series does not pin hours of data in one undroppable chunk.
inline constexpr int64_t kHeadChunkSpanMs = 2 * 3600 * 1000;
// Out-of-order buffer size that triggers a fold into the chunks.
inline constexpr size_t kOutOfOrderFoldSamples = 64;

// Not thread-safe: the Head guards each MemSeries with a lock stripe.
class MemSeries {
 public:
  enum class AppendOutcome { kAdded, kDuplicate };

  MemSeries() = default;
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  // Stores one sample (any double, bit for bit), in or out of order.
  AppendOutcome Append(int64_t t, double v);

  // Appends to `*out` every stored sample with mint <= t <= maxt, ascending
  // by timestamp, no two with the same timestamp.
  void CollectSamples(int64_t mint, int64_t maxt, std::vector<Sample>* out) const;

  // Whether some stored sample has mint <= t <= maxt.
  bool HasSampleInRange(int64_t mint, int64_t maxt) const;

  // Drops whole chunks (and out-of-order samples) entirely older than
  // `cutoff`; a chunk that straddles it is kept. Returns samples dropped.
  size_t DropBefore(int64_t cutoff);

  // Whether nothing is stored.
  bool empty() const { return sealed_.empty() && open_.num_samples() == 0 && out_of_order_.empty(); }
  // Samples stored.
  size_t num_samples() const;
  // Chunks held (sealed plus the open one if non-empty).
  size_t num_chunks() const { return sealed_.size() + (open_.num_samples() > 0 ? 1 : 0); }
  // Approximate heap plus object bytes.
  size_t MemoryBytes() const;

  // Calls fn(min_time, max_time, bytes) for every sealed (immutable) chunk,
  // oldest first; these are what a flush moves to a part.
  void ForEachSealedChunk(const std::function<void(int64_t, int64_t, std::string_view)>& fn) const;
  // Removes leading sealed chunks that are bytewise equal to `flushed`, in
  // order, stopping at the first difference (an out-of-order fold may have
  // re-encoded a chunk since it was copied; such a chunk stays, and its
  // samples are read from both places until a later flush). Returns how many.
  size_t DropFlushedChunks(std::span<const std::string> flushed);

  // Calls fn with the encoding of every chunk, oldest first (the open one
  // last), then returns the out-of-order samples not yet folded.
  // Together they are exactly the stored samples.
  const std::vector<Sample>& ForEachChunk(const std::function<void(std::string_view)>& fn) const;

 private:
  struct SealedChunk {
    int64_t min_time;
    int64_t max_time;
    std::string bytes;
  };

  void SealOpenChunk();
  bool ContainsTimestamp(int64_t t) const;
  // Re-encodes the chunks from the first one that overlaps the out-of-order
  // buffer onward, merged with the buffer, which becomes empty.
  void FoldOutOfOrder();

  std::vector<SealedChunk> sealed_;      // ascending, non-overlapping
  ChunkEncoder open_;                    // newer than every sealed chunk
  std::vector<Sample> out_of_order_;     // ascending, timestamps not in any chunk
};

}  // namespace vigil::tsdb
