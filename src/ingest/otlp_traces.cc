#include "ingest/otlp_traces.h"

#include <algorithm>
#include <cstring>

#include "base/base64.h"
#include "base/json.h"
#include "base/varint.h"
#include "ingest/otlp_wire.h"
#include "ingest/protowire.h"
#include "ingest/span_row.h"

namespace vigil::ingest {
namespace {

// Field numbers of opentelemetry/proto/{collector/trace,trace,common,resource}/v1.
constexpr uint32_t kRequestResourceSpans = 1;
constexpr uint32_t kResourceSpansResource = 1;
constexpr uint32_t kResourceSpansScopeSpans = 2;
constexpr uint32_t kResourceAttributes = 1;
constexpr uint32_t kScopeSpansScope = 1;
constexpr uint32_t kScopeSpansSpans = 2;
constexpr uint32_t kScopeName = 1;
constexpr uint32_t kScopeVersion = 2;
constexpr uint32_t kScopeAttributes = 3;
enum SpanField : uint32_t {
  kSpanTraceId = 1, kSpanSpanId = 2, kSpanTraceState = 3, kSpanParentSpanId = 4, kSpanName = 5, kSpanKind = 6,
  kSpanStart = 7, kSpanEnd = 8, kSpanAttributes = 9, kSpanDroppedAttributes = 10, kSpanEvents = 11,
  kSpanDroppedEvents = 12, kSpanLinks = 13, kSpanDroppedLinks = 14, kSpanStatus = 15, kSpanFlags = 16,
};
enum EventField : uint32_t { kEventTime = 1, kEventName = 2, kEventAttributes = 3, kEventDropped = 4 };
enum LinkField : uint32_t {
  kLinkTraceId = 1, kLinkSpanId = 2, kLinkTraceState = 3, kLinkAttributes = 4, kLinkDropped = 5, kLinkFlags = 6,
};
constexpr uint32_t kStatusMessage = 2;
constexpr uint32_t kStatusCode = 3;

constexpr std::string_view kErrorPrefix = "cannot unmarshal OTLP ExportTraceServiceRequest: ";

void PutTag(std::string* out, uint32_t field, WireType wire) {
  PutVarint64(out, (uint64_t{field} << 3) | static_cast<uint32_t>(wire));
}

void PutBytesField(std::string* out, uint32_t field, std::string_view bytes) {
  PutTag(out, field, WireType::kLengthDelimited);
  PutVarint64(out, bytes.size());
  out->append(bytes);
}

class ProtoTraceParser : private OtlpMessageReader {
 public:
  ProtoTraceParser(std::string_view body, const OtlpTraceLimits& limits, logstore::RowBatch* out,
                   OtlpTraceStats* stats)
      : OtlpMessageReader(body, limits.max_value_depth), limits_(limits), out_(out), stats_(stats) {}

  bool ParseRequest(std::string_view msg) {
    return ForEachField(msg, "ExportTraceServiceRequest", [&](uint32_t field, uint32_t wire, const char* tag,
                                                                const char** p, const char* end) {
      if (field != kRequestResourceSpans) return r_.SkipField(p, end, field, wire);
      std::string_view sub;
      return Sub(tag, wire, p, end, "resource_spans", &sub) && ParseResourceSpans(sub);
    });
  }

  using OtlpMessageReader::error;

 private:
  bool ParseResourceSpans(std::string_view msg) {
    // One origin and one list of ScopeSpans reused for every ResourceSpans
    // (senders such as the OTel collector send one per resource and batch).
    SpanOrigin& origin = origin_;
    RecycleAttributes(&origin.resource_attributes);
    std::vector<std::string_view>& scope_spans = scope_spans_;
    scope_spans.clear();
    bool ok = ForEachField(msg, "ResourceSpans", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                     const char* end) {
      std::string_view sub;
      if (field == kResourceSpansResource) {
        return Sub(tag, wire, p, end, "ResourceSpans.resource", &sub) &&
               ForEachField(sub, "Resource", [&](uint32_t f, uint32_t w, const char* t, const char** q, const char* e) {
                 if (f != kResourceAttributes) return r_.SkipField(q, e, f, w);
                 std::string_view kv;
                 return Sub(t, w, q, e, "Resource.attributes", &kv) &&
                        ParseKeyValue(kv, &origin.resource_attributes, nullptr);
               });
      }
      if (field == kResourceSpansScopeSpans) {
        // Spans need the resource, which may come after them on the wire.
        if (!Sub(tag, wire, p, end, "ResourceSpans.scope_spans", &sub)) return false;
        scope_spans.push_back(sub);
        return true;
      }
      return r_.SkipField(p, end, field, wire);
    });
    if (!ok) return false;
    stream_known_ = false;  // the stream is the resource's service: computed once, at its first span
    for (std::string_view ss : scope_spans)
      if (!ParseScopeSpans(ss, &origin)) return false;
    return true;
  }

