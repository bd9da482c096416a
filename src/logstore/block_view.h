#pragma once
// BlockView: a read-only, columnar view of log rows of one stream, the unit in
// which the log store hands data to LogsQL. Values are views into storage that
// stays valid for the duration of the scan callback that received the view.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "logstore/row.h"

namespace vigil::logstore {

// One field's values, one per row of the block; "" where a row lacks the field.
struct ColumnView {
  std::string_view name;
  std::vector<std::string_view> values;
};

// Rows of a single stream, sorted by time ascending. Columns never include
// `_time`, `_stream` or `_stream_id` (they come from timestamps() and stream()).
struct BlockView {
  // The stream's labels (sorted by name).
  const StreamLabels* stream_labels = nullptr;
  // `_stream` as VictoriaLogs prints it, e.g. `{job="pgsql"}`.
  std::string_view stream;
  // StreamIdOf(*stream_labels).
  uint64_t stream_id = 0;
  // Nanosecond timestamps, one per row.
  std::span<const int64_t> timestamps;
  // The block's columns in no particular order; at most one per name.
  std::span<const ColumnView> columns;

  size_t rows() const { return timestamps.size(); }
  // The column named `name`, or nullptr when no row of the block has it.
  const ColumnView* Find(std::string_view name) const {
    for (const auto& c : columns)
      if (c.name == name) return &c;
    return nullptr;
  }
};

}  // namespace vigil::logstore
