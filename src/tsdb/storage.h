#pragma once
// Storage: the time-series engine behind the VictoriaMetrics-compatible
// ingestion endpoints and the PromQL Querier. It ties together the in-memory
// Head (SeriesIndex + compressed chunks per series), the write-ahead log and
// retention.
//
// Directory layout (StorageOptions::dir):
//   LOCK    flock(2)-ed while a Storage has the directory open
//   wal/    the write-ahead log (tsdb/wal.h frames, tsdb/wal_records.h payloads)
//   parts/  immutable on-disk parts and tombstones (tsdb/part.h, tsdb/part_set.h)
//
// Durability: Append writes a series record for every series not yet named
// in the current WAL session and one samples record per batch into the WAL,
// applies them to the head, then waits for an fdatasync that concurrent
// Appends share (group commit). Open loads the parts, replays the WAL into a
// fresh head (a torn tail is truncated with a warning), then writes a
// checkpoint of the head into a new WAL session and deletes older segments.
//
// Life of a sample: head (open chunk, sealed chunks) -> FlushHead writes all
// sealed chunks into a new part, drops them from the head and checkpoints
// the WAL (so the WAL holds about one copy of what is left in the head) ->
// MergeParts merges adjacent small parts (applying deletes and dedup) ->
// RunRetention deletes whole parts older than the retention. Queries merge
// the head with every part, per series.
//
// Semantics (Prometheus / VictoriaMetrics):
//  - out-of-order samples are accepted; a sample whose timestamp the series
//    already has is a duplicate and dropped (the first value wins);
//  - samples older than now - retention are rejected at ingestion, and a
//    background pass drops chunks that fell out of retention;
//  - dedup_interval_ms > 0 keeps one sample per interval per series at read
//    time (tsdb/dedup.h);
//  - every double, including the stale-marker NaN, is stored bit for bit.
//
// A sample re-sent after its chunk was flushed is not recognised as a
// duplicate at ingestion (it is counted as added); reads and merges keep the
// first-written value, so queries never show it twice.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics_registry.h"
#include "base/status.h"
#include "tsdb/head.h"
#include "tsdb/matcher.h"
#include "tsdb/part_set.h"
#include "tsdb/querier.h"
#include "tsdb/series_index.h"
#include "base/wal.h"
#include "tsdb/write_batch.h"

namespace vigil::tsdb {

struct StorageOptions {
  // Directory of this storage, typically <data_dir>/metrics. Created if missing.
  std::string dir;
  // Samples older than now - retention are rejected and eventually dropped.
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  // 0 keeps every sample (exact duplicates are still dropped); otherwise one
  // sample per series per interval, as VictoriaMetrics' -dedup.minScrapeInterval.
  int64_t dedup_interval_ms = 0;
  // Per-series label limits; VictoriaMetrics' defaults. Use them to build the
  // WriteBatch (series_limits()).
  size_t max_labels_per_series = 40;
  size_t max_label_name_len = 256;
  size_t max_label_value_len = 4096;
  // New series accepted per UTC day; 0 = unlimited. Rows of series over the
  // limit are rejected (reason new_series_limit).
  uint64_t max_new_series_per_day = 0;
  // WAL segment size (tsdb/wal.h).
  uint64_t wal_segment_bytes = uint64_t{128} << 20;
  // How often the background retention pass runs.
  int64_t retention_check_interval_ms = 60 * 1000;
  // How often sealed head chunks are flushed into a part (and parts merged).
  int64_t flush_interval_ms = 15 * 60 * 1000;
  // A flush also starts as soon as the WAL grows past this many bytes
  // (about 17 bytes per sample appended since the last flush), which bounds
  // the head's memory, the WAL and its replay time. 0: only by interval.
  uint64_t flush_wal_bytes = uint64_t{256} << 20;
  // Background merges run while there are more parts than this.
  size_t max_parts = 8;
  // Milliseconds since the epoch; null means the system clock. For tests.
  std::function<int64_t()> clock;
};

// What one Append did with the rows it was given.
struct AppendResult {
  uint64_t samples_added = 0;
  uint64_t samples_duplicate = 0;          // timestamp already stored for the series
  uint64_t samples_out_of_retention = 0;   // older than now - retention
  uint64_t samples_over_series_limit = 0;  // series would exceed max_new_series_per_day
  uint64_t series_created = 0;
};

// Sizes of the in-memory head, for benchmarks and the status page.
struct HeadStats {
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t num_samples = 0;
  uint64_t index_bytes = 0;   // SeriesIndex heap bytes
  uint64_t series_bytes = 0;  // chunks and per-series bookkeeping
  uint64_t wal_bytes = 0;
  uint64_t num_parts = 0;
  uint64_t part_bytes = 0;    // bytes of part files
  uint64_t part_samples = 0;  // samples in parts (duplicates across parts included)
};

// Thread-safe: every method may be called from any thread at any time, except
// that no call may start after (or run concurrently with) the destructor.
class Storage {
 public:
  // Opens or creates the storage in options.dir and replays its WAL. A torn
  // or corrupt WAL tail is truncated with a warning, never an error. Fails
  // with IOError if the directory cannot be created or is locked by another
  // Storage. Registers vigil_tsdb_* self-metrics in `registry` if non-null.
  // REQUIRES: `registry` (if given) outlives the Storage.
  static Result<std::unique_ptr<Storage>> Open(StorageOptions options, MetricsRegistry* registry);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  // Close(), ignoring its status.
  ~Storage();

