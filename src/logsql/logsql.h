#pragma once
// LogsQL: VictoriaLogs' query language over the log store's read contract
// (logstore::LogReader). Parse() turns text into a Query (filters + pipes);
// Execute() scans the store with what the query lets it skip (time range,
// streams, required words), evaluates filters per block column by column,
// runs the pipes and hands result rows to a sink. See docs/logsql.md.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logsql/filter.h"
#include "logsql/pipe.h"
#include "logstore/reader.h"

namespace vigil::logsql {

// A parsed LogsQL query. Immutable after Parse except for
// AddTimeBucketToFinalStats; a const Query may be executed by many threads at
// once. Move-only.
class Query {
 public:
  Query(FilterPtr filter, std::vector<PipePtr> pipes);
  Query(Query&&) noexcept;
  Query& operator=(Query&&) noexcept;
  ~Query();

  // The canonical text: re-parsing it gives an equivalent query.
  std::string String() const;
  const Filter& filter() const { return *filter_; }
  const std::vector<PipePtr>& pipes() const { return pipes_; }

  // True when the last pipe is `stats` (what stats_query endpoints need).
  bool EndsWithStats() const;
  // The final stats pipe's by-fields (bucketed `_time:1h` is "_time") and its
  // result names, in output order. Empty when !EndsWithStats().
  std::vector<std::string> StatsByFields() const;
  std::vector<std::string> StatsResultNames() const;
  // Adds `_time:step [offset]` to the final stats pipe's by-list (replacing a
  // `_time` bucket already there), for stats_query_range.
  // REQUIRES: EndsWithStats(), step_ns > 0. Returns InvalidArgument otherwise.
  Status AddTimeBucketToFinalStats(int64_t step_ns, int64_t offset_ns);
  // True when the query can be live-tailed: no sort, limit, offset, stats,
  // uniq, top or other pipe that needs all rows first.
  bool IsTailCompatible() const;

 private:
  FilterPtr filter_;
  std::vector<PipePtr> pipes_;
};

// Parses `text`. Errors are InvalidArgument("cannot parse query at position
// N: unexpected X; expected Y") with N the byte offset (0-based).
Result<Query> Parse(std::string_view text);

// Limits and the clock of one execution.
struct ExecuteOptions {
  // Inclusive `_time` bounds in ns, ANDed with the query's own time filters.
  int64_t start_ns = std::numeric_limits<int64_t>::min();
  int64_t end_ns = std::numeric_limits<int64_t>::max();
  // `now` for relative time filters such as `_time:5m`. REQUIRED.
  int64_t now_ns = 0;
  // When > 0: without pipes, the `limit` newest rows, newest first (as
  // VictoriaLogs' limit=N); with pipes, `| limit N` after the last pipe.
  uint64_t limit = 0;
  // Past this many rows read from the store the query fails with
  // ResourceExhausted; 0 = unlimited.
  uint64_t max_rows_scanned = 0;
  // Past this instant the query fails with ResourceExhausted.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // When set and true, the query stops with Unavailable("query canceled").
  const std::atomic<bool>* cancel = nullptr;
  // Bound on rows held by blocking pipes (sort, stats groups); 0 = none.
  uint64_t max_held_rows = 0;
};

// Counters of one execution.
struct ExecuteStats {
  uint64_t blocks_scanned = 0;
  uint64_t rows_scanned = 0;
  uint64_t rows_matched = 0;
};

// Receives result rows in order; returns false to stop the query early
// (e.g. the client went away), which is not an error.
using RowSink = std::function<bool(const Row&)>;

// What Execute asks the store for: the time range (options ∧ query), the
// stream predicate and the required words of the query's AND-ed filters.
logstore::ScanRequest BuildScanRequest(const Query& query, const ExecuteOptions& options);

// Runs `query` against `reader`. Rows without pipes carry `_time` (RFC 3339,
// ns, UTC), `_stream_id`, `_stream`, `_msg` and then the other fields; rows
// are emitted while the store is scanned unless a pipe must see all rows
// first. Returns the store's error, InvalidArgument, ResourceExhausted
// (limits, deadline) or Unavailable (canceled); rows already emitted stand.
Status Execute(const Query& query, const logstore::LogReader& reader, const ExecuteOptions& options,
               const RowSink& sink, ExecuteStats* stats = nullptr);

}  // namespace vigil::logsql
