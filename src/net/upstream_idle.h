#pragma once
// Internal to src/net (upstream_relay.h and its tests): the idle upstream
// connections of one io_context, an Asio service so that they live and die
// with the context whose reactor they are registered with. Since each
// io_context is run by one thread (net::Runtime), a socket taken here is
// already registered with the caller's reactor: reusing it costs nothing.
//
// Thread-safety: REQUIRES every call from the one thread running the
// io_context (the service keeps no lock).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/upstream_pool.h"

namespace vigil::net::detail {

class IdleUpstreams : public boost::asio::execution_context::service {
 public:
  using key_type = IdleUpstreams;
  static inline boost::asio::execution_context::id id;

  explicit IdleUpstreams(boost::asio::execution_context& ctx) : service(ctx) {}

  // The idle service of the context behind `ex`, created on first use.
  template <typename Executor>
  static IdleUpstreams& Of(const Executor& ex) {
    return boost::asio::use_service<IdleUpstreams>(boost::asio::query(ex, boost::asio::execution::context));
  }

  // The most recently used idle connection of `pool` to `upstream` that has
  // not expired, now owned by the caller; nullopt when there is none. With
  // `check_alive`, connections the peer closed (or that hold unexpected
  // bytes) are dropped first, at the cost of one recv per candidate.
  std::optional<boost::asio::ip::tcp::socket> Take(const UpstreamPool& pool, std::string_view upstream,
                                                   bool check_alive);
  // Files `socket`, a connection to `upstream` at a message boundary, for
  // reuse under `pool`; closes it when the pool already keeps its maximum.
  void Put(const UpstreamPool& pool, std::string_view upstream, boost::asio::ip::tcp::socket socket);
  // Idle connections held, over all pools and upstreams.
  size_t idle_count() const;

 private:
  struct Idle {
    uint64_t pool_id;
    std::chrono::steady_clock::time_point expires;
    boost::asio::ip::tcp::socket socket;
  };
  void shutdown() override { idle_.clear(); }
  // Drops expired connections (of live and of destroyed pools), at most
  // once a second.
  void Sweep(std::chrono::steady_clock::time_point now);

  std::map<std::string, std::vector<Idle>, std::less<>> idle_;
  std::chrono::steady_clock::time_point next_sweep_{};
};

}  // namespace vigil::net::detail
