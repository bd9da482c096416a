// load_spans: generates OTLP/HTTP protobuf trace requests (batches of spans
// with realistic attributes) and posts them to a traces endpoint over
// keep-alive connections, reporting the ingestion rate.
//
//   load_spans --addr 127.0.0.1:PORT --spans 1000000 [--batch 500] [--conns 2]
//              [--services 20] [--ids-out FILE]
//
// The data set is span_gen.h's; span ends spread evenly over the hour
// before now.
// Requests are encoded on the sending threads (about 1.5 us per span), so
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

#include "span_gen.h"

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 10428;
  uint64_t spans = 1000000;
  int batch = 500;
  int conns = 2;
  int services = 20;
  std::string ids_out;
};

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
        std::string body = span_gen::EncodeBatch(o.services, first, count, t0, step, &my_ids);
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
