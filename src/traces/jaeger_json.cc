#include "traces/jaeger_json.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "base/json.h"
#include "ingest/span_row.h"

namespace vigil::traces {
namespace {

using Pair = std::pair<std::string, std::string>;

std::string Envelope(std::string_view data, size_t total) {
  std::string out = "{\"data\":";
  out.append(data);
  out += ",\"errors\":null,\"limit\":0,\"offset\":0,\"total\":" + std::to_string(total) + "}";
  return out;
}

int64_t ParseInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

void AppendTag(std::string* out, bool* first, std::string_view key, std::string_view value) {
  if (!*first) out->push_back(',');
  *first = false;
  out->append("{\"key\":");
  json::AppendString(out, key);
  out->append(",\"type\":\"string\",\"value\":");
  json::AppendString(out, value);
  out->push_back('}');
}

// Splits "<name>:<i>" (event/link fields) into name and index; false when
// there is no numeric suffix.
bool SplitIndexed(std::string_view s, std::string_view* name, size_t* index) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view digits = s.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *index);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty() || *index > 100000) return false;
  *name = s.substr(0, colon);
  return true;
}

struct JaegerEvent {
  int64_t time_us = 0;
  std::string name;
  std::vector<Pair> attrs;
};

struct JaegerLink {
  std::string trace_id;
  std::string span_id;
};

// Everything of one span row sorted into Jaeger's parts.
struct JaegerSpan {
  std::string trace_id, span_id, parent_id, name, service;
  int64_t start_us = 0, duration_us = 0;
  int64_t flags = 0;
  std::vector<Pair> tags;
  std::vector<Pair> process_tags;
  std::vector<JaegerEvent> events;
  std::vector<JaegerLink> links;
};

JaegerSpan Convert(const StoredSpan& s) {
  using namespace ingest;
  JaegerSpan j;
  std::string kind, status_code, status_message, trace_state, scope_name, scope_version;
  std::vector<Pair> scope_attrs;
  std::map<size_t, JaegerEvent> events;
  std::map<size_t, JaegerLink> links;
  for (const auto& [k, v] : s.fields) {
    std::string_view key = k;
    if (key == kTraceIdField) j.trace_id = v;
    else if (key == kSpanIdField) j.span_id = v;
    else if (key == kParentSpanIdField) j.parent_id = v;
    else if (key == kSpanNameField) j.name = v;
    else if (key == kServiceNameField) j.service = v;
    else if (key == kStartTimeField) j.start_us = ParseInt(v) / 1000;
    else if (key == kDurationField) j.duration_us = ParseInt(v) / 1000;
    else if (key == "flags") j.flags = ParseInt(v);
    else if (key == kSpanKindField) kind = v;
    else if (key == kStatusCodeField) status_code = v;
    else if (key == kStatusMessageField) status_message = v;
    else if (key == kTraceStateField) trace_state = v;
    else if (key == kScopeNameField) scope_name = v;
    else if (key == kScopeVersionField) scope_version = v;
    else if (key.starts_with(kSpanAttrPrefix)) j.tags.emplace_back(key.substr(kSpanAttrPrefix.size()), v);
    else if (key.starts_with(kResourceAttrPrefix)) j.process_tags.emplace_back(key.substr(kResourceAttrPrefix.size()), v);
    else if (key.starts_with(kScopeAttrPrefix)) scope_attrs.emplace_back(k, v);
    else if (key.starts_with(kEventPrefix)) {
      std::string_view name;
      size_t i = 0;
      if (!SplitIndexed(key.substr(kEventPrefix.size()), &name, &i)) continue;
      JaegerEvent& ev = events[i];
      if (name == "event_time_unix_nano") ev.time_us = ParseInt(v) / 1000;
      else if (name == "event_name") ev.name = v;
      else if (name.starts_with("event_attr:")) ev.attrs.emplace_back(name.substr(11), v);
    } else if (key.starts_with(kLinkPrefix)) {
      std::string_view name;
      size_t i = 0;
      if (!SplitIndexed(key.substr(kLinkPrefix.size()), &name, &i)) continue;
      if (name == "link_trace_id") links[i].trace_id = v;
      else if (name == "link_span_id") links[i].span_id = v;
    }
  }
  std::sort(j.tags.begin(), j.tags.end());
  std::sort(j.process_tags.begin(), j.process_tags.end());
  if (auto name = SpanKindName(kind); !name.empty()) j.tags.emplace_back("span.kind", name);
  if (status_code == "2") {
    j.tags.emplace_back("error", "true");
    j.tags.emplace_back("otel.status_code", "ERROR");
  } else if (status_code == "1") {
    j.tags.emplace_back("otel.status_code", "OK");
  }
  if (!status_message.empty()) j.tags.emplace_back("otel.status_description", status_message);
  if (!trace_state.empty()) j.tags.emplace_back("w3c.tracestate", trace_state);
  if (!scope_name.empty()) j.tags.emplace_back("otel.scope.name", scope_name);
  if (!scope_version.empty()) j.tags.emplace_back("otel.scope.version", scope_version);
  for (auto& a : scope_attrs) j.tags.push_back(std::move(a));
  for (auto& [i, ev] : events) j.events.push_back(std::move(ev));
  for (auto& [i, l] : links) j.links.push_back(std::move(l));
  return j;
}