  // Appends every row of `batch`. On OK the samples are durable (WAL synced;
  // concurrent callers share one fdatasync) and visible to queriers created
  // afterwards. The batch's own rejections are added to the self-metrics.
  // `result` may be null. On error nothing of the batch is acknowledged;
  // part of it may still become visible (and survive a restart).
  // When `refs` is not null it receives one SeriesRefHint per row of the
  // batch (generation 0 for rows not stored), which callers may pass back in
  // later batches (WriteBatch::AddTrustedSeries) to skip the label lookup.
  Status Append(const WriteBatch& batch, AppendResult* result, std::vector<SeriesRefHint>* refs = nullptr);

  // A read view over [mint, maxt] ms inclusive (see tsdb/querier.h).
  // REQUIRES: the querier and its series sets are destroyed before the Storage.
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt) const;

  // Deletes every series matching all matchers, for all time; durable (a
  // tombstone WAL record is synced) before it returns. Later samples with the
  // same labels start a new series. InvalidArgument if `matchers` is empty.
  Result<uint64_t> DeleteSeries(const std::vector<Matcher>& matchers);

  // Cardinality statistics for /api/v1/status/tsdb.
  IndexStats Stats(size_t top_n) const;
  HeadStats GetHeadStats() const;

  // Drops head chunks and whole parts entirely older than now_ms - retention
  // and deletes series left without data. Runs in the background every
  // retention_check_interval_ms; public so tests can drive it.
  Status RunRetention(int64_t now_ms);

  // Writes every sealed head chunk into a new part, removes them from the
  // head and checkpoints the WAL. Runs in the background every
  // flush_interval_ms; public for tests and shutdown paths.
  Status FlushHead();

  // Merges adjacent parts (at most 4 at a time, spanning at most a day of
  // data) while there are more than `max_parts`. Runs after each background
  // flush with options.max_parts.
  Status MergeParts(size_t max_parts);

  // The limits a WriteBatch for this storage should enforce.
  SeriesLimits series_limits() const;

  // Syncs and closes the WAL and stops background work. Idempotent: a second
  // call returns the first one's status. Appends afterwards fail.
  Status Close();

 private:
  struct Metrics;
  class ReplayVisitor;

  Storage(StorageOptions options, MetricsRegistry* registry);

  int64_t Now() const;
  Status LockDirectory();
  Status ReplayWal();
  // Writes an epoch and the whole head into the WAL, syncs, and deletes the
  // segments before it. REQUIRES: append_mu_ held or no concurrent writers.
  Status WriteCheckpoint();
  void RegisterMetrics();
  // Refreshes the size gauges. Thread-safe.
  void PublishGauges();
  void BackgroundLoop();
  // Merges `inputs` (adjacent by min_gen) into one part.
  Status MergeWindow(const std::vector<std::shared_ptr<const Part>>& inputs);

  const StorageOptions options_;
  MetricsRegistry* const registry_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Head> head_;
  std::unique_ptr<PartSet> parts_;
  std::unique_ptr<WalWriter> wal_;
  int lock_fd_ = -1;

  // Serializes flushes, merges, retention and deletes with each other.
  // Lock order: maintenance_mu_, then append_mu_.
  std::mutex maintenance_mu_;
  // Serializes writers (Append, DeleteSeries, retention deletes): series
  // creation and the WAL records that name them happen in one order.
  std::mutex append_mu_;
  // Bumped before any series is deleted from the head: SeriesRefHints of an
  // older generation are not trusted. Starts at 1 (0 means "no hint").
  std::atomic<uint64_t> ref_generation_{1};
  std::vector<bool> declared_;   // GUARDED_BY(append_mu_): ref named in this WAL session
  bool closed_ = false;          // GUARDED_BY(append_mu_)
  Status close_status_;          // GUARDED_BY(append_mu_)
  int64_t series_limit_day_ = -1;       // GUARDED_BY(append_mu_): UTC day of the count
  uint64_t series_created_today_ = 0;   // GUARDED_BY(append_mu_)

  std::mutex background_mu_;
  std::condition_variable background_cv_;
  bool stopping_ = false;        // GUARDED_BY(background_mu_)
  bool flush_requested_ = false; // GUARDED_BY(background_mu_)
  std::thread background_thread_;
};

}  // namespace vigil::tsdb
