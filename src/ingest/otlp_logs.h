#pragma once
// Decoder of OTLP log export requests (ExportLogsServiceRequest of
// opentelemetry/proto/collector/logs/v1, binary protobuf), as VictoriaLogs'
// /insert/opentelemetry/v1/logs reads them: one entry per LogRecord with
//   - the resource's attributes as fields, and as the stream unless the
//     request names `_stream_fields`;
//   - `scope.name`, `scope.version` ("unknown" when unset) and
//     `scope.attributes.<key>` when the record's scope is given;
//   - `severity_number`, `severity_text`, `trace_id` and `span_id` (hex) when
//     set; `event_name` joins the stream;
//   - a string body as `_msg`; a map body as fields by key;
//   - attributes by key; map values flattened with dots ("http.request.x"),
//     arrays as JSON, bytes as base64;
//   - the time from time_unix_nano, else observed_time_unix_nano, else now.
// Pure function of its input.
//
// Error policy: a body that cannot be decoded is rejected as a whole; values
// nested deeper than 16 levels count as undecodable.

#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/log_ingest.h"
#include "logstore/row.h"

namespace vigil::ingest {

// Appends one entry per log record to *out, applying `options` (stream,
// message and ignored fields, extra fields; `now_ns` for records without a
// time). On a malformed body returns InvalidArgument naming the problem and
// its offset; *out may then hold entries of the part before it, which the
// caller discards.
Status ParseOtlpLogsProtobuf(std::string_view body, const LogIngestOptions& options,
                             std::vector<logstore::LogEntry>* out, LogIngestStats* stats);

}  // namespace vigil::ingest