void AppendRef(std::string* out, bool* first, std::string_view type, std::string_view trace, std::string_view span) {
  if (!*first) out->push_back(',');
  *first = false;
  out->append("{\"refType\":\"").append(type).append("\",\"traceID\":");
  json::AppendString(out, trace);
  out->append(",\"spanID\":");
  json::AppendString(out, span);
  out->push_back('}');
}

}  // namespace

std::string JaegerStringList(const std::vector<std::string>& items) {
  std::string data = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) data.push_back(',');
    json::AppendString(&data, items[i]);
  }
  data.push_back(']');
  return Envelope(data, items.size());
}

std::string JaegerOperations(const std::vector<Operation>& ops) {
  std::string data = "[";
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i > 0) data.push_back(',');
    data += "{\"name\":";
    json::AppendString(&data, ops[i].name);
    data += ",\"spanKind\":";
    json::AppendString(&data, SpanKindName(ops[i].kind));
    data.push_back('}');
  }
  data.push_back(']');
  return Envelope(data, ops.size());
}

void AppendJaegerTrace(std::string* out, const std::vector<StoredSpan>& stored) {
  std::vector<JaegerSpan> spans;
  spans.reserve(stored.size());
  for (const auto& s : stored) spans.push_back(Convert(s));
  // Processes: one per distinct (service, resource attributes).
  std::map<std::pair<std::string, std::vector<Pair>>, std::string> process_ids;
  std::vector<std::string> span_process(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    auto key = std::make_pair(spans[i].service, spans[i].process_tags);
    auto [it, inserted] = process_ids.try_emplace(std::move(key), "");
    if (inserted) it->second = "p" + std::to_string(process_ids.size());
    span_process[i] = it->second;
  }
  out->append("{\"traceID\":");
  json::AppendString(out, spans.front().trace_id);
  out->append(",\"spans\":[");
  for (size_t i = 0; i < spans.size(); ++i) {
    const JaegerSpan& s = spans[i];
    if (i > 0) out->push_back(',');
    out->append("{\"traceID\":");
    json::AppendString(out, s.trace_id);
    out->append(",\"spanID\":");
    json::AppendString(out, s.span_id);
    out->append(",\"operationName\":");
    json::AppendString(out, s.name);
    out->append(",\"references\":[");
    bool first = true;
    if (!s.parent_id.empty()) AppendRef(out, &first, "CHILD_OF", s.trace_id, s.parent_id);
    for (const auto& l : s.links) AppendRef(out, &first, "FOLLOWS_FROM", l.trace_id, l.span_id);
    out->append("],\"flags\":").append(std::to_string(s.flags));
    out->append(",\"startTime\":").append(std::to_string(s.start_us));
    out->append(",\"duration\":").append(std::to_string(s.duration_us));
    out->append(",\"tags\":[");
    first = true;
    for (const auto& [k, v] : s.tags) AppendTag(out, &first, k, v);
    out->append("],\"logs\":[");
    for (size_t e = 0; e < s.events.size(); ++e) {
      if (e > 0) out->push_back(',');
      out->append("{\"timestamp\":").append(std::to_string(s.events[e].time_us)).append(",\"fields\":[");
      bool f = true;
      AppendTag(out, &f, "event", s.events[e].name);
      for (const auto& [k, v] : s.events[e].attrs) AppendTag(out, &f, k, v);
      out->append("]}");
    }
    out->append("],\"processID\":");
    json::AppendString(out, span_process[i]);
    out->append(",\"warnings\":null}");
  }
  out->append("],\"processes\":{");
  // In id order (p1, p2, ...).
  std::vector<std::pair<int, const std::pair<std::string, std::vector<Pair>>*>> ordered;
  for (const auto& [key, id] : process_ids) ordered.emplace_back(std::stoi(id.substr(1)), &key);
  std::sort(ordered.begin(), ordered.end());
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, "p" + std::to_string(ordered[i].first));
    out->append(":{\"serviceName\":");
    json::AppendString(out, ordered[i].second->first);
    out->append(",\"tags\":[");
    bool first = true;
    for (const auto& [k, v] : ordered[i].second->second) {
      if (k == "service.name") continue;
      AppendTag(out, &first, k, v);
    }
    out->append("]}");
  }
  out->append("},\"warnings\":null}");
}

std::string JaegerTraces(const std::vector<std::vector<StoredSpan>>& traces) {
  std::string data = "[";
  size_t n = 0;
  for (const auto& t : traces) {
    if (t.empty()) continue;
    if (n++ > 0) data.push_back(',');
    AppendJaegerTrace(&data, t);
  }
  data.push_back(']');
  return Envelope(data, n);
}

std::string JaegerDependencies(const std::vector<DependencyLink>& links) {
  std::string data = "[";
  for (size_t i = 0; i < links.size(); ++i) {
    if (i > 0) data.push_back(',');
    data += "{\"parent\":";
    json::AppendString(&data, links[i].parent);
    data += ",\"child\":";
    json::AppendString(&data, links[i].child);
    data += ",\"callCount\":" + std::to_string(links[i].call_count) + "}";
  }
  data.push_back(']');
  return Envelope(data, links.size());
}

std::string JaegerError(int code, std::string_view msg) {
  std::string out = "{\"data\":null,\"errors\":[{\"code\":" + std::to_string(code) + ",\"msg\":";
  json::AppendString(&out, msg);
  out += "}],\"limit\":0,\"offset\":0,\"total\":0}";
  return out;
}

}  // namespace vigil::traces
