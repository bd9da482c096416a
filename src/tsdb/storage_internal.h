#pragma once
// Internal to the Storage implementation files (storage.cc,
// storage_maintenance.cc): the self-metrics bundle and shared constants.

#include <cstddef>
#include <cstdint>

#include "base/metrics_registry.h"
#include "tsdb/storage.h"
#include "tsdb/write_batch.h"

namespace vigil::tsdb {

// WAL payloads are cut at about this size: big enough to amortize the frame,
// small enough that replay and checkpoints never hold huge buffers.
inline constexpr size_t kTargetRecordBytes = size_t{4} << 20;

// a - b, clamped to INT64_MIN instead of overflowing (retention cutoffs).
inline int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_sub_overflow(a, b, &r) ? INT64_MIN : r;
}

// Self-metrics; every pointer is null when no registry was given.
struct Storage::Metrics {
  Counter* samples_ingested = nullptr;
  Counter* samples_duplicate = nullptr;
  Counter* series_created = nullptr;
  Counter* retention_dropped = nullptr;
  Family<Counter>* rejected = nullptr;
  Gauge* active_series = nullptr;
  Gauge* head_chunks = nullptr;
  Gauge* head_samples = nullptr;
  Gauge* wal_bytes = nullptr;
  Gauge* parts = nullptr;
  Gauge* part_bytes = nullptr;
  Gauge* part_samples = nullptr;
  Counter* flushes = nullptr;
  Counter* merges = nullptr;

  void Add(Counter* c, uint64_t v) {
    if (c != nullptr && v > 0) c->Inc(static_cast<double>(v));
  }
  void Reject(RejectReason reason, uint64_t v) {
    if (rejected != nullptr && v > 0) rejected->WithLabels({RejectReasonName(reason)}).Inc(static_cast<double>(v));
  }
};

}  // namespace vigil::tsdb
