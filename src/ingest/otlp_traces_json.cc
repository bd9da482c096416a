// OTLP/JSON decoding of ExportTraceServiceRequest (see otlp_traces.h).

#include <charconv>
#include <cstdlib>

#include "base/base64.h"
#include "base/json.h"
#include "ingest/json_scan.h"
#include "ingest/otlp_traces.h"
#include "ingest/span_row.h"

namespace vigil::ingest {
namespace {

constexpr std::string_view kErrorPrefix = "cannot parse OTLP/JSON ExportTraceServiceRequest: ";

// OTLP/JSON uses lowerCamelCase; the protobuf JSON mapping also accepts the
// proto field names, so both spellings are taken.
bool Is(std::string_view key, std::string_view camel, std::string_view snake) { return key == camel || key == snake; }

// Enum values OTLP/JSON may spell by name.
constexpr std::string_view kSpanKinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
                                           "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
constexpr std::string_view kStatusCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};

class JsonTraceParser {
 public:
  JsonTraceParser(std::string_view body, std::string* scratch, const OtlpTraceLimits& limits,
                  logstore::RowBatch* out, OtlpTraceStats* stats)
      : c_(body, scratch), limits_(limits), out_(out), stats_(stats) {}

  bool ParseRequest() {
    if (!Object([&](std::string_view key) {
          if (Is(key, "resourceSpans", "resource_spans")) return Array([&] { return ParseResourceSpans(); });
          return c_.SkipValue();
        })) {
      return false;
    }
    if (!c_.AtEnd()) return c_.Fail("unexpected data after the request object");
    return true;
  }

  std::string error() const { return c_.error(); }

 private:
  // True (having consumed it) when the next value is null.
  bool Null() {
    if (c_.Peek() != 'n') return false;
    return c_.ReadLiteral("null");
  }

  // Calls fn(key) positioned at each member's value; null counts as {}.
  template <typename Fn>
  bool Object(Fn&& fn) {
    if (Null()) return true;
    if (++depth_ > JsonCursor::kMaxDepth) return c_.Fail("JSON nested too deeply");
    if (!c_.Expect('{', "an object")) return false;
    if (!c_.TryConsume('}')) {
      do {
        std::string_view key;
        if (!c_.ReadString(&key) || !c_.Expect(':', "':'")) return false;
        if (!fn(key)) return false;
      } while (c_.TryConsume(','));
      if (!c_.Expect('}', "',' or '}'")) return false;
    }
    --depth_;
    return true;
  }

  template <typename Fn>
  bool Array(Fn&& fn) {
    if (Null()) return true;
    if (++depth_ > JsonCursor::kMaxDepth) return c_.Fail("JSON nested too deeply");
    if (!c_.Expect('[', "an array")) return false;
    if (!c_.TryConsume(']')) {
      do {
        if (!fn()) return false;
      } while (c_.TryConsume(','));
      if (!c_.Expect(']', "',' or ']'")) return false;
    }
    --depth_;
    return true;
  }

  bool String(std::string* out, size_t max = SIZE_MAX) {
    if (Null()) return true;
    std::string_view v;
    if (!c_.ReadString(&v)) return false;
    out->assign(v.substr(0, max));
    return true;
  }

  // A 64-bit integer as a JSON number or a decimal string (OTLP's JSON
  // encoding writes int64/uint64 fields as strings).
  template <typename Integer>
  bool Int(Integer* out, std::string_view what) {
    if (Null()) return true;
    std::string_view text;
    if (c_.Peek() == '"') {
      if (!c_.ReadString(&text)) return false;
    } else if (!c_.ReadNumberToken(&text)) {
      return false;
    }
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec != std::errc() || ptr != text.data() + text.size())
      return c_.Fail("invalid " + std::string(what) + " \"" + std::string(text.substr(0, 40)) + "\"");
    return true;
  }

