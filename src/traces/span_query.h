#pragma once
// SpanQuery: the Jaeger query service's questions (services, operations,
// trace search, one trace, service dependencies) answered directly on a log
// store holding span rows (ingest/span_row.h), without LogsQL.
//
// How the store's block skipping is used:
//   - services come from stream labels (service.name is the stream), so
//     listing them decodes no block; operations read the name and kind
//     columns of that service's blocks only;
//   - a trace lookup scans with the trace id as a required token of the
//     trace_id column, so only blocks whose bloom filter may hold the id are
//     decoded — first just their trace_id column, then, for the streams and
//     time range where the id was found, every column;
//   - a search reads only the service's stream (blocks without the
//     operation's words in their name filter are skipped) and walks back from the end of the time range in growing windows until it
//     has `limit` traces.
//
// Thread-safe: every method only reads the store, which allows concurrent scans.

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "logstore/reader.h"

namespace vigil::traces {

// One stored span: its row's time and non-empty fields (stream labels
// included as fields, `_msg` excluded).
struct StoredSpan {
  int64_t time_ns = 0;
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of field `name`, or "".
  std::string_view Get(std::string_view name) const;
};

// One operation of a service and the kind of its spans (numeric SpanKind as
// stored: "0".."5").
struct Operation {
  std::string name;
  std::string kind;
  bool operator<(const Operation& o) const { return std::tie(name, kind) < std::tie(o.name, o.kind); }
  bool operator==(const Operation& o) const = default;
};

// What /api/traces searches for. A trace matches when one of its spans
// matches every given condition.
struct TraceSearch {
  std::string service;    // required
  std::string operation;  // "" = any
  // Jaeger tags: span/resource/scope attributes by key, or Jaeger's special
  // keys (error, span.kind, otel.status_description, w3c.tracestate,
  // otel.scope.name, otel.scope.version).
  std::vector<std::pair<std::string, std::string>> tags;
  int64_t min_duration_ns = 0;  // 0 = no bound
  int64_t max_duration_ns = 0;  // 0 = no bound
  int64_t start_ns = 0;         // matching span's end time, inclusive
  int64_t end_ns = std::numeric_limits<int64_t>::max();
  size_t limit = 20;
  // Where "recent" ends: the search reads the 5 minutes and then the hour
  // before min(end_ns, recent_end_ns) first (callers pass now).
  int64_t recent_end_ns = std::numeric_limits<int64_t>::max();
};

// A caller→callee edge between services, with how many spans made it.
struct DependencyLink {
  std::string parent;
  std::string child;
  uint64_t call_count = 0;
};

class SpanQuery {
 public:
  // Bound on the spans one dependencies request reads (the edges come from
  // joining span ids in memory).
  static constexpr size_t kMaxDependencySpans = 2'000'000;

  // REQUIRES: reader outlives this object.
  explicit SpanQuery(const logstore::LogReader* reader) : reader_(reader) {}

  // Service names with spans in [min_ns, max_ns], sorted.
  Result<std::vector<std::string>> Services(int64_t min_ns, int64_t max_ns) const;

  // Span names of `service`, sorted.
  Result<std::vector<std::string>> OperationNames(std::string_view service) const;

  // Span names of `service` with their kinds; only kind `kind` ("0".."5")
  // when it is not empty. Sorted by name, then kind.
  Result<std::vector<Operation>> Operations(std::string_view service, std::string_view kind) const;

  // Every span of trace `trace_id` (lowercase hex) whose end time is in
  // [min_ns, max_ns], sorted by start time. Empty when there is none.
  Result<std::vector<StoredSpan>> Trace(std::string_view trace_id, int64_t min_ns = std::numeric_limits<int64_t>::min(),
                                        int64_t max_ns = std::numeric_limits<int64_t>::max()) const;

  // Ids of the traces matching `search`, latest matching span first, at most
  // search.limit of them. When `latest_ns` is given, it receives the end time
  // of each trace's latest matching span (same order).
  Result<std::vector<std::string>> FindTraceIds(const TraceSearch& search,
                                                std::vector<int64_t>* latest_ns = nullptr) const;

  // Service-to-service calls among spans ending in [min_ns, max_ns]: a span
  // of service B whose parent span belongs to service A (A != B) counts one
  // call A→B. Reads at most kMaxDependencySpans spans. Sorted by parent, child.
  Result<std::vector<DependencyLink>> Dependencies(int64_t min_ns, int64_t max_ns) const;

 private:
  const logstore::LogReader* reader_;
};

// Maps Jaeger's span kind names ("server", "client", ...) to the stored
// number ("2", "3", ...); "" for an unknown name.
std::string SpanKindNumber(std::string_view name);
// The reverse: "2" -> "server"; "" for 0 (unspecified) and unknown numbers.
std::string_view SpanKindName(std::string_view number);

}  // namespace vigil::traces
