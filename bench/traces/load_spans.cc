// load_spans: generates OTLP/HTTP protobuf trace requests (batches of spans
// with realistic attributes) and posts them to a traces endpoint over
// keep-alive connections, reporting the ingestion rate.
//
//   load_spans --addr 127.0.0.1:PORT --spans 1000000 [--batch 500] [--conns 2]
//              [--services 20] [--ids-out FILE]
//
// Each trace has 5 spans: a server root in one service, two client calls and
// two server spans in two other services, 8 span attributes and 4 resource
// attributes each (http.*, net.*, db.*; service.name/version, host.name,
// deployment.environment). Span ends spread evenly over the hour before now.
// Requests are encoded on the sending threads (about 1 us per span), so
// the rate includes that cost on the same 2 cores. A 503 or 429 (the
// server's backpressure) is retried after 200 ms, as exporters do. Every 1000th trace id is
// written to --ids-out for lookups. Prints one JSON object on stdout.
//
// Standalone (POSIX sockets only): g++ -O2 -std=c++20 -pthread load_spans.cc

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutTag(std::string* out, uint32_t field, int wire) { PutVarint(out, (uint64_t{field} << 3) | wire); }
void PutLen(std::string* out, uint32_t field, std::string_view v) {
  PutTag(out, field, 2);
  PutVarint(out, v.size());
  out->append(v);
}
void PutFixed64(std::string* out, uint32_t field, uint64_t v) {
  PutTag(out, field, 1);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutStrAttr(std::string* out, uint32_t field, std::string_view k, std::string_view v) {
  std::string any, kv;
  PutLen(&any, 1, v);
  PutLen(&kv, 1, k);
  PutLen(&kv, 2, any);
  PutLen(out, field, kv);
}
void PutIntAttr(std::string* out, uint32_t field, std::string_view k, int64_t v) {
  std::string any, kv;
  PutTag(&any, 3, 0);
  PutVarint(&any, static_cast<uint64_t>(v));
  PutLen(&kv, 1, k);
  PutLen(&kv, 2, any);
  PutLen(out, field, kv);
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 10428;
  uint64_t spans = 1000000;
  int batch = 500;
  int conns = 2;
  int services = 20;
  std::string ids_out;
};

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
constexpr const char* kRoutes[] = {"/api/cart", "/api/order", "/api/user/:id", "/api/pay", "/api/items",
                                   "/api/search", "/healthz", "/api/login", "/api/stock", "/api/ship"};

// Encodes spans [first, first+count) of the data set (5 spans per trace) as
// one ExportTraceServiceRequest: one ResourceSpans per span (service varies).
std::string EncodeBatch(const Options& o, uint64_t first, uint64_t count, int64_t t0, int64_t step,
                        std::vector<std::string>* ids) {
  std::string req;
  for (uint64_t i = first; i < first + count; ++i) {
    const uint64_t trace = i / 5;
    const int pos = static_cast<int>(i % 5);
    std::mt19937_64 rng(trace * 7919 + 17);
    const uint64_t th = rng(), tl = rng();
    const int svc_root = static_cast<int>(rng() % o.services);
    const int svc = pos == 0 ? svc_root : (svc_root + 1 + (pos - 1) / 2 + static_cast<int>(rng() % 3)) % o.services;
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
    PutStrAttr(&span, 9, "net.peer.name", "svc-" + std::to_string((svc + 1) % o.services) + ".internal");
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

int Connect(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  ::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(2);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Sends one POST and reads the response; returns the status code.
int Post(int fd, const Options& o, const std::string& body) {
  std::string head = "POST /insert/opentelemetry/v1/traces HTTP/1.1\r\nHost: " + o.host +
                     "\r\nContent-Type: application/x-protobuf\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n";
  std::string all = head + body;
  for (size_t off = 0; off < all.size();) {
    ssize_t n = ::send(fd, all.data() + off, all.size() - off, 0);
    if (n <= 0) return -1;
    off += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    resp.append(buf, static_cast<size_t>(n));
    size_t hdr_end = resp.find("\r\n\r\n");
    if (hdr_end == std::string::npos) continue;
    size_t cl = resp.find("Content-Length: ");
    if (cl == std::string::npos) cl = resp.find("content-length: ");
    size_t len = cl == std::string::npos ? 0 : std::strtoul(resp.c_str() + cl + 16, nullptr, 10);
    if (resp.size() >= hdr_end + 4 + len) break;
  }
  return std::atoi(resp.c_str() + 9);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--addr") {
      o.host = v.substr(0, v.find(':'));
      o.port = std::atoi(v.c_str() + v.find(':') + 1);
    } else if (k == "--spans") o.spans = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--batch") o.batch = std::atoi(v.c_str());
    else if (k == "--conns") o.conns = std::atoi(v.c_str());
    else if (k == "--services") o.services = std::atoi(v.c_str());
    else if (k == "--ids-out") o.ids_out = v;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t hour = int64_t{3600} * 1000000000;
  const int64_t step = std::max<int64_t>(1, hour / static_cast<int64_t>(o.spans));
  const int64_t t0 = now - hour;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> sent{0}, failed{0};
  uint64_t request_bytes = 0;
  std::mutex mu;
  std::vector<std::string> ids;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.conns; ++c) {
    threads.emplace_back([&] {
      int fd = Connect(o);
      std::vector<std::string> my_ids;
      uint64_t my_bytes = 0;
      while (true) {
        const uint64_t first = next.fetch_add(static_cast<uint64_t>(o.batch));
        if (first >= o.spans) break;
        const uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(o.batch), o.spans - first);
        std::string body = EncodeBatch(o, first, count, t0, step, &my_ids);
        my_bytes += body.size();
        int status = Post(fd, o, body);
        // As OTLP exporters do: 429/503 mean "retry later".
        for (int tries = 0; (status == 503 || status == 429) && tries < 100; ++tries) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          status = Post(fd, o, body);
        }
        if (status == 200) sent += count;
        else failed += count;
        if (status < 0) {
          ::close(fd);
          fd = Connect(o);
        }
      }
      ::close(fd);
      std::lock_guard lock(mu);
      ids.insert(ids.end(), my_ids.begin(), my_ids.end());
      request_bytes += my_bytes;
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.ids_out.empty()) {
    std::ofstream f(o.ids_out);
    for (const auto& id : ids) f << id << "\n";
  }
  std::printf("{\"spans\":%llu,\"failed\":%llu,\"seconds\":%.3f,\"spans_per_s\":%.0f,\"request_bytes_per_span\":%.1f}\n",
              static_cast<unsigned long long>(sent.load()), static_cast<unsigned long long>(failed.load()), secs,
              double(sent.load()) / secs, double(request_bytes) / double(o.spans));
  return failed.load() == 0 ? 0 : 1;
}
