#pragma once
// UpstreamPool: idle keep-alive connections to upstream HTTP servers, for
// the server's streaming reverse proxy (UpstreamForward). Connections are
// kept as bare file descriptors so that whichever I/O thread serves the next
// request can adopt one on its own executor. Plain TCP only: TLS upstreams
// are connected per request.
//
// Thread-safety: every method may be called from any thread concurrently.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::net {

class UpstreamPool {
 public:
  // Keeps at most `max_idle_per_upstream` idle connections per upstream and
  // none idle longer than `idle_timeout`.
  explicit UpstreamPool(size_t max_idle_per_upstream = 64,
                        std::chrono::milliseconds idle_timeout = std::chrono::seconds(60));
  // Closes every idle connection.
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // An idle connection to `upstream` ("host:port") that the peer has not
  // closed, now owned by the caller; -1 when there is none.
  int Take(const std::string& upstream);
  // Hands `fd`, a connection to `upstream` at a message boundary, back for
  // reuse; closes it when the pool for `upstream` is full.
  void Put(const std::string& upstream, int fd);
  // Idle connections held, over all upstreams.
  size_t idle_count() const;

 private:
  struct Idle {
    int fd;
    std::chrono::steady_clock::time_point since;
  };
  const size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Idle>> idle_;
};

}  // namespace vigil::net
