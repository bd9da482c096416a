#pragma once
// Bounds and counters shared by the push-format parsers in src/ingest.
//
// Every parser takes an IngestLimits and fills an IngestStats. Limits come in
// two kinds, and they behave differently on purpose:
//   - per-series limits (labels per series, label name/value length): a series
//     past one is dropped, counted in IngestStats::series_dropped_by_limits,
//     and the rest of the request goes on. This is what VictoriaMetrics does
//     (vm_rows_ignored_total), and it keeps one odd series from making a
//     Prometheus sender discard a whole batch on a 400.
//   - per-request and per-line limits (samples per request, line length):
//     a request past the former fails with ResourceExhausted before anything
//     is emitted; a line past the latter is an invalid line.
// Every message names the limit (e.g. "max_labels_per_series=40") so that an
// operator can find the knob.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/sample_row.h"

namespace vigil::ingest {

// Defaults follow VictoriaMetrics' flags where it has one.
struct IngestLimits {
  // -maxLabelsPerTimeseries in VictoriaMetrics (40). Counts every label,
  // including __name__ and labels the parser adds (e.g. influx "db").
  size_t max_labels_per_series = 40;
  // -maxLabelNameLen in VictoriaMetrics (256 bytes).
  size_t max_label_name_bytes = 256;
  // -maxLabelValueLen in VictoriaMetrics (4096 bytes); applies to __name__ too.
  size_t max_label_value_bytes = 4096;
  // -influx.maxLineSize in VictoriaMetrics (256 KiB).
  size_t max_influx_line_bytes = 256 * 1024;
  // -import.maxLineLen in VictoriaMetrics (10 MiB); a line of /api/v1/import.
  size_t max_import_line_bytes = 10 * 1024 * 1024;
  // Samples in one parse call. A 32 MiB remote_write body (VictoriaMetrics'
  // -maxInsertRequestSize) holds at most ~3 M samples, so 10 M only stops
  // abuse of line formats; 0 disables the check.
  size_t max_samples_per_request = 10'000'000;
};

// What a line-oriented parser does with a line it cannot parse.
enum class LineErrorPolicy {
  // Skip the line, count it, keep the first message, go on (VictoriaMetrics
  // /api/v1/import and pre-1.100 influx behaviour). The call returns OK.
  kSkipInvalidLines,
  // Validate the whole body first; on any invalid line return InvalidArgument
  // and emit nothing (current VictoriaMetrics influx batch mode; Prometheus
  // remote_write always behaves like this).
  kRejectRequest,
};

// Counters filled by a parse call. Parsers ADD to the counters, and set
// first_error only while it is empty, so one IngestStats can span several
// calls (e.g. a body fed in line-aligned blocks). Not thread-safe.
struct IngestStats {
  uint64_t series_emitted = 0;            // RowSink::OnSeries calls
  uint64_t samples_emitted = 0;           // samples passed in those calls
  uint64_t series_dropped_by_limits = 0;  // series past a per-series limit, not emitted
  uint64_t invalid_lines = 0;             // influx / vmimport lines skipped
  uint64_t exemplars_skipped = 0;         // remote_write exemplars (not stored)
  uint64_t histograms_skipped = 0;        // remote_write native histograms (not stored)
  uint64_t metadata_skipped = 0;          // remote_write MetricMetadata entries
  uint64_t string_fields_skipped = 0;     // influx string fields that are not numbers
  // The first invalid line or limit violation, with its position; empty if none.
  std::string first_error;

  // Records msg as first_error unless one is already kept.
  void NoteProblem(std::string_view msg) {
    if (first_error.empty()) first_error.assign(msg);
  }
};

// Checks one series against the per-series limits. Returns true when it is
// within them; otherwise returns false and, if why != nullptr, stores a
// message naming the limit and the series' metric name.
bool SeriesWithinLimits(const IngestLimits& limits, std::span<const LabelPair> labels,
                        std::string* why);

}  // namespace vigil::ingest
