#pragma once
// NtpClient: follows upstream NTP servers (`ntp.servers`) as an RFC 5905
// client. Each server is polled every `poll_interval`; each answer gives a
// sample
//   offset = ((T2 - T1) + (T3 - T4)) / 2,   delay = (T4 - T1) - (T3 - T2)
// (T1 our transmit, T2 their receive, T3 their transmit, T4 our receive).
// The last 8 samples of a server form its clock filter: the sample with
// the lowest delay is its estimate, jitter is the RMS of the other offsets
// around it. The reachable server with the lowest root distance
// (root delay/2 + root dispersion + delay/2 + jitter) is selected and
// published to the SyncStateCell at its stratum + 1. When no server has
// answered in the last 8 polls, the local stratum is published instead.
//
// Answers are accepted only from the address asked, in server mode, with
// our transmit timestamp as origin (which defeats blind spoofing), stratum
// 1..15 and a leap indicator other than "unsynchronized"; a RATE/DENY kiss
// makes the client back off that server.
//
// Thread-safety: Start/Stop from one thread; the rest runs on I/O threads.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "ntp/server_core.h"

namespace vigil {
class MetricsRegistry;
}
namespace vigil::net {
class Runtime;
}

namespace vigil::ntp {

struct NtpClientOptions {
  std::vector<std::string> servers;  // "ip", "ip:port", "[ip6]:port", or a host name
  std::chrono::milliseconds poll_interval{64'000};
  std::chrono::milliseconds timeout{2'000};
  uint8_t local_stratum = 10;  // published while nothing is reachable
  bool discipline = false;     // adjust the system clock instead of the served offset
};

// One clock-filter result, exposed for tests and metrics.
struct SourceEstimate {
  bool valid = false;
  double offset = 0;
  double delay = 0;
  double jitter = 0;
  double root_distance = 0;
  uint8_t stratum = 0;
  uint32_t reference_id = 0;
  double root_delay = 0;
  double root_dispersion = 0;
  uint8_t leap = 0;
};

// A single exchange's four timestamps turned into offset and delay.
struct Sample {
  double offset;
  double delay;
};
Sample ComputeSample(Timestamp t1, Timestamp t2, Timestamp t3, Timestamp t4);

class NtpClient {
 public:
  // `state` and `registry` must outlive the client.
  NtpClient(net::Runtime& runtime, NtpClientOptions options, SyncStateCell& state, MetricsRegistry& registry);
  ~NtpClient();
  NtpClient(const NtpClient&) = delete;
  NtpClient& operator=(const NtpClient&) = delete;

  // Resolves the servers and starts polling (the first poll is immediate).
  // Fails when a server name cannot be resolved.
  Status Start();
  // Stops polling; returns when no poll is in flight. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::ntp
