#pragma once
// LogStore: the durable log storage engine (VictoriaLogs' role, no HTTP).
//
// Writes go to a write-ahead log, then to an in-memory head; about once a
// second the head is written to an immutable part in the partition of its
// day (UTC). Background maintenance merges small parts of a partition into
// bigger ones and drops whole partitions past the retention age or the disk
// budget, oldest first. Layout under `dir`:
//
//   wal/<segments>                 base/wal.h records of EncodeRowBatch batches (entry_codec.h)
//   partitions/YYYYMMDD/<seq>.part part files (part.h), seq in 16 hex digits
//
// Crash safety: an acknowledged Add survives kill -9 (WAL); parts are written
// atomically; a merge's output names the parts it replaces, so a crash between
// writing it and deleting them never doubles rows. A part that fails its
// checks at open is renamed to <name>.corrupt with a warning and the rest is
// served.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/wal.h"
#include "logstore/memory_store.h"
#include "logstore/part.h"
#include "logstore/reader.h"

namespace vigil::logstore {

inline constexpr int64_t kNanosPerDay = int64_t{86400} * 1000000000;

struct LogStoreOptions {
  // Data directory (created if missing).
  std::string dir;
  // Rows older than this are dropped on ingestion and by maintenance.
  int64_t retention_ns = 15 * kNanosPerDay;
  // Oldest partitions are dropped while parts take more bytes than this.
  uint64_t max_disk_bytes = uint64_t{50} << 30;
  // How often the flush thread flushes the head (maintenance runs every 10).
  std::chrono::milliseconds flush_interval{1000};
  // The background thread flushes early once the head holds this many bytes
  // of field names and values, bounding memory under heavy ingestion.
  uint64_t max_head_bytes = uint64_t{32} << 20;
  // Run the flush and maintenance threads (tests drive Flush/Maintain themselves).
  bool background = true;
  // A partition with at least this many parts gets its smallest ones merged.
  size_t merge_min_parts = 8;
  // zstd level of merged parts (flushes use 1). Higher buys smaller parts
  // for text; on span columns (ids, dictionaries, numbers) 1 gave parts no
  // bigger and merges ~40 % faster than 3 (docs/benchmarks.md, traces).
  int merge_zstd_level = 3;
};

// Counters and gauges for self-metrics.
struct LogStoreStats {
  uint64_t rows_added = 0;         // rows accepted by Add
  uint64_t rows_too_old = 0;       // rows dropped by Add for being past retention
  uint64_t head_rows = 0;          // rows not yet in a part
  uint64_t parts = 0;
  uint64_t partitions = 0;
  uint64_t part_bytes = 0;         // bytes of all part files
  uint64_t part_rows = 0;          // rows in parts
  uint64_t merges = 0;
  uint64_t corrupt_parts = 0;      // quarantined at open
  uint64_t corrupt_blocks = 0;     // skipped by scans
  uint64_t partitions_dropped = 0; // by age or disk budget
};

// Thread-safe: Add, Scan, Flush, Maintain and Stats may run concurrently.
class LogStore : public LogReader {
 public:
  // Opens (or creates) the store in options.dir: loads parts (quarantining
  // corrupt ones, deleting superseded ones), replays the WAL into the head
  // (truncating a torn tail), and starts the background threads if asked.
  static Result<std::unique_ptr<LogStore>> Open(const LogStoreOptions& options);

  // Close(), ignoring its status.
  ~LogStore() override;
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Stores the entries. On OK they are in the WAL (they survive kill -9) and
  // visible to scans started afterwards. Entries older than the retention are
  // dropped, counted in Stats() and, when `too_old` is given, in *too_old.
  // Empty field values are dropped (absent field).
  Status Add(const std::vector<LogEntry>& entries, uint64_t* too_old = nullptr);
  // Add for rows already in a RowBatch: the batch becomes part of the head
  // as it is (no field is copied).
  Status Add(RowBatch batch, uint64_t* too_old = nullptr);

  // LogReader: parts (skipping blocks by time, stream and bloom filters), then
  // the unflushed head.
  Status Scan(const ScanRequest& request, const BlockFn& fn) const override;

  // Writes the head into parts now and drops the WAL segments it covered.
  Status Flush();

  // Merges small parts and applies retention by age and disk budget as of `now_ns`.
  Status Maintain(int64_t now_ns);

  LogStoreStats Stats() const;

  // Stops the background threads and flushes the head. Idempotent.
  Status Close();

 private:
  struct Partition {
    std::string dir;
    std::vector<std::shared_ptr<Part>> parts;
  };

  explicit LogStore(const LogStoreOptions& options);
  Status Load();
  // Merges the smallest parts of the day's partition once it has
  // merge_min_parts; *merged tells whether a merge happened.
  Status MergeSmallParts(int64_t day, bool* merged);
  void DropPartition(int64_t day);
  // Flushes the head every flush_interval (sooner when it is full).
  void BackgroundLoop();
  // Runs Maintain every 10 flush intervals, on its own thread so that a long
  // merge never holds up flushes (and, through backpressure, ingestion).
  void MaintenanceLoop();
  std::string PartitionDir(int64_t day) const;

  const LogStoreOptions options_;
  std::unique_ptr<WalWriter> wal_;

  mutable std::mutex mu_;
  std::shared_ptr<MemoryLogStore> head_;    // GUARDED_BY(mu_)
  std::shared_ptr<MemoryLogStore> frozen_;  // GUARDED_BY(mu_): being flushed
  uint64_t head_bytes_ = 0;                 // GUARDED_BY(mu_): field bytes in head_
  std::map<int64_t, Partition> partitions_; // GUARDED_BY(mu_): by day number
  LogStoreStats stats_;                     // GUARDED_BY(mu_) (head_rows/parts/... computed)

  // Flush and Maintain run concurrently: a merge takes its inputs under mu_
  // and swaps them for its output under mu_, while flushes only add parts.
  std::mutex flush_mu_;        // serialises Flush and Close
  std::mutex maintenance_mu_;  // serialises Maintain and Close
  std::atomic<uint64_t> next_seq_{1};
  mutable std::atomic<uint64_t> corrupt_blocks_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stopping_ = false;  // GUARDED_BY(bg_mu_)
  bool flush_now_ = false; // GUARDED_BY(bg_mu_): the head grew past max_head_bytes
  std::atomic<bool> closed_{false};  // set under flush_mu_ and maintenance_mu_
  std::atomic<bool> stop_maintenance_{false};  // Close: end the merge loop early
  std::thread bg_;
  std::thread maintenance_bg_;
};

}  // namespace vigil::logstore
