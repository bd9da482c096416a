#pragma once
// Spans as log rows: the OpenTelemetry span model and how one span becomes one
// logstore::LogEntry with the field names VictoriaTraces uses, so that LogsQL
// over spans reads the same in both (docs/traces.md lists the fields).
//
//   _time                       end time (ns)
//   _stream                     {resource_attr:service.name="<service>"}
//   _msg                        "-"
//   trace_id span_id parent_span_id      lowercase hex
//   trace_state flags name kind start_time_unix_nano end_time_unix_nano duration
//   dropped_attributes_count dropped_events_count dropped_links_count
//   status_code status_message scope_name scope_version
//   resource_attr:<k> scope_attr:<k> span_attr:<k>
//   event:event_time_unix_nano:<i> event:event_name:<i> event:event_attr:<k>:<i>
//   event:event_dropped_attributes_count:<i>
//   link:link_trace_id:<i> link:link_span_id:<i> link:link_trace_state:<i>
//   link:link_flags:<i> link:link_attr:<k>:<i> link:link_dropped_attributes_count:<i>
//
// Attribute values are rendered as text: strings as is, booleans as
// true/false, integers in decimal, doubles in the shortest round-trip form,
// bytes in base64, arrays and maps as JSON. An empty value is stored as "-"
// (the log store treats "" as an absent field).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logstore/row.h"
#include "logstore/row_batch.h"

namespace vigil::ingest {

// Field names (VictoriaTraces' lib/protoparser/opentelemetry/pb naming).
inline constexpr std::string_view kTraceIdField = "trace_id";
inline constexpr std::string_view kSpanIdField = "span_id";
inline constexpr std::string_view kParentSpanIdField = "parent_span_id";
inline constexpr std::string_view kSpanNameField = "name";
inline constexpr std::string_view kSpanKindField = "kind";
inline constexpr std::string_view kStartTimeField = "start_time_unix_nano";
inline constexpr std::string_view kEndTimeField = "end_time_unix_nano";
inline constexpr std::string_view kDurationField = "duration";
inline constexpr std::string_view kStatusCodeField = "status_code";
inline constexpr std::string_view kStatusMessageField = "status_message";
inline constexpr std::string_view kTraceStateField = "trace_state";
inline constexpr std::string_view kScopeNameField = "scope_name";
inline constexpr std::string_view kScopeVersionField = "scope_version";
inline constexpr std::string_view kServiceNameField = "resource_attr:service.name";
inline constexpr std::string_view kResourceAttrPrefix = "resource_attr:";
inline constexpr std::string_view kScopeAttrPrefix = "scope_attr:";
inline constexpr std::string_view kSpanAttrPrefix = "span_attr:";
inline constexpr std::string_view kEventPrefix = "event:";
inline constexpr std::string_view kLinkPrefix = "link:";
// The service of spans whose resource has no service.name (the OTel SDK default).
inline constexpr std::string_view kUnknownService = "unknown_service";

// An attribute with its value already rendered as text.
struct Attribute {
  std::string key;
  std::string value;
};

struct SpanEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  std::vector<Attribute> attributes;
  uint64_t dropped_attributes_count = 0;
};

struct SpanLink {
  std::string trace_id;  // lowercase hex
  std::string span_id;   // lowercase hex
  std::string trace_state;
  std::vector<Attribute> attributes;
  uint64_t dropped_attributes_count = 0;
  uint32_t flags = 0;
};

// One span as OTLP carries it, ids already in lowercase hex.
struct Span {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  // "" for a root span
  std::string trace_state;
  std::string name;
  int64_t kind = 0;  // SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
  uint32_t flags = 0;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  std::vector<Attribute> attributes;
  uint64_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  uint64_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  uint64_t dropped_links_count = 0;
  int64_t status_code = 0;  // 0 unset, 1 ok, 2 error
  std::string status_message;
};

// The resource and instrumentation scope the spans of one ScopeSpans share.
struct SpanOrigin {
  std::vector<Attribute> resource_attributes;
  std::string scope_name;
  std::string scope_version;
  std::vector<Attribute> scope_attributes;
};

// Why a span cannot be stored ("" when it can): a trace id that is not 16
// bytes or is all zeros, a span id that is not 8 bytes or is all zeros, a
// parent id that is neither empty nor 8 bytes, or no timestamps at all.
std::string ValidateSpan(const Span& span);

// The row for `span`. Its stream is the service alone (VictoriaTraces adds the
// span name; one stream per service keeps blocks large, which makes parts
// about a third smaller and flushes faster). REQUIRES: ValidateSpan(span) is "". A missing end time
// takes the start time; an end before the start gives duration 0.
logstore::LogEntry SpanToLogEntry(const SpanOrigin& origin, const Span& span);

// SpanToLogEntry's row appended to `out` without a heap string per field
// (the ingestion path). REQUIRES: ValidateSpan(span) is "".
void AppendSpanRow(const SpanOrigin& origin, const Span& span, logstore::RowBatch* out);
// The service of spans of `origin`: its resource's service.name, or
// kUnknownService when that is missing or empty. Points into `origin`.
std::string_view SpanService(const SpanOrigin& origin);
// The stream index in `out` of the spans of `origin` (its service), added if
// new: what AppendSpanRow computes per span, for a caller appending many
// spans of one origin.
uint32_t SpanStreamIndex(const SpanOrigin& origin, logstore::RowBatch* out);
// AppendSpanRow with the stream already known.
// REQUIRES: ValidateSpan(span) is "", stream == SpanStreamIndex(origin, out).
void AppendSpanRow(const SpanOrigin& origin, const Span& span, uint32_t stream, logstore::RowBatch* out);

// Lowercase hex of raw id bytes.
std::string HexId(std::string_view bytes);
// HexId into *out, reusing its capacity.
void AssignHexId(std::string_view bytes, std::string* out);

// True when `hex` is a well-formed id of `bytes` bytes (2*bytes hex digits,
// any case) that is not all zeros.
bool IsValidHexId(std::string_view hex, size_t bytes);

}  // namespace vigil::ingest
