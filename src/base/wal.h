#pragma once
// Write-ahead log: an append-only sequence of opaque, checksummed records that
// the engine replays after a restart to rebuild what it had not yet flushed.
//
// ---- On-disk format ----
//
// A WAL is a directory of segment files named by their sequence number as 8
// zero-padded decimal digits: 00000001, 00000002, ... (more digits once past
// 99999999). Other names in the directory are ignored. Segments are replayed
// in ascending order; there is no per-segment header.
//
// A segment is a plain concatenation of records, with no padding:
//
//   record  := masked_crc:fixed32  length:fixed32  type:u8  payload:byte[length]
//
//   - integers are little-endian; the header is kWalRecordHeaderBytes (9) bytes;
//   - masked_crc = crc32c::Mask(CRC-32C over the 5 bytes length+type, then the
//     payload), so a header whose length or type was damaged fails the check;
//   - type is kWalRecordFull (1). 0 is never written, so a zero-filled region
//     (preallocated or sparse garbage, all-zero header) never parses as a record;
//   - length <= kWalMaxRecordBytes (256 MiB).
//
// A record never spans segments: the writer starts a new segment when the next
// record would take the current one past WalOptions::segment_bytes (a record
// larger than that gets a segment to itself). So a torn write can only damage
// the tail of the newest segment, and deleting whole old segments never cuts
// a record. (A simple frame rather than LevelDB's 32 KiB blocks: we never
// resynchronize inside a damaged segment, so blocks would buy nothing, and
// multi-megabyte records stay one contiguous payload.)
//
// ---- Crash contract ----
//
//   - A record is durable (survives power loss) once Sync() or AppendAndSync()
//     covering it has returned OK. Once Append() has returned it survives a
//     crash of the process (kill -9) but not of the machine.
//   - Replay reads every segment. In the last segment, the first record that is
//     incomplete, has a bad length or type, or fails its checksum ends the log:
//     the file is truncated to the end of the last good record and a warning
//     names file, offset and bytes dropped. In an earlier segment the same
//     damage skips the rest of that segment (warning, counted) and replay goes
//     on with the next one. Damage never makes Replay fail.
//   - WalWriter::Open never appends to an existing segment: it starts a new one
//     numbered one past the highest present. Old segments are only read and
//     deleted, so a writer opened without a prior Replay cannot bury a torn tail
//     in the middle of live data. The cost is one (possibly small) segment per
//     restart, removed by the next TruncateBefore.
//   - A directory must have at most one WalWriter, and Replay must not run on a
//     directory while a writer is open there (it may truncate the last segment).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "base/status.h"

namespace vigil {

inline constexpr size_t kWalRecordHeaderBytes = 9;
inline constexpr uint8_t kWalRecordFull = 1;
inline constexpr uint64_t kWalMaxRecordBytes = uint64_t{256} << 20;

// The file name of segment `seq`: 8 zero-padded digits, e.g. "00000042".
std::string WalSegmentName(uint64_t seq);

// Sequence numbers of the segment files in `dir`, ascending. A missing
// directory yields an empty list.
Result<std::vector<uint64_t>> ListWalSegments(const std::string& dir);

struct WalOptions {
  // A new segment starts when appending the next record would take the current
  // one past this many bytes. Larger: fewer files and fsyncs of directories;
  // smaller: TruncateBefore frees space in finer steps. Default 128 MiB.
  uint64_t segment_bytes = uint64_t{128} << 20;
};

// Counters for self-metrics; monotonic over the writer's lifetime.
struct WalWriterStats {
  uint64_t records = 0;    // records appended
  uint64_t bytes = 0;      // bytes appended, headers included
  uint64_t syncs = 0;      // fdatasync calls that completed OK
  uint64_t rotations = 0;  // segments started after the first
};

// Appends records to the newest segment of a WAL directory.
//
// Thread-safe: any number of threads may call any method concurrently.
// Appends are serialized by one mutex and reach the file in that order.
//
// Group commit: Sync() and AppendAndSync() callers that arrive while an
// fdatasync is running wait for it; the first of them then issues a single
// fdatasync that covers every record appended so far, and all waiters whose
// records it covers return together. Appends continue (without the lock held
// over the fdatasync) while a sync is in flight.
//
// After an fdatasync error the writer is poisoned: every later call returns
// that error (the kernel may have dropped the dirty pages, so retrying the
// sync could falsely report success). A failed write is cut back off the file
// so the segment stays parseable, and the writer stays usable.
class WalWriter {
 public:
  // Creates `dir` if needed (mode 0750) and starts a new segment numbered one
  // past the highest existing one (1 in an empty directory); its directory
  // entry is fsynced before Open returns. Existing segments are left alone.
  // Call WalReader::Replay first to recover their records.
  static Result<std::unique_ptr<WalWriter>> Open(const std::string& dir, const WalOptions& options);

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  // Close(), ignoring its status.
  ~WalWriter();

