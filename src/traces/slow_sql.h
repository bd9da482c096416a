#pragma once
// Slow SQL as traces: PostgreSQL's duration log lines, already in the log
// store (shipped by Vector or any log shipper), become one-span traces.
//
// PostgreSQL writes, with log_min_duration_statement set,
//   duration: 1001.234 ms  statement: select pg_sleep(1)
//   duration: 2.5 ms  execute <unnamed>: select ...
// in the message (stderr/syslog logs; the CSV log's message column holds the
// same text, so a CSV line shipped whole works too). Each such row becomes a
// span: service "postgres/<ins>", operation = the normalised statement
// (literals replaced by ?, whitespace collapsed), end = the row's _time,
// start = end - duration, attributes db.system, db.statement, db.user,
// db.name. Ids are derived from the row (stream, time, message), so a row
// read twice gives the same span.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "logstore/reader.h"
#include "logstore/row.h"

namespace vigil::traces {

// The duration and statement of a PostgreSQL duration message; false when
// `message` is not one (no "duration: N ms" followed by "statement:" or
// "execute <name>:").
bool ParseSlowQueryMessage(std::string_view message, double* duration_ms, std::string_view* statement);

// The statement with string and numeric literals replaced by "?", runs of
// whitespace collapsed to one space, trailing ';' dropped, and cut to
// max_bytes (at a UTF-8 boundary). Keywords and identifiers keep their case.
std::string NormalizeStatement(std::string_view sql, size_t max_bytes = 200);

// Reads new duration lines from a log store and turns them into span rows.
// It remembers a watermark (the latest log time read) in `state_path` so a
// restart does not read the same rows again; rows that arrive late (up to
// kLateArrival behind the watermark) are still picked up, and de-duplicated
// by their span id.
// Not thread-safe: one caller (the traces component's poller) at a time.
class SlowSqlScanner {
 public:
  static constexpr int64_t kLateArrivalNs = int64_t{60} * 1000000000;

  // `state_path` "" keeps the watermark in memory only.
  explicit SlowSqlScanner(std::string state_path);

  // Scans `logs` for duration lines with _time in (watermark - late, now_ns]
  // and appends a span row for each one not emitted before. Persists the new
  // watermark. Returns the number of rows appended.
  Result<size_t> Poll(const logstore::LogReader& logs, int64_t now_ns, std::vector<logstore::LogEntry>* out);

  int64_t watermark_ns() const { return watermark_ns_; }

 private:
  void Remember(uint64_t span_key, int64_t time_ns);

  std::string state_path_;
  int64_t watermark_ns_ = 0;
  bool loaded_ = false;
  bool first_poll_ = true;
  // Spans emitted within the late-arrival window (for de-duplication).
  std::deque<std::pair<int64_t, uint64_t>> recent_;
  std::unordered_set<uint64_t> recent_keys_;
};

}  // namespace vigil::traces
