#pragma once
// Decoders of OTLP trace export requests (ExportTraceServiceRequest of
// opentelemetry/proto/collector/trace/v1) in both OTLP/HTTP encodings, binary
// protobuf and JSON (OTLP's JSON mapping: lowerCamelCase names, ids in hex,
// 64-bit integers as strings or numbers, enums as integers or names), into
// one log row per span (ingest/span_row.h). Pure functions of their input.
//
// Error policy, as the OTLP spec asks: a body that cannot be decoded is
// rejected as a whole (the caller answers 400 with the message); a decodable
// span that cannot be stored (missing or malformed ids, no timestamps) is
// dropped and counted, and the rest are stored (partial success).
//
// Bounds: spans per request (the rest are rejected and counted), AnyValue
// nesting depth, attributes per span, and the bytes of one rendered attribute
// value; attributes past a bound are dropped and added to
// the span's dropped_attributes_count, values longer than the bound are cut.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logstore/row.h"
#include "logstore/row_batch.h"

namespace vigil::ingest {

struct OtlpTraceLimits {
  // Attributes kept per span, resource, scope, event and link.
  size_t max_attributes = 256;
  // Bytes kept of one rendered attribute value.
  size_t max_value_bytes = 64 << 10;
  // Nesting of array/map values.
  int max_value_depth = 16;
  // Spans stored per request; later ones are rejected (a row costs far more
  // memory than its bytes on the wire, so this bounds a request's footprint).
  size_t max_spans = 100000;
};

struct OtlpTraceStats {
  uint64_t spans = 0;           // rows produced
  uint64_t rejected_spans = 0;  // decoded but not storable
  std::string first_rejection;  // why the first rejected span was rejected
};

// Decodes a binary protobuf ExportTraceServiceRequest. On OK, appends one
// entry per accepted span to *out and fills *stats. On error (malformed
// wire data), returns InvalidArgument naming the problem and its offset;
// *out may hold rows of the part before the error, which the caller discards.
// The rows go into `out` (ingestion's path: no heap string per field).
Status ParseOtlpTracesProtobuf(std::string_view body, const OtlpTraceLimits& limits, logstore::RowBatch* out,
                               OtlpTraceStats* stats);
// The same, rows as LogEntry values (tests and tools).
Status ParseOtlpTracesProtobuf(std::string_view body, const OtlpTraceLimits& limits,
                               std::vector<logstore::LogEntry>* out, OtlpTraceStats* stats);

// Decodes an OTLP/JSON ExportTraceServiceRequest (same contract as above;
// errors name the JSON column). Unknown fields are ignored, as OTLP/JSON
// requires.
Status ParseOtlpTracesJson(std::string_view body, const OtlpTraceLimits& limits, logstore::RowBatch* out,
                           OtlpTraceStats* stats);
// The same, rows as LogEntry values (tests and tools).
Status ParseOtlpTracesJson(std::string_view body, const OtlpTraceLimits& limits,
                           std::vector<logstore::LogEntry>* out, OtlpTraceStats* stats);

// ExportTraceServiceResponse: empty on full success, else partial_success
// with rejected_spans and error_message. Protobuf and JSON forms.
std::string EncodeOtlpTraceResponseProtobuf(uint64_t rejected_spans, std::string_view error_message);
std::string EncodeOtlpTraceResponseJson(uint64_t rejected_spans, std::string_view error_message);

// google.rpc.Status with code INVALID_ARGUMENT (3) and `message`: what an
// OTLP/HTTP server answers with a 400. Protobuf and JSON forms.
std::string EncodeOtlpErrorProtobuf(int code, std::string_view message);
std::string EncodeOtlpErrorJson(int code, std::string_view message);

}  // namespace vigil::ingest
