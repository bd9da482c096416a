#pragma once
// UpstreamPool: the policy and identity of a set of idle keep-alive
// connections to upstream HTTP servers, for the server's streaming reverse
// proxy (UpstreamForward). The idle sockets themselves are kept per I/O
// thread (net/upstream_idle.h, internal): a socket goes back to the pool of
// the thread that used it and is reused by that thread only, so reusing it
// costs no system call (no epoll re-registration, no thread hand-off), the
// way each nginx worker keeps its own upstream keep-alive cache. Plain TCP
// only: TLS upstreams are connected per request.
//
// Thread-safety: immutable after construction; safe from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vigil::net {

class UpstreamPool {
 public:
  // Keeps at most `max_idle_per_upstream` idle connections per upstream and
  // per I/O thread, and none idle longer than `idle_timeout`.
  explicit UpstreamPool(size_t max_idle_per_upstream = 64,
                        std::chrono::milliseconds idle_timeout = std::chrono::seconds(60));
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  size_t max_idle_per_upstream() const { return max_idle_; }
  std::chrono::milliseconds idle_timeout() const { return idle_timeout_; }
  // Unique in the process, never reused: idle connections are filed under
  // it, so two pools (a proxy before and after a reload) never share one.
  uint64_t id() const { return id_; }

 private:
  const size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
  const uint64_t id_;
};

}  // namespace vigil::net
