#include "ingest/span_row.h"

#include <algorithm>

namespace vigil::ingest {
namespace {

using logstore::Field;

void AddField(std::vector<Field>* fields, std::string name, std::string_view value) {
  fields->push_back(Field{std::move(name), value.empty() ? std::string("-") : std::string(value)});
}

void AddNumber(std::vector<Field>* fields, std::string_view name, uint64_t v) {
  fields->push_back(Field{std::string(name), std::to_string(v)});
}

void AddAttributes(std::vector<Field>* fields, std::string_view prefix, const std::vector<Attribute>& attrs,
                   std::string_view suffix = {}) {
  for (const auto& a : attrs) {
    std::string name;
    name.reserve(prefix.size() + a.key.size() + suffix.size());
    name.append(prefix).append(a.key).append(suffix);
    AddField(fields, std::move(name), a.value);
  }
}

bool AllZeroHex(std::string_view hex) {
  return std::all_of(hex.begin(), hex.end(), [](char c) { return c == '0'; });
}

}  // namespace

std::string HexId(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
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

logstore::LogEntry SpanToLogEntry(const SpanOrigin& origin, const Span& span) {
  logstore::LogEntry e;
  const uint64_t end = span.end_time_unix_nano != 0 ? span.end_time_unix_nano : span.start_time_unix_nano;
  const uint64_t start = span.start_time_unix_nano != 0 ? span.start_time_unix_nano : end;
  e.time_ns = static_cast<int64_t>(std::min<uint64_t>(end, INT64_MAX));

  std::string_view service = kUnknownService;
  for (const auto& a : origin.resource_attributes)
    if (a.key == "service.name" && !a.value.empty()) service = a.value;
  // The service is the stream: its spans share blocks, so per-span columns
  // (attributes, names) compress well and lookups skip other services.
  e.stream.emplace_back(std::string(kServiceNameField), std::string(service));

  auto& f = e.fields;
  f.reserve(24 + origin.resource_attributes.size() + origin.scope_attributes.size() + span.attributes.size());
  f.push_back(Field{"_msg", "-"});
  f.push_back(Field{std::string(kTraceIdField), span.trace_id});
  f.push_back(Field{std::string(kSpanIdField), span.span_id});
  if (!span.parent_span_id.empty() && !AllZeroHex(span.parent_span_id))
    f.push_back(Field{std::string(kParentSpanIdField), span.parent_span_id});
  if (!span.trace_state.empty()) f.push_back(Field{std::string(kTraceStateField), span.trace_state});
  AddNumber(&f, "flags", span.flags);
  AddField(&f, std::string(kSpanNameField), span.name);
  f.push_back(Field{std::string(kSpanKindField), std::to_string(span.kind)});
  AddNumber(&f, kStartTimeField, start);
  AddNumber(&f, kEndTimeField, end);
  AddNumber(&f, kDurationField, end >= start ? end - start : 0);
  AddNumber(&f, "dropped_attributes_count", span.dropped_attributes_count);
  AddNumber(&f, "dropped_events_count", span.dropped_events_count);
  AddNumber(&f, "dropped_links_count", span.dropped_links_count);
  f.push_back(Field{std::string(kStatusCodeField), std::to_string(span.status_code)});
  if (!span.status_message.empty()) f.push_back(Field{std::string(kStatusMessageField), span.status_message});
  if (!origin.scope_name.empty()) f.push_back(Field{std::string(kScopeNameField), origin.scope_name});
  if (!origin.scope_version.empty()) f.push_back(Field{std::string(kScopeVersionField), origin.scope_version});

  bool have_service = false;
  for (const auto& a : origin.resource_attributes) have_service |= (a.key == "service.name" && !a.value.empty());
  AddAttributes(&f, kResourceAttrPrefix, origin.resource_attributes);
  if (!have_service) {
    std::erase_if(f, [](const Field& x) { return x.name == kServiceNameField; });
    f.push_back(Field{std::string(kServiceNameField), std::string(kUnknownService)});
  }
  AddAttributes(&f, kScopeAttrPrefix, origin.scope_attributes);
  AddAttributes(&f, kSpanAttrPrefix, span.attributes);

  for (size_t i = 0; i < span.events.size(); ++i) {
    const SpanEvent& ev = span.events[i];
    const std::string idx = ":" + std::to_string(i);
    std::string p(kEventPrefix);
    AddNumber(&f, p + "event_time_unix_nano" + idx, ev.time_unix_nano);
    AddField(&f, p + "event_name" + idx, ev.name);
    AddAttributes(&f, p + "event_attr:", ev.attributes, idx);
    if (ev.dropped_attributes_count != 0)
      AddNumber(&f, p + "event_dropped_attributes_count" + idx, ev.dropped_attributes_count);
  }
  for (size_t i = 0; i < span.links.size(); ++i) {
    const SpanLink& l = span.links[i];
    const std::string idx = ":" + std::to_string(i);
    std::string p(kLinkPrefix);
    AddField(&f, p + "link_trace_id" + idx, l.trace_id);
    AddField(&f, p + "link_span_id" + idx, l.span_id);
    if (!l.trace_state.empty()) AddField(&f, p + "link_trace_state" + idx, l.trace_state);
    AddNumber(&f, p + "link_flags" + idx, l.flags);
    AddAttributes(&f, p + "link_attr:", l.attributes, idx);
    if (l.dropped_attributes_count != 0)
      AddNumber(&f, p + "link_dropped_attributes_count" + idx, l.dropped_attributes_count);
  }
  return e;
}

}  // namespace vigil::ingest
