#pragma once
// MemoryLogStore: log rows kept in memory, grouped per stream. It serves as
// the log store's unflushed head and as the reference store in tests of
// LogsQL (it never skips a block, so it is the brute-force baseline).
//
// Rows are kept where they arrived: the store owns the RowBatches it was
// given and each stream holds RowRefs (time + fields) into them, so adding a
// batch copies no name or value, and a flush reads them in place.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "logstore/reader.h"
#include "logstore/row_batch.h"

namespace vigil::logstore {

// Thread-safe: Add and Scan may be called concurrently.
class MemoryLogStore : public LogReader {
 public:
  // Rows per BlockView handed to Scan callbacks.
  static constexpr size_t kBlockRows = 4096;

  // Stores `entry`; it is visible to scans that start after Add returns.
  // Fields with empty values are dropped; a later field of the same name
  // replaces an earlier one.
  void Add(const LogEntry& entry);
  // Add for every entry of `entries`, taking the lock once.
  void AddAll(const std::vector<LogEntry>& entries);
  // Stores the rows of `batch` (already normalized by RowBatch), keeping the
  // batch's storage; nothing is copied but one RowRef per row.
  void AddBatch(RowBatch batch);

  // Number of stored rows.
  size_t size() const;

  // Calls fn(labels, rows) for every stream, rows in insertion order. The
  // rows stay valid while the store lives and no Add runs, so a frozen store
  // (no more Adds) can be read after the call without copying.
  void ForEachStream(const std::function<void(const StreamLabels&, std::span<const RowRef>)>& fn) const;

  // Visits the rows of each stream in blocks of at most kBlockRows rows
  // sorted by time, skipping streams that fail request.stream_matches and
  // blocks wholly outside the time range. Columns are not pruned.
  Status Scan(const ScanRequest& request, const BlockFn& fn) const override;

 private:
  struct Stream {
    StreamLabels labels;
    std::string formatted;
    uint64_t id = 0;
    std::vector<RowRef> rows;
  };
  // The stream of `labels`, created if new. REQUIRES: mu_ held.
  Stream* StreamOf(const StreamLabels& labels);

  mutable std::mutex mu_;
  std::map<StreamLabels, std::shared_ptr<Stream>> streams_;
  // Storage of every row; batches are never modified once here.
  std::vector<std::unique_ptr<RowBatch>> batches_;
  size_t size_ = 0;
};

}  // namespace vigil::logstore
