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

// Encodes spans [first, first+count) of the data set (5 spans per trace) as
// one ExportTraceServiceRequest: one ResourceSpans per span (service varies).
inline std::string EncodeBatch(int services, uint64_t first, uint64_t count, int64_t t0, int64_t step,
                        std::vector<std::string>* ids) {
  std::string req;
  for (uint64_t i = first; i < first + count; ++i) {
    const uint64_t trace = i / 5;
    const int pos = static_cast<int>(i % 5);
    std::mt19937_64 rng(trace * 7919 + 17);
    const uint64_t th = rng(), tl = rng();
    const int svc_root = static_cast<int>(rng() % services);
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
    std::string span;
    PutLen(&span, 1, std::string_view(trace_id, 16));
    PutLen(&span, 2, std::string_view(span_id, 8));
    if (pos != 0) PutLen(&span, 4, std::string_view(parent, 8));
    PutLen(&span, 5, std::string(kMethods[trace % 4]) + " " + route);
    PutTag(&span, 6, 0);
    PutVarint(&span, pos == 0 || pos % 2 == 0 ? 2 : 3);
    PutFixed64(&span, 7, static_cast<uint64_t>(end - dur));
    PutFixed64(&span, 8, static_cast<uint64_t>(end));
    PutStrAttr(&span, 9, "http.method", kMethods[trace % 4]);
    PutStrAttr(&span, 9, "http.route", route);
    PutIntAttr(&span, 9, "http.status_code", trace % 50 == 0 ? 500 : 200);
    PutStrAttr(&span, 9, "net.peer.name", "svc-" + std::to_string((svc + 1) % services) + ".internal");
    PutIntAttr(&span, 9, "net.peer.port", 8080);
    PutStrAttr(&span, 9, "http.scheme", "http");
    PutIntAttr(&span, 9, "http.response_content_length", static_cast<int64_t>(rng() % 20000));
    PutStrAttr(&span, 9, "user.tier", trace % 3 == 0 ? "gold" : "free");
    std::string status;
    PutTag(&status, 3, 0);
    PutVarint(&status, trace % 50 == 0 ? 2 : 0);
    PutLen(&span, 15, status);

    std::string scope_spans, scope, resource, rs;
    PutLen(&scope, 1, "io.opentelemetry.http");
    PutLen(&scope, 2, "1.28.0");
    PutLen(&scope_spans, 1, scope);
    PutLen(&scope_spans, 2, span);
    PutStrAttr(&resource, 1, "service.name", "svc-" + std::to_string(svc));
    PutStrAttr(&resource, 1, "service.version", "2.4." + std::to_string(svc % 3));
    PutStrAttr(&resource, 1, "host.name", "node-" + std::to_string(svc % 7));
    PutStrAttr(&resource, 1, "deployment.environment", "prod");
    PutLen(&rs, 1, resource);
    PutLen(&rs, 2, scope_spans);
    PutLen(&req, 1, rs);
  }
  return req;
}

}  // namespace span_gen
