#include "dns/dns_server.h"

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/log.h"
#include "base/metrics_registry.h"
#include "base/rate_limiter.h"
#include "dns/resolver.h"
#include "net/runtime.h"
#include "net/udp_server.h"

namespace vigil::dns {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

bool Network::Parse(std::string_view text, Network* out) {
  Network n;
  size_t slash = text.find('/');
  if (!IpAddress::Parse(text.substr(0, slash), &n.base)) return false;
  int max_bits = n.base.v6 ? 128 : 32;
  n.prefix_bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3) return false;
    int v = 0;
    for (char c : bits) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > max_bits) return false;
    n.prefix_bits = v;
  }
  *out = n;
  return true;
}

bool Network::Contains(std::string_view address) const {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!base.v6 && address.size() == 16 && std::memcmp(address.data(), kMapped, 12) == 0) address.remove_prefix(12);
  if (address.size() != (base.v6 ? 16u : 4u)) return false;
  const auto* a = reinterpret_cast<const uint8_t*>(address.data());
  int bits = prefix_bits;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - bits));
    if ((a[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

struct DnsServer::Impl : std::enable_shared_from_this<DnsServer::Impl> {
  net::Runtime& runtime;
  DnsServerOptions opts;
  Resolver& resolver;
  Family<Counter>& dropped;
  Gauge& tcp_connections;
  std::optional<RateLimiter> limiter;
  std::unique_ptr<net::UdpServer> udp;
  std::unique_ptr<tcp::acceptor> acceptor;
  uint16_t bound_port = 0;

  std::mutex mu;
  std::unordered_set<std::shared_ptr<tcp::socket>> connections;
  bool stopping = false;

  Impl(net::Runtime& rt, DnsServerOptions o, Resolver& r, MetricsRegistry& reg)
      : runtime(rt),
        opts(std::move(o)),
        resolver(r),
        dropped(reg.AddCounterFamily("vigil_dns_dropped_total", "DNS packets dropped without a reply, by reason.",
                                     {"reason"})),
        tcp_connections(reg.AddGauge("vigil_dns_tcp_connections", "Open DNS-over-TCP connections.")) {
    if (opts.rate_limit > 0) limiter.emplace(opts.rate_limit, std::max(opts.rate_limit, 10.0));
  }

  // Access list and rate limit; counts the reason when the answer is no.
  bool Admit(std::string_view address) {
    if (!opts.allow.empty()) {
      bool ok = false;
      for (const auto& n : opts.allow) ok = ok || n.Contains(address);
      if (!ok) {
        dropped.WithLabels({"not_allowed"}).Inc();
        return false;
      }
    }
    if (limiter && !limiter->Allow(address, RateLimiter::Clock::now())) {
      dropped.WithLabels({"rate_limited"}).Inc();
      return false;
    }
    return true;
  }

  void OnDatagram(const net::UdpDatagram& d, bool truncated, const std::shared_ptr<net::UdpSocket>& socket) {
    if (truncated) {
      dropped.WithLabels({"oversized"}).Inc();
      return;
    }
    if (!Admit(d.peer.AddressBytes())) return;
    resolver.Handle(d.data, false, [socket, peer = d.peer](std::vector<uint8_t> out) { socket->SendTo(peer, out); });
  }

  // Resolves one query; the awaitable completes when the answer is there
  // (forwarded answers arrive on another thread). An empty answer means the
  // query was dropped. Not a coroutine itself: g++ 12 frees the result of
  // `co_return co_await` twice.
  asio::awaitable<std::vector<uint8_t>> Answer(std::vector<uint8_t> query) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::vector<uint8_t>)>(
        [this, query = std::move(query)](auto handler) mutable {
          using H = decltype(handler);
          auto shared = std::make_shared<H>(std::move(handler));
          auto complete = [shared](std::vector<uint8_t> out) {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, [shared, out = std::move(out)]() mutable { (*shared)(std::move(out)); });
          };
          bool replies = resolver.Handle(query, true, [complete](std::vector<uint8_t> out) { complete(std::move(out)); });
          if (!replies) complete({});
        },
        asio::use_awaitable);
  }

  asio::awaitable<void> ServeConnection(std::shared_ptr<tcp::socket> sock) {
    auto self = shared_from_this();
    asio::steady_timer idle(sock->get_executor());
    std::vector<uint8_t> query;
    for (;;) {
      idle.expires_after(std::chrono::seconds(opts.tcp_idle_seconds));
      idle.async_wait([sock](const boost::system::error_code& ec) {
        if (!ec) {
          boost::system::error_code ignored;
          sock->close(ignored);
        }
      });
      uint8_t len_bytes[2];
      boost::system::error_code ec;
      co_await asio::async_read(*sock, asio::buffer(len_bytes), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      size_t len = static_cast<size_t>(len_bytes[0]) << 8 | len_bytes[1];
      query.resize(len);
      co_await asio::async_read(*sock, asio::buffer(query), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      idle.cancel();
      std::vector<uint8_t> answer = co_await Answer(std::move(query));
      query.clear();
      if (answer.empty()) break;  // dropped: a TCP peer learns it by the close
      std::vector<uint8_t> framed(answer.size() + 2);
      framed[0] = static_cast<uint8_t>(answer.size() >> 8);
      framed[1] = static_cast<uint8_t>(answer.size());
      std::memcpy(framed.data() + 2, answer.data(), answer.size());
      co_await asio::async_write(*sock, asio::buffer(framed), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    idle.cancel();
    boost::system::error_code ignored;
    sock->close(ignored);
    std::lock_guard lock(mu);
    connections.erase(sock);
    tcp_connections.Set(static_cast<double>(connections.size()));
  }

  asio::awaitable<void> AcceptLoop() {
    auto self = shared_from_this();
    for (;;) {
      auto sock = std::make_shared<tcp::socket>(runtime.io());
      boost::system::error_code ec;
      co_await acceptor->async_accept(*sock, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      {
        std::lock_guard lock(mu);
        if (stopping) co_return;
      }
      if (ec) continue;
      boost::system::error_code peer_ec;
      auto peer = sock->remote_endpoint(peer_ec);
      std::string address;
      if (!peer_ec) {
        if (peer.address().is_v4()) {
          auto b = peer.address().to_v4().to_bytes();
          address.assign(reinterpret_cast<const char*>(b.data()), b.size());
        } else {
          auto b = peer.address().to_v6().to_bytes();
          address.assign(reinterpret_cast<const char*>(b.data()), b.size());
        }
      }
      if (!Admit(address)) continue;
      {
        std::lock_guard lock(mu);
        if (static_cast<int>(connections.size()) >= opts.tcp_max_connections) {
          dropped.WithLabels({"tcp_connection_limit"}).Inc();
          continue;
        }
        connections.insert(sock);
        tcp_connections.Set(static_cast<double>(connections.size()));
      }
      // On the socket's own context: one thread serves the connection.
      asio::co_spawn(sock->get_executor(), ServeConnection(sock), asio::detached);
    }
  }
};

DnsServer::DnsServer(net::Runtime& runtime, DnsServerOptions options, Resolver& resolver, MetricsRegistry& registry)
    : impl_(std::make_shared<Impl>(runtime, std::move(options), resolver, registry)) {}

DnsServer::~DnsServer() { Stop(); }

Status DnsServer::Start() {
  net::UdpServerOptions uo;
  uo.name = "dns";
  uo.listen = impl_->opts.listen;
  uo.max_datagram = kMaxMessageSize;
  uo.batch_replies = true;
  Impl* impl = impl_.get();
  impl_->udp = std::make_unique<net::UdpServer>(
      impl_->runtime, uo,
      [impl](const net::UdpDatagram& d, bool truncated, const std::shared_ptr<net::UdpSocket>& s) {
        impl->OnDatagram(d, truncated, s);
      });
  Status st = impl_->udp->Start();
  if (!st.ok()) {
    impl_->udp.reset();
    return st;
  }
  impl_->bound_port = impl_->udp->port();

  sockaddr_storage addr{};
  socklen_t len = 0;
  st = net::ResolveListenAddress(impl_->opts.listen, &addr, &len);
  tcp::endpoint ep;
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), &a->sin6_addr, 16);
    ep = tcp::endpoint(asio::ip::address_v6(b), impl_->bound_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ep = tcp::endpoint(asio::ip::address_v4(ntohl(a->sin_addr.s_addr)), impl_->bound_port);
  }
  boost::system::error_code ec;
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->runtime.io());
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->acceptor.reset();
    impl_->udp->Stop();
    impl_->udp.reset();
    return Status::IOError(impl_->opts.listen + " (tcp): " + ec.message());
  }
  asio::co_spawn(impl_->acceptor->get_executor(), impl_->AcceptLoop(), asio::detached);
  return Status::Ok();
}

void DnsServer::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  if (impl_->udp) impl_->udp->Stop();
  if (impl_->acceptor) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  }
  std::lock_guard lock(impl_->mu);
  for (const auto& sock : impl_->connections) {
    boost::system::error_code ec;
    sock->close(ec);
  }
}

uint16_t DnsServer::port() const { return impl_->bound_port; }

}  // namespace vigil::dns
