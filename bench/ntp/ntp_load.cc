// NTP load generator for bench/ntp/run.sh: keeps --window client requests
// (mode 3, NTPv4) in flight from --sockets UDP sockets to one server for
// --seconds, and reports replies per second and the server's processing
// delay (its transmit minus receive timestamp) median and p99, in µs.
//   ntp_load HOST PORT [seconds=5] [window=64] [sockets=4]
// Built by run.sh with g++ -O2; not part of the Vigil build.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

uint64_t ReadTimestamp(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// NTP 32.32 fixed point difference in microseconds.
double MicrosBetween(uint64_t from, uint64_t to) {
  return static_cast<double>(static_cast<int64_t>(to - from)) / 4294967296.0 * 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s HOST PORT [seconds] [window] [sockets]\n", argv[0]);
    return 2;
  }
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5;
  const int window = argc > 4 ? std::atoi(argv[4]) : 64;
  const int nsock = argc > 5 ? std::atoi(argv[5]) : 4;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &server.sin_addr);
  std::vector<pollfd> fds;
  for (int i = 0; i < nsock; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server);
    fds.push_back({fd, POLLIN, 0});
  }
  unsigned char req[48] = {0};
  req[0] = (0 << 6) | (4 << 3) | 3;  // LI 0, version 4, mode 3
  uint64_t sent = 0, replies = 0, kod = 0;
  std::vector<double> delays;
  delays.reserve(1 << 22);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  int outstanding = 0;
  auto last_reply = start;
  while (std::chrono::steady_clock::now() < end) {
    while (outstanding < window) {
      const uint64_t id = ++sent;
      for (int i = 0; i < 8; ++i) req[40 + i] = static_cast<unsigned char>(id >> (56 - 8 * i));
      if (send(fds[id % fds.size()].fd, req, sizeof req, 0) == static_cast<ssize_t>(sizeof req)) ++outstanding;
      else break;
    }
    int n = poll(fds.data(), fds.size(), 10);
    if (n == 0 && std::chrono::steady_clock::now() - last_reply > std::chrono::milliseconds(200)) {
      outstanding = 0;  // lost packets: refill the window
      continue;
    }
    for (auto& p : fds) {
      if (!(p.revents & POLLIN)) continue;
      unsigned char buf[512];
      for (;;) {
        ssize_t got = recv(p.fd, buf, sizeof buf, 0);
        if (got < 48) break;
        --outstanding;
        last_reply = std::chrono::steady_clock::now();
        if (buf[1] == 0) {  // stratum 0: kiss-o'-death
          ++kod;
          continue;
        }
        ++replies;
        delays.push_back(MicrosBetween(ReadTimestamp(buf + 32), ReadTimestamp(buf + 40)));
      }
    }
    if (outstanding < 0) outstanding = 0;
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(delays.begin(), delays.end());
  auto pct = [&](double q) { return delays.empty() ? 0.0 : delays[static_cast<size_t>(q * (delays.size() - 1))]; };
  std::printf("replies/s %.0f sent %llu replies %llu kod %llu delay_us median %.1f p99 %.1f\n", replies / elapsed,
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(replies),
              static_cast<unsigned long long>(kod), pct(0.5), pct(0.99));
  return 0;
}
