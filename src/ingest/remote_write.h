#pragma once
// Prometheus remote_write 1.0: the prompb WriteRequest protobuf, decoded by
// hand (no libprotobuf) and encoded for tests, benchmarks and our own client.
//
// Schema (prometheus/prompb/{remote,types}.proto), the only fields we read:
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
// Exemplars, native histograms and metadata are checked for well-formed wire
// format, counted in IngestStats, and not stored. Every other field number,
// of any wire type (groups included), is skipped. A known field with the
// wrong wire type is an error (as in VictoriaMetrics' decoder). Strings are
// not checked for UTF-8 (neither Prometheus' gogo code nor VictoriaMetrics do).
// The body is the snappy-decoded bytes: the HTTP layer removes the encoding.
//
// All or nothing: a malformed body must be answered 400 and store nothing
// (Prometheus and VictoriaMetrics reject the whole request), so decoding is
// two-phase. Decode() parses and checks the whole body into flat arrays
// (views into the body, no copies) without calling any sink; only when it
// returned OK may Emit() hand the series over. Series past a per-series
// limit are dropped in Decode() and counted; they do not fail the body.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/sample_row.h"
#include "base/status.h"
#include "ingest/limits.h"

namespace vigil::ingest {

// Decodes WriteRequest bodies. Reuse one decoder per thread: its arrays keep
// their capacity, so steady-state decoding does not allocate.
// Not thread-safe; distinct decoders are independent.
class WriteRequestDecoder {
 public:
  explicit WriteRequestDecoder(IngestLimits limits = {}) : limits_(limits) {}

  WriteRequestDecoder(const WriteRequestDecoder&) = delete;
  WriteRequestDecoder& operator=(const WriteRequestDecoder&) = delete;

  // Phase 1. Parses and validates all of body; forgets the previous body.
  // Returns InvalidArgument("cannot unmarshal WriteRequest: <what> at offset N")
  // for malformed wire format, ResourceExhausted naming max_samples_per_request
  // when the body holds more samples. On error nothing is kept to emit.
  // REQUIRES: body stays alive and unchanged until Emit() has returned.
  Status Decode(std::string_view body);

  // Phase 2. Calls sink->OnSeries once per kept series that has samples, in
  // body order, labels and samples in body order. Adds emitted counts to
  // stats(). REQUIRES: the last Decode() returned OK.
  void Emit(RowSink* sink);

  // One kept series of the last successful Decode(); views into the body
  // and the decoder, valid until the next Decode().
  struct SeriesView {
    std::span<const LabelPair> labels;
    std::span<const Sample> samples;
    // The series' Label fields exactly as encoded, when they are contiguous
    // in the TimeSeries (Prometheus writes them first); empty otherwise.
    // Equal non-empty raw_labels decode to equal labels.
    std::string_view raw_labels;
  };
  // REQUIRES: i < series_count().
  SeriesView series(size_t i) const;

  // Kept series and their samples after the last successful Decode().
  size_t series_count() const { return series_.size(); }
  size_t sample_count() const { return samples_.size(); }

  // Counters of the last Decode() + Emit() (reset by Decode()).
  const IngestStats& stats() const { return stats_; }

 private:
  struct SeriesRef {
    uint32_t first_label;
    uint32_t label_count;
    uint32_t first_sample;
    uint32_t sample_count;
    uint32_t raw_labels_offset;  // into body_
    uint32_t raw_labels_size;    // 0: labels not contiguous
  };

  class Parser;  // remote_write.cc

  IngestLimits limits_;
  IngestStats stats_;
  std::string_view body_;
  std::vector<LabelPair> labels_;
  std::vector<Sample> samples_;
  std::vector<SeriesRef> series_;
  std::string limit_message_;  // scratch for SeriesWithinLimits
};

// One-shot convenience: Decode(), then on success Emit(). Adds the decoder's
// counters to *stats when stats != nullptr (also on failure).
Status DecodeWriteRequest(std::string_view body, const IngestLimits& limits, RowSink* sink,
                          IngestStats* stats);

// One series to encode; views must stay valid during the call.
struct TimeSeriesView {
  std::span<const LabelPair> labels;
  std::span<const Sample> samples;
};

// Appends a serialized WriteRequest holding the given series (labels then
// samples, in order) to *out. Proto3 defaults are omitted: a sample value of
// +0.0 and a timestamp of 0 are not written (they decode as such); -0.0 and
// every NaN are written bit for bit. Never fails.
void AppendWriteRequest(std::span<const TimeSeriesView> series, std::string* out);

// As AppendWriteRequest into a new string.
std::string EncodeWriteRequest(std::span<const TimeSeriesView> series);

}  // namespace vigil::ingest
