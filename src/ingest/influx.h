#pragma once
// InfluxDB line protocol, with VictoriaMetrics' mapping to series:
//
//   measurement[,tag=v...] field=value[,field=value...] [timestamp]
//
// Each numeric field becomes one series named "<measurement>_<field>" (just
// "<field>" when the measurement is empty) with the tags as labels, in line
// order, after __name__. The caller's `db` (the query argument) is appended as
// label "db" unless a tag is called db. Tags with an empty key or value are
// dropped (as VictoriaMetrics does).
//
// Field values: floats (1.5, -2e3, inf, nan), integers 10i, unsigned 10u,
// booleans t/T/true/True/TRUE (1) and f/F/false/False/FALSE (0). A quoted
// string whose content is a number counts as that number (some agents send
// numbers as strings; VictoriaMetrics does the same); any other string field
// is skipped and counted, not stored.
//
// Escapes: in measurement, tag keys/values and field keys, a backslash before
// space, comma, '=' or backslash stands for that character; before anything
// else it is kept. In string field values \" and \\ are escapes.
//
// Lines end with \n (a trailing \r is removed). Blank lines and lines whose
// first non-blank character is '#' are skipped. A string field cannot span
// lines. Timestamps are integers in the request's precision (default ns) and
// become milliseconds (truncated toward zero); a missing one means now_ms.
//
// Invalid lines: with LineErrorPolicy::kSkipInvalidLines (default) they are
// skipped and counted, the first message kept in IngestStats::first_error, and
// the call returns OK (VictoriaMetrics up to 1.99: log and skip; Telegraf then
// does not resend the batch). With kRejectRequest every line is checked first
// and the call fails with InvalidArgument, emitting nothing, when any line is
// invalid (VictoriaMetrics' current HTTP behaviour). Stricter than VM in one
// point: a field value that is not a number, bool or string (e.g. `x=abc`)
// makes the line invalid, where VM silently stores 0.

#include <cstdint>
#include <string_view>

#include "base/sample_row.h"
#include "base/status.h"
#include "ingest/limits.h"

namespace vigil::ingest {

enum class InfluxPrecision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// Maps the `precision` query argument: "" and "ns" -> ns; "u", "us", "µ" -> us;
// "ms"; "s"; "m"; "h". Anything else is InvalidArgument naming the value.
Result<InfluxPrecision> ParseInfluxPrecision(std::string_view arg);

struct InfluxOptions {
  InfluxPrecision precision = InfluxPrecision::kNanoseconds;
  // Timestamp (ms) given to lines without one; the caller's clock.
  int64_t now_ms = 0;
  // The `db` query argument; empty adds no label. Must outlive the call.
  std::string_view db;
  LineErrorPolicy on_error = LineErrorPolicy::kSkipInvalidLines;
  IngestLimits limits;
};

// Parses body and calls sink->OnSeries once per stored field (one sample
// each), in line order, then field order. Adds to *stats (REQUIRES: stats is
// not null). Returns InvalidArgument only under kRejectRequest (message
// "cannot parse influx line N: <what>; line: <excerpt>"), and
// ResourceExhausted when more than limits.max_samples_per_request fields would
// be stored (under kSkipInvalidLines the rows before that point were emitted;
// under kRejectRequest nothing was). Thread-safe for distinct arguments.
Status ParseInfluxLines(std::string_view body, const InfluxOptions& options, RowSink* sink, IngestStats* stats);

}  // namespace vigil::ingest
