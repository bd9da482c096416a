#pragma once
// The log data model shared by the log store, LogsQL and the services that
// feed them: a log entry is a timestamp, a stream and a flat set of fields,
// as VictoriaLogs defines it (docs/logs.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::logstore {

// One name/value pair of a log entry. An empty value means "field absent".
struct Field {
  std::string name;
  std::string value;
};

// A stream's identity: its label pairs, sorted by name, names unique.
using StreamLabels = std::vector<std::pair<std::string, std::string>>;

// Renders labels as VictoriaLogs prints `_stream`: `{a="x",b="y"}` with
// Go-style quoting of values. REQUIRES: labels sorted by name.
std::string FormatStream(const StreamLabels& labels);

// A stable 64-bit id of a stream's labels (the same labels give the same id in
// every process and version). `_stream_id` prints it as 16 hex digits.
uint64_t StreamIdOf(const StreamLabels& labels);

// One log entry as ingesters produce it. `fields` excludes `_time` and
// `_stream`; `_msg` is an ordinary field named "_msg".
struct LogEntry {
  int64_t time_ns = 0;
  StreamLabels stream;
  std::vector<Field> fields;
};

}  // namespace vigil::logstore
