#pragma once
// DnsServer: the DNS wire endpoints on `dns.listen`: UDP (one socket per I/O
// thread) and TCP (RFC 7766 length-prefixed messages, several per
// connection, idle timeout). Every query goes through the access list and
// the optional per-client rate limit, then to the Resolver. Clients outside
// the access list and clients over the rate are dropped without a reply, so
// the server cannot be used to reflect traffic.
//
// Thread-safety: Start/Stop from one controlling thread; queries are served
// concurrently on the Runtime's I/O threads.

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "dns/hosts.h"

namespace vigil {
class MetricsRegistry;
}
namespace vigil::net {
class Runtime;
}

namespace vigil::dns {

class Resolver;

// An address prefix such as 10.0.0.0/8 or fd00::/8.
struct Network {
  IpAddress base;
  int prefix_bits = 0;

  // Parses "addr/bits" or a bare address (a host network). False on error.
  static bool Parse(std::string_view text, Network* out);
  // Whether `address` (4 or 16 raw bytes) lies in this network. IPv4-mapped
  // IPv6 addresses match IPv4 networks.
  bool Contains(std::string_view address) const;
};

struct DnsServerOptions {
  std::string listen = "127.0.0.1:0";
  std::vector<Network> allow;     // empty: everyone
  double rate_limit = 0;          // queries per second per client; 0: off
  int tcp_max_connections = 256;  // more are closed at once
  int tcp_idle_seconds = 10;      // a connection with no query for this long is closed
};

class DnsServer {
 public:
  // `resolver` and `registry` must outlive the server.
  DnsServer(net::Runtime& runtime, DnsServerOptions options, Resolver& resolver, MetricsRegistry& registry);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds UDP and TCP on the same port (with port 0, TCP takes UDP's port).
  // On failure nothing stays bound and the Status names the address.
  Status Start();
  // Stops reading and accepting and closes connections. Idempotent.
  void Stop();
  // The bound port. REQUIRES: Start() succeeded.
  uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::dns