  template <size_t N>
  bool Enum(int64_t* out, const std::string_view (&names)[N], std::string_view what) {
    if (c_.Peek() == '"') {
      std::string_view name;
      if (!c_.ReadString(&name)) return false;
      for (size_t i = 0; i < N; ++i) {
        if (names[i] == name) {
          *out = static_cast<int64_t>(i);
          return true;
        }
      }
      // Integers sent as strings.
      auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), *out);
      if (ec == std::errc() && ptr == name.data() + name.size()) return true;
      return c_.Fail("unknown " + std::string(what) + " \"" + std::string(name.substr(0, 40)) + "\"");
    }
    return Int(out, what);
  }

  // A hex id; stored lowercased (validity is checked per span).
  bool Id(std::string* out) {
    if (!String(out, 128)) return false;
    for (char& ch : *out)
      if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
    return true;
  }

  bool ParseResourceSpans() {
    SpanOrigin resource;
    struct Scoped {
      SpanOrigin scope;
      std::vector<Span> spans;
    };
    std::vector<Scoped> scoped;
    bool ok = Object([&](std::string_view key) {
      if (key == "resource") {
        return Object([&](std::string_view k) {
          if (k == "attributes") return Attributes(&resource.resource_attributes, nullptr);
          return c_.SkipValue();
        });
      }
      if (Is(key, "scopeSpans", "scope_spans")) {
        return Array([&] {
          Scoped& s = scoped.emplace_back();
          return ParseScopeSpans(&s.scope, &s.spans);
        });
      }
      return c_.SkipValue();
    });
    if (!ok) return false;
    for (Scoped& s : scoped) {
      s.scope.resource_attributes = resource.resource_attributes;
      for (const Span& span : s.spans) {
        std::string why = ValidateSpan(span);
      if (why.empty() && stats_->spans >= limits_.max_spans)
        why = "more than " + std::to_string(limits_.max_spans) + " spans in one request";
      if (!why.empty()) {
          if (stats_->rejected_spans++ == 0) stats_->first_rejection = std::move(why);
          continue;
        }
        AppendSpanRow(s.scope, span, out_);
        ++stats_->spans;
      }
    }
    return true;
  }

  bool ParseScopeSpans(SpanOrigin* scope, std::vector<Span>* spans) {
    return Object([&](std::string_view key) {
      if (key == "scope") {
        return Object([&](std::string_view k) {
          if (k == "name") return String(&scope->scope_name, limits_.max_value_bytes);
          if (k == "version") return String(&scope->scope_version, limits_.max_value_bytes);
          if (k == "attributes") return Attributes(&scope->scope_attributes, nullptr);
          return c_.SkipValue();
        });
      }
      if (key == "spans") return Array([&] { return ParseSpan(&spans->emplace_back()); });
      return c_.SkipValue();
    });
  }

  bool ParseSpan(Span* s) {
    return Object([&](std::string_view key) {
      uint64_t n = 0;
      if (Is(key, "traceId", "trace_id")) return Id(&s->trace_id);
      if (Is(key, "spanId", "span_id")) return Id(&s->span_id);
      if (Is(key, "parentSpanId", "parent_span_id")) return Id(&s->parent_span_id);
      if (Is(key, "traceState", "trace_state")) return String(&s->trace_state, limits_.max_value_bytes);
      if (key == "name") return String(&s->name, limits_.max_value_bytes);
      if (key == "kind") return Enum(&s->kind, kSpanKinds, "span kind");
      if (key == "flags") {
        if (!Int(&n, "flags")) return false;
        s->flags = static_cast<uint32_t>(n);
        return true;
      }
      if (Is(key, "startTimeUnixNano", "start_time_unix_nano")) return Int(&s->start_time_unix_nano, key);
      if (Is(key, "endTimeUnixNano", "end_time_unix_nano")) return Int(&s->end_time_unix_nano, key);
      if (key == "attributes") return Attributes(&s->attributes, &s->dropped_attributes_count);
      if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
        if (!Int(&n, key)) return false;
        s->dropped_attributes_count += n;
        return true;
      }
      if (Is(key, "droppedEventsCount", "dropped_events_count")) {
        if (!Int(&n, key)) return false;
        s->dropped_events_count += n;
        return true;
      }
      if (Is(key, "droppedLinksCount", "dropped_links_count")) {
        if (!Int(&n, key)) return false;
        s->dropped_links_count += n;
        return true;
      }
      if (key == "events") return Array([&] { return ParseEvent(s); });
      if (key == "links") return Array([&] { return ParseLink(s); });
      if (key == "status") {
        return Object([&](std::string_view k) {
          if (k == "message") return String(&s->status_message, limits_.max_value_bytes);
          if (k == "code") return Enum(&s->status_code, kStatusCodes, "status code");
          return c_.SkipValue();
        });
      }
      return c_.SkipValue();
    });
  }

  bool ParseEvent(Span* s) {
    SpanEvent ev;
    bool ok = Object([&](std::string_view key) {
      if (Is(key, "timeUnixNano", "time_unix_nano")) return Int(&ev.time_unix_nano, key);
      if (key == "name") return String(&ev.name, limits_.max_value_bytes);
      if (key == "attributes") return Attributes(&ev.attributes, &ev.dropped_attributes_count);
      if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
        uint64_t n = 0;
        if (!Int(&n, key)) return false;
        ev.dropped_attributes_count += n;
        return true;
      }
      return c_.SkipValue();
    });
    if (!ok) return false;
    if (s->events.size() >= limits_.max_attributes) {
      ++s->dropped_events_count;
    } else {
      s->events.push_back(std::move(ev));
    }
    return true;
  }

  bool ParseLink(Span* s) {
    SpanLink link;
    bool ok = Object([&](std::string_view key) {
      uint64_t n = 0;
      if (Is(key, "traceId", "trace_id")) return Id(&link.trace_id);
      if (Is(key, "spanId", "span_id")) return Id(&link.span_id);
      if (Is(key, "traceState", "trace_state")) return String(&link.trace_state, limits_.max_value_bytes);
      if (key == "attributes") return Attributes(&link.attributes, &link.dropped_attributes_count);
      if (Is(key, "droppedAttributesCount", "dropped_attributes_count")) {
        if (!Int(&n, key)) return false;
        link.dropped_attributes_count += n;
        return true;
      }
      if (key == "flags") {
        if (!Int(&n, key)) return false;
        link.flags = static_cast<uint32_t>(n);
        return true;
      }
      return c_.SkipValue();
    });
    if (!ok) return false;
    if (s->links.size() >= limits_.max_attributes) {
      ++s->dropped_links_count;
    } else {
      s->links.push_back(std::move(link));
    }
    return true;
  }

  // A KeyValue array.
  bool Attributes(std::vector<Attribute>* attrs, uint64_t* dropped) {
    return Array([&] {
      Attribute a;
      bool ok = Object([&](std::string_view key) {
        if (key == "key") return String(&a.key, limits_.max_value_bytes);
        if (key == "value") return AnyValue(0, false, &a.value);
        return c_.SkipValue();
      });
      if (!ok) return false;
      if (a.key.empty()) return true;
      if (attrs->size() >= limits_.max_attributes) {
        if (dropped != nullptr) ++*dropped;
        return true;
      }
      if (a.value.size() > limits_.max_value_bytes) a.value.resize(limits_.max_value_bytes);
      attrs->push_back(std::move(a));
      return true;
    });
  }

  // Renders an AnyValue object: plain text at the top level, JSON when nested.
  bool AnyValue(int depth, bool nested, std::string* out) {
    if (depth > limits_.max_value_depth) return c_.Fail("AnyValue nested too deeply");
    const size_t start = out->size();
    bool ok = Object([&](std::string_view key) {
      out->resize(start);
      if (Is(key, "stringValue", "string_value")) {
        if (Null()) return true;
        std::string_view v;
        if (!c_.ReadString(&v)) return false;
        if (nested) json::AppendString(out, v); else out->append(v);
        return true;
      }
      if (Is(key, "boolValue", "bool_value")) {
        if (c_.Peek() == 't') {
          if (!c_.ReadLiteral("true")) return false;
          out->append("true");
          return true;
        }
        if (c_.Peek() == 'f') {
          if (!c_.ReadLiteral("false")) return false;
          out->append("false");
          return true;
        }
        return Null() || c_.Fail("invalid boolValue");
      }
      if (Is(key, "intValue", "int_value")) {
        if (c_.Peek() == 'n') return Null();
        int64_t v = 0;
        if (!Int(&v, "intValue")) return false;
        out->append(std::to_string(v));
        return true;
      }
      if (Is(key, "doubleValue", "double_value")) {
        if (c_.Peek() == 'n') return Null();
        std::string_view text;
        if (c_.Peek() == '"') {
          if (!c_.ReadString(&text)) return false;  // "NaN", "Infinity", "-Infinity" or a number
        } else if (!c_.ReadNumberToken(&text)) {
          return false;
        }
        std::string copy(text.substr(0, 64));
        char* end = nullptr;
        const double d = std::strtod(copy.c_str(), &end);
        if (copy.empty() || end != copy.c_str() + copy.size())
          return c_.Fail("invalid doubleValue \"" + copy + "\"");
        json::AppendNumber(out, d);
        return true;
      }
      if (Is(key, "bytesValue", "bytes_value")) {
        if (Null()) return true;
        std::string_view v;
        if (!c_.ReadString(&v)) return false;
        if (!Base64Decode(v).has_value()) return c_.Fail("invalid base64 in bytesValue");
        if (nested) json::AppendString(out, v); else out->append(v);
        return true;
      }
      if (Is(key, "arrayValue", "array_value")) {
        out->push_back('[');
        bool first = true;
        bool ok2 = Object([&](std::string_view k) {
          if (k != "values") return c_.SkipValue();
          return Array([&] {
            if (!first) out->push_back(',');
            first = false;
            const size_t before = out->size();
            if (!AnyValue(depth + 1, true, out)) return false;
            if (out->size() == before) out->append("null");
            return true;
          });
        });
        out->push_back(']');
        return ok2;
      }
      if (Is(key, "kvlistValue", "kvlist_value")) {
        out->push_back('{');
        bool first = true;
        bool ok2 = Object([&](std::string_view k) {
          if (k != "values") return c_.SkipValue();
          return Array([&] {
            std::string name;
            std::string value;
            bool ok3 = Object([&](std::string_view kk) {
              if (kk == "key") return String(&name);
              if (kk == "value") return AnyValue(depth + 1, true, &value);
              return c_.SkipValue();
            });
            if (!ok3) return false;
            if (!first) out->push_back(',');
            first = false;
            json::AppendString(out, name);
            out->push_back(':');
            out->append(value.empty() ? "null" : value);
            return true;
          });
        });
        out->push_back('}');
        return ok2;
      }
      return c_.SkipValue();
    });
    return ok;
  }

  JsonCursor c_;
  const OtlpTraceLimits& limits_;
  logstore::RowBatch* out_;
  OtlpTraceStats* stats_;
  int depth_ = 0;
};

}  // namespace

Status ParseOtlpTracesJson(std::string_view body, const OtlpTraceLimits& limits, logstore::RowBatch* out,
                           OtlpTraceStats* stats) {
  std::string scratch;
  scratch.reserve(body.size());
  JsonTraceParser parser(body, &scratch, limits, out, stats);
  if (!parser.ParseRequest()) return Status::InvalidArgument(std::string(kErrorPrefix) + parser.error());
  return Status::Ok();
}

Status ParseOtlpTracesJson(std::string_view body, const OtlpTraceLimits& limits,
                           std::vector<logstore::LogEntry>* out, OtlpTraceStats* stats) {
  logstore::RowBatch batch;
  Status s = ParseOtlpTracesJson(body, limits, &batch, stats);
  for (auto& e : batch.ToEntries()) out->push_back(std::move(e));
  return s;
}

}  // namespace vigil::ingest
