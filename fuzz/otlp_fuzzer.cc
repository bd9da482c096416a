// libFuzzer target for the OTLP trace decoders (src/ingest/otlp_traces.h)
// and the Jaeger rendering of what they produce (src/traces/jaeger_json.h).
//
// The first byte picks the encoding (even: protobuf, odd: JSON); the rest is
// the body, copied to a heap buffer of its exact size so ASan sees any
// over-read. Properties, on arbitrary bytes:
//   - decoding never crashes, and an error carries the documented prefix;
//   - on success, stats.spans equals the rows produced, and every row has a
//     32-digit trace_id and a 16-digit span_id and a stream of one label (the service);
//   - the rows render as a Jaeger trace without crashing.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/otlp_traces.h"
#include "traces/jaeger_json.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  std::vector<char> body(data + 1, data + size);
  const std::string_view view(body.data(), body.size());
  std::vector<vigil::logstore::LogEntry> rows;
  vigil::ingest::OtlpTraceStats stats;
  vigil::ingest::OtlpTraceLimits limits;
  limits.max_attributes = 16;
  limits.max_value_bytes = 256;
  const vigil::Status s = json ? vigil::ingest::ParseOtlpTracesJson(view, limits, &rows, &stats)
                               : vigil::ingest::ParseOtlpTracesProtobuf(view, limits, &rows, &stats);
  if (!s.ok()) {
    Check(s.message().starts_with(json ? "cannot parse OTLP/JSON" : "cannot unmarshal OTLP"));
    return 0;
  }
  Check(stats.spans == rows.size());
  std::vector<vigil::traces::StoredSpan> spans;
  for (const auto& row : rows) {
    Check(row.stream.size() == 1);
    vigil::traces::StoredSpan span;
    span.time_ns = row.time_ns;
    for (const auto& f : row.fields) {
      if (f.name == "trace_id") Check(f.value.size() == 32);
      if (f.name == "span_id") Check(f.value.size() == 16);
      span.fields.emplace_back(f.name, f.value);
    }
    spans.push_back(std::move(span));
  }
  if (!spans.empty()) {
    std::string out;
    vigil::traces::AppendJaegerTrace(&out, spans);
    Check(!out.empty());
  }
  return 0;
}
