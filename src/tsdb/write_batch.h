#pragma once
// WriteBatch: the rows of one write request, validated and copied, ready for
// Storage::Append. It is a RowSink, so the ingestion parsers write into it
// directly.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sample_row.h"
#include "tsdb/labels.h"

namespace vigil::tsdb {

// Limits a WriteBatch enforces per series. The defaults are VictoriaMetrics'
// (-maxLabelsPerTimeseries=40, -maxLabelNameLen=256, -maxLabelValueLen=4096).
struct SeriesLimits {
  size_t max_labels_per_series = 40;
  size_t max_label_name_len = 256;
  size_t max_label_value_len = 4096;
};

// Why rows were not stored. Names (RejectReasonName) are the `reason` label
// of vigil_tsdb_rejected_samples_total.
enum class RejectReason : uint8_t {
  kTooManyLabels = 0,
  kLabelNameTooLong,
  kLabelValueTooLong,
  kInvalidLabel,     // empty name, or name/value not UTF-8
  kNoLabels,         // nothing left after dropping empty values
  kOutOfRetention,   // older than now - retention (decided by Storage)
  kNewSeriesLimit,   // StorageOptions::max_new_series_per_day reached (Storage)
};
inline constexpr size_t kNumRejectReasons = 7;
// "too_many_labels", "label_name_too_long", ...
std::string_view RejectReasonName(RejectReason reason);

// Collects parsed rows, validating each series against SeriesLimits and
// copying what passes. A rejected series costs nothing but a counter: its
// samples are counted per reason, and the first rejection's message is kept.
// Extra labels (VictoriaMetrics' extra_label=name=value) are set on every row,
// replacing a label of the same name.
// A series' storage ref as a previous Storage::Append reported it. It is
// honoured only while the storage's ref generation is unchanged (deleting
// series bumps it); otherwise the storage looks the labels up as usual.
struct SeriesRefHint {
  uint64_t ref = 0;
  uint64_t generation = 0;  // 0: no hint
};

// Thread-compatible: one batch per request; Storage::Append only reads it.
class WriteBatch : public RowSink {
 public:
  // One accepted series and its samples (in input order).
  struct Row {
    const Labels& labels;             // valid while the batch lives
    std::span<const Sample> samples;  // into the batch; valid while it lives
    SeriesRefHint hint;               // from AddTrustedSeries; none otherwise
  };

  explicit WriteBatch(SeriesLimits limits = SeriesLimits()) : limits_(limits) {}
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // Validates and copies one series. Labels with an empty value are dropped
  // (Prometheus: empty means absent); a name given twice keeps its last value.
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override;

  // Validates and adds one series whose labels are already built. The extra
  // labels (SetExtraLabels) are not applied.
  void AddSeries(Labels labels, std::span<const Sample> samples);

  // Adds a series without validating or copying its labels, with an
  // optional ref hint. REQUIRES: a WriteBatch with the same limits accepted
  // these labels before (a caller's cache of rows it built), and `labels`
  // outlives this batch (the row refers to it).
  void AddTrustedSeries(const Labels& labels, std::span<const Sample> samples, SeriesRefHint hint = {});

  // Labels set on every row added AFTER this call (an empty value removes the
  // label). Counted against the limits like the row's own labels.
  void SetExtraLabels(std::vector<std::pair<std::string, std::string>> labels);

  // Accepted rows, in input order. A series sent twice is two rows.
  size_t num_rows() const { return rows_.size(); }
  Row row(size_t i) const;
  // Samples in accepted rows.
  size_t num_samples() const { return samples_.size(); }
  // Samples in rejected rows, all reasons together.
  size_t num_rejected() const { return num_rejected_; }
  // Samples rejected for `reason`.
  size_t num_rejected(RejectReason reason) const { return rejected_[static_cast<size_t>(reason)]; }
  // The message of the first rejection, e.g.
  // `label value too long (5000 > 4096 bytes): name="path" in series {...}`;
  // empty if nothing was rejected.
  const std::string& first_error() const { return first_error_; }

  // Whether Storage::Append waits for the WAL to reach the disk (fdatasync)
  // before returning; default true. Writers whose rows can be produced again
  // (scrapes, rule results) turn it off, as Prometheus never syncs them: the
  // rows are still in the WAL, so they survive a crash of the process (kill
  // -9), only not a power loss in the seconds before the kernel writes them.
  void set_wait_for_sync(bool wait) { wait_for_sync_ = wait; }
  bool wait_for_sync() const { return wait_for_sync_; }

  // Forgets all rows and counters (keeps limits and extra labels, and capacity).
  void Clear();

 private:
  struct StoredRow {
    Labels labels;                      // owned labels, unless `external` is set
    const Labels* external = nullptr;   // a trusted row's caller-owned labels
    size_t first_sample;
    size_t num_samples;
    SeriesRefHint hint;
  };
  void Reject(RejectReason reason, size_t num_samples, std::string message);
  // Returns false (after Reject) if `labels` breaks a limit.
  bool Validate(const Labels& labels, size_t num_samples);

  SeriesLimits limits_;
  std::vector<std::pair<std::string, std::string>> extra_labels_;
  LabelsBuilder builder_;
  std::vector<StoredRow> rows_;
  std::vector<Sample> samples_;
  std::array<size_t, kNumRejectReasons> rejected_{};
  size_t num_rejected_ = 0;
  std::string first_error_;
  bool wait_for_sync_ = true;
};

}  // namespace vigil::tsdb
