#pragma once
// The synthetic span data set of the trace benchmarks, encoded as OTLP
// ExportTraceServiceRequest protobuf (shared by load_spans.cc and
// lookup_bench.cc). Each trace has 5 spans: a server root in one service, two
// client calls and two server spans in two other services, 8 span attributes
// and 4 resource attributes each (http.*, net.*; service.name/version,
// host.name, deployment.environment). Span i of the data set ends at
// t0 + i*step; trace ids are random 128-bit; every 1000th trace id is
// appended to *ids.

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace span_gen {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
inline void PutTag(std::string* out, uint32_t field, int wire) { PutVarint(out, (uint64_t{field} << 3) | wire); }
inline void PutLen(std::string* out, uint32_t field, std::string_view v) {
  PutTag(out, field, 2);
  PutVarint(out, v.size());
  out->append(v);
}
inline void PutFixed64(std::string* out, uint32_t field, uint64_t v) {
  PutTag(out, field, 1);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutStrAttr(std::string* out, uint32_t field, std::string_view k, std::string_view v) {
  std::string any, kv;
  PutLen(&any, 1, v);
  PutLen(&kv, 1, k);
  PutLen(&kv, 2, any);
  PutLen(out, field, kv);
}
inline void PutIntAttr(std::string* out, uint32_t field, std::string_view k, int64_t v) {
  std::string any, kv;
  PutTag(&any, 3, 0);
  PutVarint(&any, static_cast<uint64_t>(v));
  PutLen(&kv, 1, k);
  PutLen(&kv, 2, any);
  PutLen(out, field, kv);
}

inline constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
inline constexpr const char* kRoutes[] = {"/api/cart", "/api/order", "/api/user/:id", "/api/pay", "/api/items",
                                   "/api/search", "/healthz", "/api/login", "/api/stock", "/api/ship"};

// Per-trace random draws: seeding an mt19937_64 costs more than encoding a
// span, so the generator is seeded once per trace. Every span of a trace
// draws from the same seed: th, tl, svc_root, then up to three more values
// (`next`), used in order by each span.
struct TraceDraws {
  uint64_t trace = ~uint64_t{0};
  uint64_t th = 0, tl = 0;
  int svc_root = 0;
  uint64_t next[3] = {};
};

// Appends a KeyValue with a string (or int) AnyValue as field `field`
// without temporaries (the same bytes as PutStrAttr/PutIntAttr).
inline void PutStrAttrFast(std::string* out, uint32_t field, std::string_view k, std::string_view v) {
  const size_t any_len = 1 + 1 + v.size();  // tag, length (< 128), value
  const size_t kv_len = 1 + 1 + k.size() + 1 + 1 + any_len;
  PutTag(out, field, 2);
  PutVarint(out, kv_len);
  PutLen(out, 1, k);
  PutTag(out, 2, 2);
  PutVarint(out, any_len);
  PutLen(out, 1, v);
}

// Encodes spans [first, first+count) of the data set (5 spans per trace) as
// one ExportTraceServiceRequest: one ResourceSpans per span (service varies).
inline std::string EncodeBatch(int services, uint64_t first, uint64_t count, int64_t t0, int64_t step,
                        std::vector<std::string>* ids) {
  std::string req;
  req.reserve(count * 460);
  TraceDraws draws;
  std::string span, scope_spans, scope, resource, rs, name, value;
  for (uint64_t i = first; i < first + count; ++i) {
    const uint64_t trace = i / 5;
    const int pos = static_cast<int>(i % 5);
    if (draws.trace != trace) {
      std::mt19937_64 seeded(trace * 7919 + 17);
      draws.trace = trace;
      draws.th = seeded();
      draws.tl = seeded();
      draws.svc_root = static_cast<int>(seeded() % services);
      for (uint64_t& v : draws.next) v = seeded();
    }
    int drawn = 0;
    auto rng = [&] { return draws.next[drawn++]; };
    const uint64_t th = draws.th, tl = draws.tl;
    const int svc_root = draws.svc_root;
    const int svc = pos == 0 ? svc_root : (svc_root + 1 + (pos - 1) / 2 + static_cast<int>(rng() % 3)) % services;
    char trace_id[16], span_id[8], parent[8];
    std::memcpy(trace_id, &th, 8);
    std::memcpy(trace_id + 8, &tl, 8);
    const uint64_t sid = (trace << 3) | static_cast<uint64_t>(pos + 1);
    const uint64_t pid = (trace << 3) | 1;
    std::memcpy(span_id, &sid, 8);
    std::memcpy(parent, &pid, 8);
    if (pos == 0 && trace % 1000 == 0 && ids != nullptr) {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (unsigned char c : std::string_view(trace_id, 16)) {
        hex.push_back(kHex[c >> 4]);
        hex.push_back(kHex[c & 15]);
      }
      ids->push_back(hex);
    }
    const int64_t end = t0 + static_cast<int64_t>(i) * step;
    const int64_t dur = pos == 0 ? 120'000'000 : static_cast<int64_t>(1'000'000 + rng() % 50'000'000);
    const char* route = kRoutes[(trace + static_cast<uint64_t>(svc)) % 10];
    span.clear();
    PutLen(&span, 1, std::string_view(trace_id, 16));
    PutLen(&span, 2, std::string_view(span_id, 8));
    if (pos != 0) PutLen(&span, 4, std::string_view(parent, 8));
    name.assign(kMethods[trace % 4]).append(" ").append(route);
    PutLen(&span, 5, name);
    PutTag(&span, 6, 0);
    PutVarint(&span, pos == 0 || pos % 2 == 0 ? 2 : 3);
    PutFixed64(&span, 7, static_cast<uint64_t>(end - dur));
    PutFixed64(&span, 8, static_cast<uint64_t>(end));
    PutStrAttrFast(&span, 9, "http.method", kMethods[trace % 4]);
    PutStrAttrFast(&span, 9, "http.route", route);
    PutIntAttr(&span, 9, "http.status_code", trace % 50 == 0 ? 500 : 200);
    value.assign("svc-").append(std::to_string((svc + 1) % services)).append(".internal");
    PutStrAttrFast(&span, 9, "net.peer.name", value);
    PutIntAttr(&span, 9, "net.peer.port", 8080);
    PutStrAttrFast(&span, 9, "http.scheme", "http");
    PutIntAttr(&span, 9, "http.response_content_length", static_cast<int64_t>(rng() % 20000));
    PutStrAttrFast(&span, 9, "user.tier", trace % 3 == 0 ? "gold" : "free");
    char status[2] = {static_cast<char>(3 << 3), static_cast<char>(trace % 50 == 0 ? 2 : 0)};
    PutLen(&span, 15, std::string_view(status, 2));

    scope.clear();
    scope_spans.clear();
    resource.clear();
    rs.clear();
    PutLen(&scope, 1, "io.opentelemetry.http");
    PutLen(&scope, 2, "1.28.0");
    PutLen(&scope_spans, 1, scope);
    PutLen(&scope_spans, 2, span);
    value.assign("svc-").append(std::to_string(svc));
    PutStrAttrFast(&resource, 1, "service.name", value);
    value.assign("2.4.").append(std::to_string(svc % 3));
    PutStrAttrFast(&resource, 1, "service.version", value);
    value.assign("node-").append(std::to_string(svc % 7));
    PutStrAttrFast(&resource, 1, "host.name", value);
    PutStrAttrFast(&resource, 1, "deployment.environment", "prod");
    PutLen(&rs, 1, resource);
    PutLen(&rs, 2, scope_spans);
    PutLen(&req, 1, rs);
  }
  return req;
}

}  // namespace span_gen
