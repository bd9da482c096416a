#pragma once
// Head: the in-memory part of the storage. It pairs the SeriesIndex (label
// sets -> dense SeriesRefs, postings for matchers) with one MemSeries per live
// series, and counts what it holds for self-metrics.
//
// Thread-safe. Concurrency design:
//  - the series table (ref -> MemSeries) is guarded by a shared_mutex, held
//    exclusively only to add a slot or delete series;
//  - each MemSeries is guarded by one of kLockStripes mutexes (ref % stripes),
//    so appends and reads of different series rarely contend and a series
//    costs no mutex of its own;
//  - lock order: table lock, then stripe lock. Nothing is called back with a
//    lock held except in ForEachSeries (documented there).
// Readers copy samples out under the stripe lock; they never keep pointers
// into a MemSeries, so Delete may free it at any time.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <vector>

#include "base/sample_row.h"
#include "tsdb/labels.h"
#include "tsdb/mem_series.h"
#include "tsdb/series_index.h"

namespace vigil::tsdb {

// What appending one series' samples did.
struct HeadAppendCounts {
  uint64_t added = 0;
  uint64_t duplicate = 0;
};

class Head {
 public:
  Head() = default;
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // The ref of the live series `labels`, creating it (with no samples) if
  // absent; `*created` says which. Idempotent for equal label sets.
  SeriesRef GetOrCreate(const Labels& labels, bool* created);
  // The ref of the live series `labels`; false if there is none.
  bool Find(const Labels& labels, SeriesRef* ref) const { return index_.Find(labels, ref); }
  // Stores the labels of live series `ref`; false if unknown or deleted.
  bool GetLabels(SeriesRef ref, Labels* labels) const { return index_.GetLabels(ref, labels); }

  // Appends samples (any order) to series `ref`; duplicates of stored
  // timestamps are dropped (first value wins). A deleted ref counts nothing.
  HeadAppendCounts Append(SeriesRef ref, std::span<const Sample> samples);

  // Appends the samples of `ref` with mint <= t <= maxt to `*out`, ascending,
  // unique timestamps. Returns false (out untouched) if `ref` is not live.
  bool CollectSamples(SeriesRef ref, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // Whether live series `ref` has a sample with mint <= t <= maxt.
  bool HasSampleInRange(SeriesRef ref, int64_t mint, int64_t maxt) const;

  // Live refs selected by `matchers` (all series when empty), ascending.
  std::vector<SeriesRef> Select(std::span<const Matcher> matchers) const { return index_.Select(matchers); }

  // Deletes the given series (unknown refs ignored); returns how many were.
  size_t Delete(std::span<const SeriesRef> refs);

  // Drops chunks entirely older than `cutoff` from every series and returns
  // the refs of series left without samples (the caller decides whether to
  // delete them, see Storage). Returns samples dropped in `*dropped`.
  std::vector<SeriesRef> DropBefore(int64_t cutoff, uint64_t* dropped);

  // Removes the leading sealed chunks of `ref` equal to `flushed` (see
  // MemSeries::DropFlushedChunks); returns the samples removed.
  size_t DropFlushedChunks(SeriesRef ref, std::span<const std::string> flushed);

  // Whether live series `ref` holds no samples (false if not live).
  bool IsEmptySeries(SeriesRef ref) const;

  // Calls fn(ref, series) for every live series in ref order, holding that
  // series' stripe lock (and the table lock shared) during the call.
  // REQUIRES: fn calls no Head method other than GetLabels/Find.
  void ForEachSeries(const std::function<void(SeriesRef, const MemSeries&)>& fn) const;

  // Cardinality statistics of the index (for /api/v1/status/tsdb).
  IndexStats Stats(size_t top_n) const { return index_.Stats(top_n); }
  // Sorted label names / values of the given live series.
  std::vector<std::string> LabelNamesOf(std::span<const SeriesRef> refs) const;
  std::vector<std::string> LabelValuesOf(std::string_view name, std::span<const SeriesRef> refs) const;

  size_t NumSeries() const { return index_.NumSeries(); }
  // Chunks held by all series (sealed and open).
  int64_t NumChunks() const { return num_chunks_.load(std::memory_order_relaxed); }
  // Samples stored in all series.
  int64_t NumSamples() const { return num_samples_.load(std::memory_order_relaxed); }
  // Approximate bytes of the index plus every series (walks all series).
  size_t MemoryBytes() const;
  // Approximate bytes of the series' samples and chunk bookkeeping only.
  size_t SeriesMemoryBytes() const;

 private:
  static constexpr size_t kLockStripes = 1024;

  std::mutex& StripeFor(SeriesRef ref) const { return stripes_[ref % kLockStripes]; }
  // REQUIRES: table_mu_ held (any mode). Null if not live.
  MemSeries* SeriesLocked(SeriesRef ref) const {
    return ref < series_.size() ? series_[ref].get() : nullptr;
  }

  SeriesIndex index_;
  mutable std::shared_mutex table_mu_;
  std::vector<std::unique_ptr<MemSeries>> series_;  // by ref; GUARDED_BY(table_mu_)
  mutable std::array<std::mutex, kLockStripes> stripes_;
  std::atomic<int64_t> num_chunks_{0};
  std::atomic<int64_t> num_samples_{0};
};

}  // namespace vigil::tsdb
