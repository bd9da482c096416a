#include "ingest/limits.h"

#include <fmt/format.h>

namespace vigil::ingest {
namespace {

// The metric name for messages, shortened so a huge value cannot flood logs.
std::string_view MetricNameForMessage(std::span<const LabelPair> labels) {
  constexpr size_t kMaxShown = 128;
  for (const LabelPair& l : labels) {
    if (l.name == "__name__") return l.value.substr(0, kMaxShown);
  }
  return {};
}

}  // namespace

bool SeriesWithinLimits(const IngestLimits& limits, std::span<const LabelPair> labels,
                        std::string* why) {
  if (labels.size() > limits.max_labels_per_series) {
    if (why != nullptr) {
      *why = fmt::format("series {:?} has {} labels, more than max_labels_per_series={}",
                         MetricNameForMessage(labels), labels.size(), limits.max_labels_per_series);
    }
    return false;
  }
  for (const LabelPair& l : labels) {
    if (l.name.size() > limits.max_label_name_bytes) {
      if (why != nullptr) {
        *why = fmt::format("series {:?} has a label name of {} bytes ({:?}...), more than max_label_name_bytes={}",
                           MetricNameForMessage(labels), l.name.size(), l.name.substr(0, 64),
                           limits.max_label_name_bytes);
      }
      return false;
    }
    if (l.value.size() > limits.max_label_value_bytes) {
      if (why != nullptr) {
        *why = fmt::format("series {:?} has a value of {} bytes for label {:?}, more than max_label_value_bytes={}",
                           MetricNameForMessage(labels), l.value.size(), l.name.substr(0, 64),
                           limits.max_label_value_bytes);
      }
      return false;
    }
  }
  return true;
}

}  // namespace vigil::ingest