  // Parses one ScopeSpans; `origin` holds the resource and gets this scope's
  // fields (reset first: each ScopeSpans names its own scope).
  bool ParseScopeSpans(std::string_view msg, SpanOrigin* origin_ptr) {
    SpanOrigin& origin = *origin_ptr;
    origin.scope_name.clear();
    origin.scope_version.clear();
    RecycleAttributes(&origin.scope_attributes);
    std::vector<std::string_view>& spans = spans_;
    spans.clear();
    bool ok = ForEachField(msg, "ScopeSpans", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                  const char* end) {
      std::string_view sub;
      if (field == kScopeSpansScope) {
        return Sub(tag, wire, p, end, "ScopeSpans.scope", &sub) &&
               ForEachField(sub, "InstrumentationScope",
                            [&](uint32_t f, uint32_t w, const char* t, const char** q, const char* e) {
                              std::string_view v;
                              switch (f) {
                                case kScopeName:
                                  if (!Sub(t, w, q, e, "InstrumentationScope.name", &v)) return false;
                                  origin.scope_name.assign(v);
                                  return true;
                                case kScopeVersion:
                                  if (!Sub(t, w, q, e, "InstrumentationScope.version", &v)) return false;
                                  origin.scope_version.assign(v);
                                  return true;
                                case kScopeAttributes:
                                  return Sub(t, w, q, e, "InstrumentationScope.attributes", &v) &&
                                         ParseKeyValue(v, &origin.scope_attributes, nullptr);
                                default:
                                  return r_.SkipField(q, e, f, w);
                              }
                            });
      }
      if (field == kScopeSpansSpans) {
        if (!Sub(tag, wire, p, end, "ScopeSpans.spans", &sub)) return false;
        spans.push_back(sub);
        return true;
      }
      return r_.SkipField(p, end, field, wire);
    });
    if (!ok) return false;
    for (std::string_view s : spans) {
      Span& span = span_;
      ResetSpan(&span);
      if (!ParseSpan(s, &span)) return false;
      std::string why = ValidateSpan(span);
      if (why.empty() && stats_->spans >= limits_.max_spans)
        why = "more than " + std::to_string(limits_.max_spans) + " spans in one request";
      if (!why.empty()) {
        if (stats_->rejected_spans++ == 0) stats_->first_rejection = std::move(why);
        continue;
      }
      if (!stream_known_) {
        stream_ = StreamOfService(origin);
        stream_known_ = true;
      }
      AppendSpanRow(origin, span, stream_, out_);
      ++stats_->spans;
    }
    return true;
  }

  // SpanStreamIndex through a per-request list of the services seen: senders
  // that put each span in a ResourceSpans of its own repeat a few services,
  // and comparing one string costs less than building the stream's labels.
  uint32_t StreamOfService(const SpanOrigin& origin) {
    constexpr size_t kMaxRemembered = 64;
    const std::string_view service = SpanService(origin);
    for (const auto& [name, stream] : service_streams_)
      if (name == service) return stream;
    const uint32_t stream = SpanStreamIndex(origin, out_);
    if (service_streams_.size() < kMaxRemembered) service_streams_.emplace_back(std::string(service), stream);
    return stream;
  }