  // Appends one record (may be empty). On return it is in the OS page cache
  // (survives kill -9); it is durable only after a later Sync() returns OK.
  // InvalidArgument if record.size() > kWalMaxRecordBytes.
  Status Append(std::string_view record);

  // Makes every record appended before this call durable.
  Status Sync();

  // Append() then Sync(), sharing the fdatasync with concurrent callers. On OK
  // the record is durable; this is what a write endpoint should wait for
  // before acknowledging.
  Status AppendAndSync(std::string_view record);

  // Sequence number of the segment being appended to.
  uint64_t CurrentSegment() const;

  // Syncs and closes the current segment and starts the next one, even if the
  // current one is empty. On OK every earlier record is durable and
  // CurrentSegment() is the new segment, so a checkpoint of everything
  // appended so far may later call TruncateBefore(CurrentSegment()).
  Status Rotate();

  // Rotate without waiting for the disk: starts the next segment (its
  // directory entry fsynced) and leaves the current one unsynced. Its records
  // keep Append()'s guarantee (they survive kill -9) and become durable with
  // the next Sync(), AppendAndSync(), Rotate() or Close(), unless
  // TruncateBefore deletes the segment first. For a caller about to make
  // them redundant by a checkpoint of its own (a log store flushing its head
  // into fsynced parts): the switch costs no fdatasync.
  Status StartNextSegment();

  // Deletes whole segment files numbered below `segment` (never the current
  // one, whatever `segment` is), then fsyncs the directory. Use after a
  // checkpoint made the records in them redundant.
  Status TruncateBefore(uint64_t segment);

  // Total bytes of all segment files in the directory, the current one included.
  uint64_t SizeBytes() const;

  WalWriterStats Stats() const;

  // Syncs and closes the current segment. Later calls return an error.
  // Idempotent: a second Close returns the first one's status.
  Status Close();

 private:
  WalWriter(std::string dir, const WalOptions& options, uint64_t segment, AppendFile file, uint64_t old_bytes);

  Status AppendLocked(std::unique_lock<std::mutex>& lock, std::string_view record);
  Status SyncLocked(std::unique_lock<std::mutex>& lock, uint64_t target_seq);
  // Starts the next segment; syncs the current one first when `sync`.
  Status RotateLocked(std::unique_lock<std::mutex>& lock, bool sync = true);
  void WaitForSyncLocked(std::unique_lock<std::mutex>& lock);
  Status UsableLocked() const;
  // Syncs and closes the segments StartNextSegment left unsynced.
  // REQUIRES: mu_ held, !sync_in_progress_.
  Status SyncUnsyncedSegmentsLocked();

  const std::string dir_;
  const WalOptions options_;

  mutable std::mutex mu_;
  std::condition_variable sync_done_;
  std::optional<AppendFile> file_;  // GUARDED_BY(mu_); not replaced while sync_in_progress_
  // Segments StartNextSegment closed without a sync, kept open (by sequence
  // number) until a sync covers them or TruncateBefore deletes them.
  std::vector<std::pair<uint64_t, AppendFile>> unsynced_segments_;  // GUARDED_BY(mu_)
  uint64_t segment_;                // GUARDED_BY(mu_)
  uint64_t other_segments_bytes_;   // GUARDED_BY(mu_): bytes of segments other than the current
  uint64_t appended_seq_ = 0;       // GUARDED_BY(mu_): records appended so far
  uint64_t synced_seq_ = 0;         // GUARDED_BY(mu_): records known durable
  bool sync_in_progress_ = false;   // GUARDED_BY(mu_)
  bool closed_ = false;             // GUARDED_BY(mu_)
  Status sticky_error_;             // GUARDED_BY(mu_)
  Status close_status_;             // GUARDED_BY(mu_)
  WalWriterStats stats_;            // GUARDED_BY(mu_)
};

// What a replay saw; counts accumulate over all segments.
struct ReplayStats {
  uint64_t records = 0;           // records passed to the callback
  uint64_t segments = 0;          // segment files read
  uint64_t bytes_dropped = 0;     // bytes after the first damage in a segment (and any torn tail)
  uint64_t corrupt_segments = 0;  // segments with dropped bytes, a truncated last segment included
};

// Reads a WAL directory back. Stateless; see the crash contract above.
class WalReader {
 public:
  // Called once per record, in append order. `record` points into a memory
  // mapping and is valid only during the call. Returning non-OK stops the
  // replay and Replay returns that status (nothing is truncated).
  using RecordFn = std::function<Status(std::string_view record)>;

  // Replays every segment of `dir` in order, truncating a damaged tail of the
  // last segment as described above. A missing directory replays nothing and
  // returns OK. Returns non-OK only for an OS error (open, mmap, truncate) or
  // the callback's own error. `stats` may be null.
  // REQUIRES: no WalWriter is open on `dir`.
  static Status Replay(const std::string& dir, const RecordFn& fn, ReplayStats* stats);
};

}  // namespace vigil
