#pragma once
// The common currency between push/scrape format parsers (remote_write,
// Prometheus text, InfluxDB line protocol, VictoriaMetrics JSON import) and
// the storage that ingests what they parse. Parsers emit rows through a
// RowSink without building owned strings, so ingestion stays allocation-light.

#include <cstdint>
#include <span>
#include <string_view>

namespace vigil {

// One label of a parsed series. The views point into the parser's input or
// scratch buffers and are valid only during the RowSink call.
struct LabelPair {
  std::string_view name;
  std::string_view value;
};

// One sample: milliseconds since the Unix epoch and a float64 value (stale
// markers and other NaNs are carried bit for bit).
struct Sample {
  int64_t timestamp_ms;
  double value;
};

// Receives parsed series. Labels are in input order (not sorted, not
// deduplicated); the metric name, when the format has one, is the label
// "__name__". Samples are in input order.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) = 0;
};

}  // namespace vigil