  bool ParseSpan(std::string_view msg, Span* s) {
    return ForEachField(msg, "Span", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                         const char* end) {
      std::string_view v;
      uint64_t n = 0;
      switch (field) {
        case kSpanTraceId:
          if (!Sub(tag, wire, p, end, "Span.trace_id", &v)) return false;
          AssignHexId(v.substr(0, 64), &s->trace_id);
          return true;
        case kSpanSpanId:
          if (!Sub(tag, wire, p, end, "Span.span_id", &v)) return false;
          AssignHexId(v.substr(0, 64), &s->span_id);
          return true;
        case kSpanParentSpanId:
          if (!Sub(tag, wire, p, end, "Span.parent_span_id", &v)) return false;
          AssignHexId(v.substr(0, 64), &s->parent_span_id);
          return true;
        case kSpanTraceState:
          if (!Sub(tag, wire, p, end, "Span.trace_state", &v)) return false;
          s->trace_state.assign(v.substr(0, limits_.max_value_bytes));
          return true;
        case kSpanName:
          if (!Sub(tag, wire, p, end, "Span.name", &v)) return false;
          s->name.assign(v.substr(0, limits_.max_value_bytes));
          return true;
        case kSpanKind:
          if (!Varint(tag, wire, p, end, "Span.kind", &n)) return false;
          s->kind = static_cast<int64_t>(n);
          return true;
        case kSpanStart:
          return Fixed64(tag, wire, p, end, "Span.start_time_unix_nano", &s->start_time_unix_nano);
        case kSpanEnd:
          return Fixed64(tag, wire, p, end, "Span.end_time_unix_nano", &s->end_time_unix_nano);
        case kSpanAttributes:
          return Sub(tag, wire, p, end, "Span.attributes", &v) &&
                 ParseKeyValue(v, &s->attributes, &s->dropped_attributes_count);
        case kSpanDroppedAttributes:
          if (!Varint(tag, wire, p, end, "Span.dropped_attributes_count", &n)) return false;
          s->dropped_attributes_count += static_cast<uint32_t>(n);
          return true;
        case kSpanEvents:
          return Sub(tag, wire, p, end, "Span.events", &v) && ParseEvent(v, s);
        case kSpanDroppedEvents:
          if (!Varint(tag, wire, p, end, "Span.dropped_events_count", &n)) return false;
          s->dropped_events_count += static_cast<uint32_t>(n);
          return true;
        case kSpanLinks:
          return Sub(tag, wire, p, end, "Span.links", &v) && ParseLink(v, s);
        case kSpanDroppedLinks:
          if (!Varint(tag, wire, p, end, "Span.dropped_links_count", &n)) return false;
          s->dropped_links_count += static_cast<uint32_t>(n);
          return true;
        case kSpanStatus:
          return Sub(tag, wire, p, end, "Span.status", &v) &&
                 ForEachField(v, "Status", [&](uint32_t f, uint32_t w, const char* t, const char** q, const char* e) {
                   std::string_view m;
                   uint64_t code = 0;
                   if (f == kStatusMessage) {
                     if (!Sub(t, w, q, e, "Status.message", &m)) return false;
                     s->status_message.assign(m.substr(0, limits_.max_value_bytes));
                     return true;
                   }
                   if (f == kStatusCode) {
                     if (!Varint(t, w, q, e, "Status.code", &code)) return false;
                     s->status_code = static_cast<int64_t>(code);
                     return true;
                   }
                   return r_.SkipField(q, e, f, w);
                 });
        case kSpanFlags:
          return Fixed32(tag, wire, p, end, "Span.flags", &s->flags);
        default:
          return r_.SkipField(p, end, field, wire);
      }
    });
  }

  bool ParseEvent(std::string_view msg, Span* s) {
    if (s->events.size() >= limits_.max_attributes) {
      ++s->dropped_events_count;
      return r_.ValidateMessage(msg);
    }
    SpanEvent ev;
    bool ok = ForEachField(msg, "Span.Event", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                  const char* end) {
      std::string_view v;
      uint64_t n = 0;
      switch (field) {
        case kEventTime:
          return Fixed64(tag, wire, p, end, "Event.time_unix_nano", &ev.time_unix_nano);
        case kEventName:
          if (!Sub(tag, wire, p, end, "Event.name", &v)) return false;
          ev.name.assign(v.substr(0, limits_.max_value_bytes));
          return true;
        case kEventAttributes:
          return Sub(tag, wire, p, end, "Event.attributes", &v) &&
                 ParseKeyValue(v, &ev.attributes, &ev.dropped_attributes_count);
        case kEventDropped:
          if (!Varint(tag, wire, p, end, "Event.dropped_attributes_count", &n)) return false;
          ev.dropped_attributes_count += static_cast<uint32_t>(n);
          return true;
        default:
          return r_.SkipField(p, end, field, wire);
      }
    });
    if (ok) s->events.push_back(std::move(ev));
    return ok;
  }

  bool ParseLink(std::string_view msg, Span* s) {
    if (s->links.size() >= limits_.max_attributes) {
      ++s->dropped_links_count;
      return r_.ValidateMessage(msg);
    }
    SpanLink link;
    bool ok = ForEachField(msg, "Span.Link", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                 const char* end) {
      std::string_view v;
      uint64_t n = 0;
      switch (field) {
        case kLinkTraceId:
          if (!Sub(tag, wire, p, end, "Link.trace_id", &v)) return false;
          link.trace_id = HexId(v.substr(0, 64));
          return true;
        case kLinkSpanId:
          if (!Sub(tag, wire, p, end, "Link.span_id", &v)) return false;
          link.span_id = HexId(v.substr(0, 64));
          return true;
        case kLinkTraceState:
          if (!Sub(tag, wire, p, end, "Link.trace_state", &v)) return false;
          link.trace_state.assign(v.substr(0, limits_.max_value_bytes));
          return true;
        case kLinkAttributes:
          return Sub(tag, wire, p, end, "Link.attributes", &v) &&
                 ParseKeyValue(v, &link.attributes, &link.dropped_attributes_count);
        case kLinkDropped:
          if (!Varint(tag, wire, p, end, "Link.dropped_attributes_count", &n)) return false;
          link.dropped_attributes_count += static_cast<uint32_t>(n);
          return true;
        case kLinkFlags:
          return Fixed32(tag, wire, p, end, "Link.flags", &link.flags);
        default:
          return r_.SkipField(p, end, field, wire);
      }
    });
    if (ok) s->links.push_back(std::move(link));
    return ok;
  }

  // One KeyValue appended to *attrs (or counted in *dropped past the bound).
  bool ParseKeyValue(std::string_view msg, std::vector<Attribute>* attrs, uint64_t* dropped) {
    Attribute a = SpareAttribute();
    bool ok = ForEachField(msg, "KeyValue", [&](uint32_t field, uint32_t wire, const char* tag, const char** p,
                                                const char* end) {
      std::string_view v;
      if (field == kOtlpKeyValueKey) {
        if (!Sub(tag, wire, p, end, "KeyValue.key", &v)) return false;
        a.key.assign(v.substr(0, limits_.max_value_bytes));
        return true;
      }
      if (field == kOtlpKeyValueValue) {
        a.value.clear();
        return Sub(tag, wire, p, end, "KeyValue.value", &v) && RenderAnyValue(v, 0, /*nested=*/false, &a.value);
      }
      return r_.SkipField(p, end, field, wire);
    });
    if (!ok || a.key.empty() || attrs->size() >= limits_.max_attributes) {
      if (ok && !a.key.empty() && dropped != nullptr) ++*dropped;
      spare_attributes_.push_back(std::move(a));
      return ok;  // (an attribute without a key has nothing to name it by)
    }
    if (a.value.size() > limits_.max_value_bytes) a.value.resize(limits_.max_value_bytes);
    attrs->push_back(std::move(a));
    return true;
  }

  // An empty Attribute whose strings keep the capacity of one used before:
  // keys such as "http.request.method" are past the small-string size, so
  // a fresh Attribute per KeyValue costs a malloc and a free.
  Attribute SpareAttribute() {
    if (spare_attributes_.empty()) return Attribute{};
    Attribute a = std::move(spare_attributes_.back());
    spare_attributes_.pop_back();
    a.key.clear();
    a.value.clear();
    return a;
  }
  // Clears `attrs`, keeping their strings for SpareAttribute.
  void RecycleAttributes(std::vector<Attribute>* attrs) {
    for (Attribute& a : *attrs) spare_attributes_.push_back(std::move(a));
    attrs->clear();
  }

  // Clears `s` for the next span, keeping the capacity of its strings and
  // vectors (one Span is reused for a whole request).
  void ResetSpan(Span* s) {
    s->trace_id.clear();
    s->span_id.clear();
    s->parent_span_id.clear();
    s->trace_state.clear();
    s->name.clear();
    s->kind = 0;
    s->flags = 0;
    s->start_time_unix_nano = 0;
    s->end_time_unix_nano = 0;
    RecycleAttributes(&s->attributes);
    s->dropped_attributes_count = 0;
    s->events.clear();
    s->dropped_events_count = 0;
    s->links.clear();
    s->dropped_links_count = 0;
    s->status_code = 0;
    s->status_message.clear();
  }

  Span span_;
  SpanOrigin origin_;                          // of the ResourceSpans being read
  std::vector<std::string_view> scope_spans_;  // of the ResourceSpans being read
  std::vector<std::string_view> spans_;        // of the ScopeSpans being read
  uint32_t stream_ = 0;                        // origin_'s stream in out_, once stream_known_
  std::vector<std::pair<std::string, uint32_t>> service_streams_;  // see StreamOfService
  bool stream_known_ = false;
  std::vector<Attribute> spare_attributes_;  // see SpareAttribute
  const OtlpTraceLimits& limits_;
  logstore::RowBatch* out_;
  OtlpTraceStats* stats_;
};

}  // namespace

