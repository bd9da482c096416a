#include "ingest/span_row.h"

#include <algorithm>
#include <charconv>

namespace vigil::ingest {
namespace {

// Appends span fields to a RowBatch; names built from attribute keys go
// through one reused buffer.
class RowWriter {
 public:
  explicit RowWriter(logstore::RowBatch* out) : out_(out) {}

  // A field with a constant name; an empty value is stored as "-".
  void Static(std::string_view name, std::string_view value) {
    out_->AddFieldStaticName(name, value.empty() ? std::string_view("-") : value);
  }
  void Number(std::string_view name, uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->AddFieldStaticName(name, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  }
  void SignedNumber(std::string_view name, int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->AddFieldStaticName(name, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  }
  // A field named prefix + key + suffix (copied into the batch).
  void Named(std::string_view prefix, std::string_view key, std::string_view suffix, std::string_view value) {
    name_.assign(prefix).append(key).append(suffix);
    out_->AddField(name_, value.empty() ? std::string_view("-") : value);
  }
  void NamedNumber(std::string_view prefix, std::string_view key, std::string_view suffix, uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    Named(prefix, key, suffix, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  }
  void Attributes(std::string_view prefix, const std::vector<Attribute>& attrs, std::string_view suffix = {}) {
    for (const auto& a : attrs) Named(prefix, a.key, suffix, a.value);
  }

 private:
  logstore::RowBatch* out_;
  std::string name_;
};

bool AllZeroHex(std::string_view hex) {
  return std::all_of(hex.begin(), hex.end(), [](char c) { return c == '0'; });
}

}  // namespace

std::string HexId(std::string_view bytes) {
  std::string out;
  AssignHexId(bytes, &out);
  return out;
}

void AssignHexId(std::string_view bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    (*out)[2 * i] = kDigits[b >> 4];
    (*out)[2 * i + 1] = kDigits[b & 15];
  }
}

bool IsValidHexId(std::string_view hex, size_t bytes) {
  if (hex.size() != bytes * 2) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return !AllZeroHex(hex);
}

std::string ValidateSpan(const Span& span) {
  if (span.trace_id.empty()) return "span without trace_id";
  if (!IsValidHexId(span.trace_id, 16)) return "invalid trace_id \"" + span.trace_id.substr(0, 64) + "\"";
  if (span.span_id.empty()) return "span without span_id";
  if (!IsValidHexId(span.span_id, 8)) return "invalid span_id \"" + span.span_id.substr(0, 64) + "\"";
  if (!span.parent_span_id.empty() && !IsValidHexId(span.parent_span_id, 8) && !AllZeroHex(span.parent_span_id))
    return "invalid parent_span_id \"" + span.parent_span_id.substr(0, 64) + "\"";
  if (span.start_time_unix_nano == 0 && span.end_time_unix_nano == 0) return "span without start and end time";
  return "";
}

std::string_view SpanService(const SpanOrigin& origin) {
  std::string_view service = kUnknownService;
  for (const auto& a : origin.resource_attributes)
    if (a.key == "service.name" && !a.value.empty()) service = a.value;
  return service;
}

uint32_t SpanStreamIndex(const SpanOrigin& origin, logstore::RowBatch* out) {
  // The service is the stream: its spans share blocks, so per-span columns
  // (attributes, names) compress well and lookups skip other services.
  const logstore::StreamLabels labels{{std::string(kServiceNameField), std::string(SpanService(origin))}};
  return out->StreamIndex(labels);
}

void AppendSpanRow(const SpanOrigin& origin, const Span& span, logstore::RowBatch* out) {
  AppendSpanRow(origin, span, SpanStreamIndex(origin, out), out);
}

void AppendSpanRow(const SpanOrigin& origin, const Span& span, uint32_t stream, logstore::RowBatch* out) {
  const uint64_t end = span.end_time_unix_nano != 0 ? span.end_time_unix_nano : span.start_time_unix_nano;
  const uint64_t start = span.start_time_unix_nano != 0 ? span.start_time_unix_nano : end;
  const std::string_view service = SpanService(origin);
  out->BeginRow(static_cast<int64_t>(std::min<uint64_t>(end, INT64_MAX)), stream);

  RowWriter w(out);
  w.Static("_msg", "-");
  out->AddFieldStaticName(kTraceIdField, span.trace_id);
  out->AddFieldStaticName(kSpanIdField, span.span_id);
  if (!span.parent_span_id.empty() && !AllZeroHex(span.parent_span_id))
    out->AddFieldStaticName(kParentSpanIdField, span.parent_span_id);
  out->AddFieldStaticName(kTraceStateField, span.trace_state);
  w.Number("flags", span.flags);
  w.Static(kSpanNameField, span.name);
  w.SignedNumber(kSpanKindField, span.kind);
  w.Number(kStartTimeField, start);
  w.Number(kEndTimeField, end);
  w.Number(kDurationField, end >= start ? end - start : 0);
  w.Number("dropped_attributes_count", span.dropped_attributes_count);
  w.Number("dropped_events_count", span.dropped_events_count);
  w.Number("dropped_links_count", span.dropped_links_count);
  w.SignedNumber(kStatusCodeField, span.status_code);
  out->AddFieldStaticName(kStatusMessageField, span.status_message);
  out->AddFieldStaticName(kScopeNameField, origin.scope_name);
  out->AddFieldStaticName(kScopeVersionField, origin.scope_version);

  w.Attributes(kResourceAttrPrefix, origin.resource_attributes);
  // A resource without a usable service.name is stored as unknown_service
  // (this replaces a "-" from an empty service.name attribute).
  if (service == kUnknownService) out->AddFieldStaticName(kServiceNameField, kUnknownService);
  w.Attributes(kScopeAttrPrefix, origin.scope_attributes);
  w.Attributes(kSpanAttrPrefix, span.attributes);

  char idx[24];
  for (size_t i = 0; i < span.events.size(); ++i) {
    const SpanEvent& ev = span.events[i];
    idx[0] = ':';
    const std::string_view suffix(idx, static_cast<size_t>(std::to_chars(idx + 1, idx + sizeof idx, i).ptr - idx));
    w.NamedNumber(kEventPrefix, "event_time_unix_nano", suffix, ev.time_unix_nano);
    w.Named(kEventPrefix, "event_name", suffix, ev.name);
    for (const auto& a : ev.attributes) {
      std::string key = "event_attr:";
      key += a.key;
      w.Named(kEventPrefix, key, suffix, a.value);
    }
    if (ev.dropped_attributes_count != 0)
      w.NamedNumber(kEventPrefix, "event_dropped_attributes_count", suffix, ev.dropped_attributes_count);
  }
  for (size_t i = 0; i < span.links.size(); ++i) {
    const SpanLink& l = span.links[i];
    idx[0] = ':';
    const std::string_view suffix(idx, static_cast<size_t>(std::to_chars(idx + 1, idx + sizeof idx, i).ptr - idx));
    w.Named(kLinkPrefix, "link_trace_id", suffix, l.trace_id);
    w.Named(kLinkPrefix, "link_span_id", suffix, l.span_id);
    if (!l.trace_state.empty()) w.Named(kLinkPrefix, "link_trace_state", suffix, l.trace_state);
    w.NamedNumber(kLinkPrefix, "link_flags", suffix, l.flags);
    for (const auto& a : l.attributes) {
      std::string key = "link_attr:";
      key += a.key;
      w.Named(kLinkPrefix, key, suffix, a.value);
    }
    if (l.dropped_attributes_count != 0)
      w.NamedNumber(kLinkPrefix, "link_dropped_attributes_count", suffix, l.dropped_attributes_count);
  }
}

logstore::LogEntry SpanToLogEntry(const SpanOrigin& origin, const Span& span) {
  logstore::RowBatch batch;
  AppendSpanRow(origin, span, &batch);
  return std::move(batch.ToEntries().front());
}

}  // namespace vigil::ingest
