#include "dns/forwarder.h"

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/runtime.h"

namespace vigil::dns {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

namespace {

// Splits "ip", "ip:port", "[ip6]:port" or a bare IPv6 address.
bool ParseServer(std::string_view s, asio::ip::address* addr, uint16_t* port) {
  std::string host(s);
  *port = 53;
  boost::system::error_code ec;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string::npos) return false;
    std::string rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6) return false;
      unsigned v = 0;
      for (char c : rest.substr(1)) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      if (v == 0 || v > 65535) return false;
      *port = static_cast<uint16_t>(v);
    }
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    size_t colon = host.find(':');
    std::string p = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (p.empty() || p.size() > 5) return false;
    unsigned v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return false;
    *port = static_cast<uint16_t>(v);
  }
  *addr = asio::ip::make_address(host, ec);
  return !ec;
}

std::string Format(const asio::ip::address& a, uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port) : a.to_string() + ":" + std::to_string(port);
}

bool IsSelf(const asio::ip::address& a, uint16_t port, const std::string& own_listen) {
  asio::ip::address own;
  uint16_t own_port = 0;
  std::string listen = own_listen;
  if (!listen.empty() && listen.front() == ':') listen = "0.0.0.0" + listen;
  if (!ParseServer(listen, &own, &own_port) || own_port != port) return false;
  if (own.is_unspecified()) return a.is_loopback() || a.is_unspecified();
  return a == own;
}

uint16_t RandomId() {
  thread_local std::mt19937 rng(std::random_device{}());
  return static_cast<uint16_t>(rng());
}

std::vector<uint8_t> BuildQuery(uint16_t id, const Question& q) {
  MessageWriter w(kMaxMessageSize);
  Header h;
  h.id = id;
  h.rd = true;
  w.WriteHeader(h);
  w.AddQuestion(q);
  w.AddOpt(kServerUdpSize, 0, 0, false);
  return w.Finish();
}

bool AnswersQuestion(const Message& m, uint16_t id, const Question& q) {
  if (!m.header.qr || m.header.id != id || m.questions.size() != 1) return false;
  const Question& a = m.questions.front();
  return a.type == q.type && a.klass == q.klass && LowercaseName(a.name) == LowercaseName(q.name);
}

}  // namespace

Result<std::vector<std::string>> ResolveUpstreams(const std::vector<std::string>& entries,
                                                  const std::string& own_listen) {
  std::vector<std::string> out;
  auto add = [&](std::string_view text, const std::string& where) -> Status {
    asio::ip::address a;
    uint16_t port;
    if (!ParseServer(text, &a, &port)) {
      return Status::InvalidArgument(where + ": \"" + std::string(text) + "\" is not an IP address or ip:port");
    }
    if (IsSelf(a, port, own_listen)) return Status::Ok();
    std::string s = Format(a, port);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    return Status::Ok();
  };
  for (const auto& e : entries) {
    if (!e.empty() && e.front() == '/') {
      std::ifstream in(e);
      std::string line;
      int line_no = 0;
      while (std::getline(in, line)) {
        ++line_no;
        std::istringstream fields(line);
        std::string key, value;
        fields >> key >> value;
        if (key != "nameserver" || value.empty()) continue;
        value = value.substr(0, value.find('%'));  // fe80::1%eth0
        Status st = add(value, e + ":" + std::to_string(line_no));
        if (!st.ok()) continue;  // resolv.conf is not ours to reject
      }
      continue;
    }
    Status st = add(e, "dns.upstreams");
    if (!st.ok()) return st;
  }
  return out;
}

struct Forwarder::Impl : std::enable_shared_from_this<Forwarder::Impl> {
  net::Runtime& runtime;
  std::vector<std::string> servers;
  std::vector<std::pair<asio::ip::address, uint16_t>> endpoints;
  std::chrono::milliseconds timeout;

  std::mutex mu;
  std::condition_variable idle;
  int in_flight = 0;
  bool stopping = false;

  Impl(net::Runtime& rt, std::vector<std::string> s, std::chrono::milliseconds t)
      : runtime(rt), servers(std::move(s)), timeout(t) {
    for (const auto& text : servers) {
      asio::ip::address a;
      uint16_t port;
      if (ParseServer(text, &a, &port)) endpoints.emplace_back(a, port);
    }
  }

  template <typename Socket>
  static void CloseOnTimeout(asio::steady_timer& timer, std::shared_ptr<Socket> sock,
                             std::chrono::steady_clock::time_point deadline) {
    timer.expires_at(deadline);
    timer.async_wait([sock](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      sock->close(ignored);
    });
  }

