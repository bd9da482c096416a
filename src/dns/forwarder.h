#pragma once
// Forwarder: the Upstream that asks other DNS servers. Each question goes
// to the servers in order: over UDP from a fresh socket (random port and
// ID, EDNS0 with a 1232-byte payload), retried over TCP when the answer is
// truncated. An answer is accepted only from the server asked, with the ID
// and question sent; SERVFAIL/REFUSED or silence (past `timeout`) moves on
// to the next server, and when none answers the question fails.
//
// Thread-safety: Resolve may be called from any thread; `done` runs on an
// I/O thread.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "dns/resolver.h"

namespace vigil::net {
class Runtime;
}

namespace vigil::dns {

// Turns `dns.upstreams` entries into "ip:port" servers: "1.1.1.1",
// "1.1.1.1:5353", "::1", "[::1]:53"; an entry starting with '/' is a
// resolv.conf whose `nameserver` lines are read. Servers equal to
// `own_listen` (Vigil's own DNS address, where 0.0.0.0 / [::] stand for
// every loopback address) are skipped so that Vigil never forwards to
// itself. A missing resolv.conf yields no servers; a bad entry is an error.
Result<std::vector<std::string>> ResolveUpstreams(const std::vector<std::string>& entries,
                                                  const std::string& own_listen);

class Forwarder : public Upstream {
 public:
  // `servers` are "ip:port" / "[ip6]:port" as returned by ResolveUpstreams.
  // REQUIRES: runtime outlives the forwarder.
  Forwarder(net::Runtime& runtime, std::vector<std::string> servers,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  ~Forwarder() override;

  void Resolve(const Question& q, std::function<void(Result<Message>)> done) override;

  // Fails new questions at once and waits until every question in flight
  // has called its `done` (each does within timeout x servers). Idempotent.
  void Shutdown();

  const std::vector<std::string>& servers() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::dns