Status ParseOtlpTracesProtobuf(std::string_view body, const OtlpTraceLimits& limits, logstore::RowBatch* out,
                               OtlpTraceStats* stats) {
  // Room for the rows the body likely holds (a span of typical
  // instrumentation takes 300-500 wire bytes and ~30 fields), so the batch's
  // vectors are not regrown (copied and page-faulted again) while decoding.
  // Untouched capacity costs address space, not memory.
  const size_t likely_spans = std::min<size_t>(body.size() / 256, limits.max_spans);
  out->Reserve(likely_spans, likely_spans * 32);
  ProtoTraceParser parser(body, limits, out, stats);
  if (!parser.ParseRequest(body)) return Status::InvalidArgument(std::string(kErrorPrefix) + parser.error());
  return Status::Ok();
}

Status ParseOtlpTracesProtobuf(std::string_view body, const OtlpTraceLimits& limits,
                               std::vector<logstore::LogEntry>* out, OtlpTraceStats* stats) {
  logstore::RowBatch batch;
  Status s = ParseOtlpTracesProtobuf(body, limits, &batch, stats);
  for (auto& e : batch.ToEntries()) out->push_back(std::move(e));
  return s;
}

std::string EncodeOtlpTraceResponseProtobuf(uint64_t rejected_spans, std::string_view error_message) {
  if (rejected_spans == 0 && error_message.empty()) return {};
  std::string partial;
  if (rejected_spans != 0) {
    PutTag(&partial, 1, WireType::kVarint);
    PutVarint64(&partial, rejected_spans);
  }
  if (!error_message.empty()) PutBytesField(&partial, 2, error_message);
  std::string out;
  PutBytesField(&out, 1, partial);
  return out;
}

std::string EncodeOtlpTraceResponseJson(uint64_t rejected_spans, std::string_view error_message) {
  if (rejected_spans == 0 && error_message.empty()) return "{}";
  // int64 fields are strings in the protobuf JSON mapping.
  std::string out = "{\"partialSuccess\":{\"rejectedSpans\":\"" + std::to_string(rejected_spans) + "\"";
  if (!error_message.empty()) {
    out += ",\"errorMessage\":";
    json::AppendString(&out, error_message);
  }
  out += "}}";
  return out;
}

std::string EncodeOtlpErrorProtobuf(int code, std::string_view message) {
  std::string out;
  PutTag(&out, 1, WireType::kVarint);
  PutVarint64(&out, static_cast<uint64_t>(code));
  PutBytesField(&out, 2, message);
  return out;
}

std::string EncodeOtlpErrorJson(int code, std::string_view message) {
  std::string out = "{\"code\":" + std::to_string(code) + ",\"message\":";
  json::AppendString(&out, message);
  out += "}";
  return out;
}

}  // namespace vigil::ingest