  asio::awaitable<Result<Message>> ExchangeUdp(const udp::endpoint& server, const Question& q) {
    auto ex = co_await asio::this_coro::executor;
    auto sock = std::make_shared<udp::socket>(ex);
    asio::steady_timer timer(ex);
    boost::system::error_code ec;
    sock->open(server.protocol(), ec);
    if (ec) co_return Status::Unavailable("udp socket: " + ec.message());
    uint16_t id = RandomId();
    std::vector<uint8_t> query = BuildQuery(id, q);
    CloseOnTimeout(timer, sock, std::chrono::steady_clock::now() + timeout);
    co_await sock->async_send_to(asio::buffer(query), server, asio::redirect_error(asio::use_awaitable, ec));
    std::vector<uint8_t> buf(kMaxMessageSize);
    while (!ec) {
      udp::endpoint from;
      size_t n = co_await sock->async_receive_from(asio::buffer(buf), from,
                                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      if (from != server) continue;  // not who we asked: ignore, keep waiting
      auto m = ParseMessage(std::span<const uint8_t>(buf.data(), n));
      if (!m.ok() || !AnswersQuestion(*m, id, q)) continue;
      timer.cancel();
      co_return std::move(*m);
    }
    timer.cancel();
    co_return Status::Unavailable(Format(server.address(), server.port()) + " did not answer over UDP: " +
                                  (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor
                                       ? std::string("timeout")
                                       : ec.message()));
  }

  asio::awaitable<Result<Message>> ExchangeTcp(const tcp::endpoint& server, const Question& q) {
    auto ex = co_await asio::this_coro::executor;
    auto sock = std::make_shared<tcp::socket>(ex);
    asio::steady_timer timer(ex);
    boost::system::error_code ec;
    CloseOnTimeout(timer, sock, std::chrono::steady_clock::now() + timeout);
    co_await sock->async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
    uint16_t id = RandomId();
    std::vector<uint8_t> query = BuildQuery(id, q);
    std::vector<uint8_t> framed(query.size() + 2);
    framed[0] = static_cast<uint8_t>(query.size() >> 8);
    framed[1] = static_cast<uint8_t>(query.size());
    std::copy(query.begin(), query.end(), framed.begin() + 2);
    if (!ec) co_await asio::async_write(*sock, asio::buffer(framed), asio::redirect_error(asio::use_awaitable, ec));
    uint8_t len[2];
    if (!ec) co_await asio::async_read(*sock, asio::buffer(len), asio::redirect_error(asio::use_awaitable, ec));
    std::vector<uint8_t> buf(ec ? 0 : (static_cast<size_t>(len[0]) << 8 | len[1]));
    if (!ec) co_await asio::async_read(*sock, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (ec) {
      co_return Status::Unavailable(Format(server.address(), server.port()) + " did not answer over TCP: " +
                                    ec.message());
    }
    auto m = ParseMessage(buf);
    if (!m.ok()) co_return m.status();
    if (!AnswersQuestion(*m, id, q)) co_return Status::Unavailable("TCP answer does not match the question");
    co_return std::move(*m);
  }

  asio::awaitable<void> Run(Question q, std::function<void(Result<Message>)> done) {
    auto self = shared_from_this();
    Result<Message> last = Status::Unavailable("no upstream servers");
    for (const auto& [addr, port] : endpoints) {
      auto r = co_await ExchangeUdp(udp::endpoint(addr, port), q);
      if (r.ok() && r->header.tc) r = co_await ExchangeTcp(tcp::endpoint(addr, port), q);
      if (r.ok()) {
        auto rcode = static_cast<Rcode>(r->header.rcode);
        if (rcode != Rcode::kServFail && rcode != Rcode::kRefused) {
          last = std::move(r);
          break;
        }
        last = std::move(r);  // kept in case every server says the same
        continue;
      }
      last = std::move(r);
    }
    if (last.ok() && static_cast<Rcode>(last->header.rcode) != Rcode::kNoError &&
        static_cast<Rcode>(last->header.rcode) != Rcode::kNxDomain) {
      last = Status::Unavailable("every upstream failed the question");
    }
    done(std::move(last));
    std::lock_guard lock(mu);
    --in_flight;
    idle.notify_all();
  }
};

Forwarder::Forwarder(net::Runtime& runtime, std::vector<std::string> servers, std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>(runtime, std::move(servers), timeout)) {}

Forwarder::~Forwarder() { Shutdown(); }

const std::vector<std::string>& Forwarder::servers() const { return impl_->servers; }

void Forwarder::Resolve(const Question& q, std::function<void(Result<Message>)> done) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) {
      done(Status::Unavailable("forwarder is shutting down"));
      return;
    }
    ++impl_->in_flight;
  }
  asio::co_spawn(asio::make_strand(impl_->runtime.io()), impl_->Run(q, std::move(done)), asio::detached);
}

void Forwarder::Shutdown() {
  std::unique_lock lock(impl_->mu);
  impl_->stopping = true;
  auto bound = impl_->timeout * 2 * static_cast<int>(impl_->endpoints.size() + 1);
  impl_->idle.wait_for(lock, bound, [&] { return impl_->in_flight == 0; });
}

}  // namespace vigil::dns
