#pragma once
// Internal to src/net (included by http_server.cc only): the streaming
// reverse-proxy exchange behind UpstreamForward. The request body goes from
// the client to the upstream and the response body back through one 64 KiB
// buffer each way, read then written, so memory stays constant whatever the
// body size and a slow reader slows the writer (backpressure through TCP).
// A websocket Upgrade answered with 101 becomes a byte tunnel. Each socket
// (client and upstream) has one SocketDeadline, armed before each of its
// operations.

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include "net/http1_io.h"
#include "net/http1_parser.h"
#include "net/http_types.h"
#include "net/socket_deadline.h"
#include "net/upstream_idle.h"
#include "net/upstream_pool.h"

namespace vigil::net::detail {

namespace relay_asio = boost::asio;
namespace relay_beast = boost::beast;

// What the exchange did, for the server's logging and connection reuse.
using relay_tcp = relay_asio::ip::tcp;

struct RelayResult {
  int status = 0;                // sent to the client, or to send when !answered
  uint64_t bytes = 0;            // response body bytes relayed to the client
  bool answered = false;         // a response head went to the client
  bool client_gone = false;      // the client closed or stalled; nothing more can be sent
  bool client_reusable = false;  // the client connection may carry another request
  std::string error;             // when !answered: the message for the status page
};

// The client side of the exchange.
struct RelayClient {
  size_t max_body_bytes;                // larger request bodies: 413
  std::chrono::milliseconds timeout;    // per read from / write to the client
  unsigned version;                     // 10 or 11
  bool keep_alive;                      // the client asked to keep the connection
  bool head;                            // a HEAD request: the answer has no body
};

inline constexpr size_t kRelayChunk = 64 << 10;

// One connection to the upstream: TCP, with TLS over it for https.
struct UpstreamConnection {
  explicit UpstreamConnection(const relay_asio::any_io_executor& ex) : tcp(ex), deadline(tcp) {}
  relay_tcp::socket tcp;
  SocketDeadline deadline;  // of `tcp`, armed before each operation on it
  std::unique_ptr<relay_asio::ssl::stream<relay_tcp::socket&>> tls;
  bool reused = false;

  // Calls f with whichever stream carries HTTP (both return the same type).
  template <typename F>
  auto With(F&& f) {
    return tls ? f(*tls) : f(tcp);
  }
};

// Upstreams are this node's own services, often behind self-signed
// certificates: the proxy does not verify them (as Nginx's default).
inline relay_asio::ssl::context& UpstreamTlsContext() {
  static relay_asio::ssl::context* ctx = [] {
    auto* c = new relay_asio::ssl::context(relay_asio::ssl::context::tls_client);
    c->set_verify_mode(relay_asio::ssl::verify_none);
    return c;
  }();
  return *ctx;
}

inline bool SplitUpstream(std::string_view hp, std::string* host, std::string* port) {
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= hp.size()) return false;
  std::string_view h = hp.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  *host = std::string(h);
  *port = std::string(hp.substr(colon + 1));
  return true;
}

// "5s", "1.5s", "0.25s".
inline std::string Seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(d.count()) / 1000.0);
  std::string out = buf;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + "s";
}

// What a client connection keeps between proxied requests, so that relaying
// one allocates next to nothing: the upstream answer's buffer and parsed
// head (its field vector), the serialised heads, and a spare upstream
// stream object that sockets move in and out of.
struct RelayScratch {
  relay_beast::flat_buffer answer;
  ResponseHead head;
  std::string head_bytes;
  std::unique_ptr<UpstreamConnection> spare;
};

// The spare connection object of `scratch` (or a new one) with no socket.
inline std::unique_ptr<UpstreamConnection> TakeConnectionObject(RelayScratch& scratch,
                                                                const relay_asio::any_io_executor& ex) {
  if (scratch.spare) return std::move(scratch.spare);
  return std::make_unique<UpstreamConnection>(ex);
}

// Gives a connection object whose exchange ended cleanly back to `scratch`,
// closing its socket unless it went to the pool.
inline void RecycleConnectionObject(std::unique_ptr<UpstreamConnection> conn, RelayScratch& scratch) {
  conn->tls.reset();
  boost::system::error_code ignored;
  if (conn->tcp.is_open()) conn->tcp.close(ignored);
  conn->reused = false;
  scratch.spare = std::move(conn);
}

// A pooled idle connection of this thread to the upstream, or null (none,
// TLS, no pool). `check_alive`: make sure it is still open (worth a recv
// when a request body is about to be streamed, which cannot be replayed on
// a fresh connection; bodiless requests are retried instead).
inline std::unique_ptr<UpstreamConnection> TakePooledUpstream(const UpstreamForward& fwd, bool check_alive,
                                                              const relay_asio::any_io_executor& ex,
                                                              RelayScratch& scratch) {
  if (fwd.scheme == "https" || !fwd.pool) return nullptr;
  std::optional<relay_asio::ip::tcp::socket> pooled = IdleUpstreams::Of(ex).Take(*fwd.pool, fwd.host_port, check_alive);
  if (!pooled) return nullptr;
  auto conn = TakeConnectionObject(scratch, ex);
  // Same context, so the move keeps the socket's reactor registration.
  conn->tcp = std::move(*pooled);
  conn->reused = true;
  return conn;
}

// Opens a new connection to the upstream (TLS for https). On failure
// returns null and the status to answer (502, or 504 on a connect
// timeout) in *status.
inline relay_asio::awaitable<std::unique_ptr<UpstreamConnection>> ConnectUpstream(const UpstreamForward& fwd,
                                                                                   RelayScratch& scratch,
                                                                                   int* status,
                                                                                   std::string* error) {
  using tcp = relay_asio::ip::tcp;
  auto ex = co_await relay_asio::this_coro::executor;
  auto conn = TakeConnectionObject(scratch, ex);
  boost::system::error_code ec;
  bool tls = fwd.scheme == "https";
  std::string host, port;
  if (!SplitUpstream(fwd.host_port, &host, &port)) {
    *status = 502;
    *error = "bad upstream address " + fwd.host_port;
    co_return nullptr;
  }
  tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve(host, port, relay_asio::redirect_error(relay_asio::use_awaitable, ec));
  if (ec) {
    *status = 502;
    *error = "cannot resolve " + host + ": " + ec.message();
    co_return nullptr;
  }
  conn->deadline.Arm(fwd.connect_timeout);
  co_await relay_asio::async_connect(conn->tcp, endpoints, relay_asio::redirect_error(relay_asio::use_awaitable, ec));
  if (ec) {
    bool timed_out = conn->deadline.TimedOut(ec);
    *status = timed_out ? 504 : 502;
    *error = timed_out ? "connect timeout after " + Seconds(fwd.connect_timeout) : "connect: " + ec.message();
    co_return nullptr;
  }
  conn->tcp.set_option(tcp::no_delay(true), ec);
  if (tls) {
    conn->tls = std::make_unique<relay_asio::ssl::stream<relay_tcp::socket&>>(conn->tcp, UpstreamTlsContext());
    boost::system::error_code ignored;
    relay_asio::ip::make_address(host, ignored);
    if (ignored) SSL_set_tlsext_host_name(conn->tls->native_handle(), host.c_str());  // SNI carries names only
    co_await conn->tls->async_handshake(relay_asio::ssl::stream_base::client,
                                        relay_asio::redirect_error(relay_asio::use_awaitable, ec));
    if (ec) {
      *status = conn->deadline.TimedOut(ec) ? 504 : 502;
      *error = "TLS handshake: " + ec.message();
      co_return nullptr;
    }
  }
  co_return conn;
}

// Copies bytes from `from` to `to` until either fails or closes; `pending`
// holds bytes already read from `from` past the HTTP message.
template <typename From, typename To>
relay_asio::awaitable<void> Pump(From& from, SocketDeadline& from_deadline, relay_beast::flat_buffer& pending,
                                 To& to, std::chrono::milliseconds idle) {
  boost::system::error_code ec;
  if (pending.size() > 0) {
    co_await relay_asio::async_write(to, pending.data(), relay_asio::redirect_error(relay_asio::use_awaitable, ec));
    pending.consume(pending.size());
    if (ec) co_return;
  }
  std::vector<char> buf(kRelayChunk);
  for (;;) {
    from_deadline.Arm(idle);
    size_t n = co_await from.async_read_some(relay_asio::buffer(buf),
                                             relay_asio::redirect_error(relay_asio::use_awaitable, ec));
    if (ec) co_return;
    co_await relay_asio::async_write(to, relay_asio::buffer(buf.data(), n),
                                     relay_asio::redirect_error(relay_asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

// Runs Pump and then stops the other direction by closing both sockets.
template <typename From, typename To>
relay_asio::awaitable<void> PumpThenClose(From& from, relay_tcp::socket& from_tcp, SocketDeadline& from_deadline,
                                          relay_beast::flat_buffer& pending, To& to, relay_tcp::socket& to_tcp,
                                          std::chrono::milliseconds idle, bool* finished, relay_asio::steady_timer* done) {
  co_await Pump(from, from_deadline, pending, to, idle);
  *finished = true;
  done->cancel();
  boost::system::error_code ec;
  from_tcp.cancel(ec);
  to_tcp.cancel(ec);
  from_tcp.shutdown(relay_tcp::socket::shutdown_both, ec);
  to_tcp.shutdown(relay_tcp::socket::shutdown_both, ec);
}

// Relays bytes both ways after a 101 until either side closes or is idle
// for `idle`.
template <typename ClientStream, typename UpstreamStream>
relay_asio::awaitable<void> Tunnel(ClientStream& client, relay_tcp::socket& client_tcp, SocketDeadline& client_deadline,
                                   relay_beast::flat_buffer& client_buf, UpstreamStream& upstream,
                                   UpstreamConnection& upstream_conn, relay_beast::flat_buffer& upstream_buf,
                                   std::chrono::milliseconds idle) {
  auto ex = co_await relay_asio::this_coro::executor;
  relay_asio::steady_timer up_done(ex, relay_asio::steady_timer::time_point::max());
  bool up_finished = false;
  relay_asio::co_spawn(ex,
                       PumpThenClose(upstream, upstream_conn.tcp, upstream_conn.deadline, upstream_buf, client,
                                     client_tcp, idle, &up_finished, &up_done),
                       relay_asio::detached);
  bool down_finished = false;
  relay_asio::steady_timer down_done(ex, relay_asio::steady_timer::time_point::max());
  co_await PumpThenClose(client, client_tcp, client_deadline, client_buf, upstream, upstream_conn.tcp, idle,
                         &down_finished, &down_done);
  // The other direction uses these streams: wait for it to end before they go.
  boost::system::error_code ec;
  if (!up_finished) co_await up_done.async_wait(relay_asio::redirect_error(relay_asio::use_awaitable, ec));
}

// Appends "name: value\r\n" to a message head being serialised; CR and LF
// in either become spaces, so no value can split the message.
inline void AppendField(std::string* out, std::string_view name, std::string_view value) {
  size_t from = out->size();
  out->append(name);
  out->append(": ");
  out->append(value);
  for (size_t i = from; i < out->size(); ++i) {
    if ((*out)[i] == '\r' || (*out)[i] == '\n') (*out)[i] = ' ';
  }
  out->append("\r\n");
}

// Appends "HTTP/1.1 200 OK\r\n".
inline void AppendStatusLine(std::string* out, unsigned version, int status) {
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  if (status < 100 || status > 999) status = 500;
  const char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                        static_cast<char>('0' + status % 10), ' '};
  out->append(code, 4);
  out->append(ReasonPhrase(status));
  out->append("\r\n");
}

// Appends the Connection field that makes `keep_alive` hold for an HTTP
// `version` message (nothing when it is that version's default).
inline void AppendConnection(std::string* out, unsigned version, bool keep_alive) {
  if (version >= 11 && !keep_alive) AppendField(out, "Connection", "close");
  if (version < 11 && keep_alive) AppendField(out, "Connection", "keep-alive");
}

inline bool IsHopByHop(std::string_view name) {
  static constexpr std::string_view kHopByHop[] = {"Connection", "Keep-Alive",        "Proxy-Connection",
                                                   "TE",         "Trailer",           "Transfer-Encoding",
                                                   "Upgrade",    "Content-Length"};
  for (std::string_view h : kHopByHop) {
    if (AsciiIEquals(h, name)) return true;
  }
  return false;
}

// Appends a decimal number.
inline void AppendDecimal(std::string* out, uint64_t n) {
  char digits[24];
  char* end = digits + sizeof(digits);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out->append(p, static_cast<size_t>(end - p));
}

// Writes "<hex size>\r\n", a chunk's size line, into `line`; returns its length.
inline size_t ChunkSizeLine(char (&line)[24], size_t size) {
  char hex[20];
  size_t n = 0;
  do {
    hex[n++] = "0123456789abcdef"[size & 15];
    size >>= 4;
  } while (size != 0);
  for (size_t i = 0; i < n; ++i) line[i] = hex[n - 1 - i];
  line[n] = '\r';
  line[n + 1] = '\n';
  return n + 2;
}

// The whole exchange: connect, send the head, stream the request body,
// read the answer's head, stream its body (or tunnel after a 101).
// The request's head (`req`, `frame`) has been read and dropped from
// `client_buf`, which holds whatever of its body arrived with it.
// `scratch` is the client connection's (see RelayScratch); its answer
// buffer is left empty.
template <typename ClientStream>
relay_asio::awaitable<RelayResult> RelayExchange(ClientStream& client, relay_tcp::socket& client_tcp,
                                                 SocketDeadline& client_deadline, relay_beast::flat_buffer& client_buf, const HttpRequest& req,
                                                 const RequestFrame& frame, const UpstreamForward& fwd,
                                                 const RelayClient& rc, RelayScratch& scratch) {
  using relay_asio::redirect_error;
  using relay_asio::use_awaitable;
  RelayResult out;
  boost::system::error_code ec;
  bool has_body = frame.framing != BodyFraming::kNone;
  std::string_view upgrade_value = req.Header("Upgrade");
  bool upgrade = fwd.websocket && AsciiIEquals(upgrade_value, "websocket");

  relay_beast::flat_buffer& up_buf = scratch.answer;
  ResponseHead& res = scratch.head;
  // The upstream request head, serialised once; the response head reuses the string.
  std::string& head_bytes = scratch.head_bytes;
  head_bytes.clear();
  head_bytes += req.method;
  head_bytes += ' ';
  head_bytes += fwd.target;
  head_bytes += " HTTP/1.1\r\n";
  for (const auto& [name, value] : fwd.headers) {
    if (IsHopByHop(name)) continue;
    if (upgrade && relay_beast::iequals(name, "Connection")) continue;
    AppendField(&head_bytes, name, value);
  }
  if (upgrade) {
    AppendField(&head_bytes, "Connection", "upgrade");
    AppendField(&head_bytes, "Upgrade", upgrade_value);
  }
  bool up_chunked = frame.framing == BodyFraming::kChunked;
  if (up_chunked) {
    AppendField(&head_bytes, "Transfer-Encoding", "chunked");
  } else if (frame.framing == BodyFraming::kLength) {
    head_bytes += "Content-Length: ";
    AppendDecimal(&head_bytes, frame.content_length);
    head_bytes += "\r\n";
  }
  head_bytes += "\r\n";

  std::unique_ptr<UpstreamConnection> conn;
  up_buf.clear();
  const HeadLimits limits;  // 16 KiB of head, 256 fields, as the client side
  HeadParse hp;
  bool request_sent = false;
  auto fail = [&](int status, std::string message) {
    out.status = status;
    out.error = "upstream " + fwd.scheme + "://" + fwd.host_port + ": " + std::move(message);
    return out;
  };
  // Reads the answer's head into `res`, the outcome into `result`. A macro
  // rather than a coroutine: no frame and no resumption of its own.
#define VIGIL_READ_ANSWER_HEAD(result)                                                    \
  do {                                                                                    \
    conn->deadline.Arm(fwd.read_timeout);                                                 \
    if (conn->tls) {                                                                      \
      VIGIL_READ_HEAD(*conn->tls, up_buf, limits, &res, ParseResponseHead, &ec, result);  \
    } else {                                                                              \
      VIGIL_READ_HEAD(conn->tcp, up_buf, limits, &res, ParseResponseHead, &ec, result);   \
    }                                                                                     \
  } while (false)

  // A pooled connection the upstream closed meanwhile fails at once: retry
  // on a fresh one while nothing of the body has been consumed.
  for (int attempt = 0;; ++attempt) {
    int status = 0;
    std::string error;
    conn = attempt == 0 ? TakePooledUpstream(fwd, has_body, client_tcp.get_executor(), scratch) : nullptr;
    if (!conn) conn = co_await ConnectUpstream(fwd, scratch, &status, &error);
    if (!conn) co_return fail(status, error);
    // Bodiless requests leave in one send on a plain connection, nearly always whole.
    size_t sent = conn->tls ? 0 : SendNow(conn->tcp, relay_asio::buffer(head_bytes), &ec);
    if (!ec && sent < head_bytes.size()) {
      conn->deadline.Arm(fwd.read_timeout);
      co_await conn->With([&](auto& s) {
        return relay_asio::async_write(s, relay_asio::buffer(head_bytes.data() + sent, head_bytes.size() - sent),
                                       redirect_error(use_awaitable, ec));
      });
    }
    if (ec && conn->reused) continue;
    if (ec) co_return fail(502, "write: " + ec.message());
    if (has_body) break;
    request_sent = true;
    up_buf.clear();
    VIGIL_READ_ANSWER_HEAD(hp);
    if (ec && conn->reused && up_buf.size() == 0 && !conn->deadline.TimedOut(ec)) continue;
    break;
  }

  if (has_body) {
    // Client → upstream, a bounded piece at a time, from the client's buffer.
    BodyReader body(frame.framing, frame.content_length);
    bool upstream_broke = false;
    uint64_t total = 0;
    char size_line[24];
    for (;;) {
      client_deadline.Arm(rc.timeout);
      BodyPiece piece = co_await body.Next(client, client_buf, &ec);
      if (piece.malformed) {
        out.status = 400;
        out.error = "malformed request body: " + std::string(piece.error);
        co_return out;
      }
      if (ec) {
        out.status = 499;
        out.client_gone = true;
        co_return out;
      }
      total += piece.data.size();
      if (total > rc.max_body_bytes) {
        out.status = 413;
        out.error = "request body exceeds the limit of " + std::to_string(rc.max_body_bytes) + " bytes";
        co_return out;
      }
      if (!upstream_broke && (!piece.data.empty() || (piece.last && up_chunked))) {
        std::array<relay_asio::const_buffer, 4> pieces;
        size_t count = 0;
        if (up_chunked && !piece.data.empty()) {
          pieces[count++] = relay_asio::buffer(size_line, ChunkSizeLine(size_line, piece.data.size()));
        }
        if (!piece.data.empty()) pieces[count++] = relay_asio::buffer(piece.data.data(), piece.data.size());
        if (up_chunked && !piece.data.empty()) pieces[count++] = relay_asio::buffer("\r\n", 2);
        if (up_chunked && piece.last) pieces[count++] = relay_asio::buffer("0\r\n\r\n", 5);
        conn->deadline.Arm(fwd.read_timeout);
        co_await conn->With([&](auto& s) {
          return relay_asio::async_write(s, std::span(pieces.data(), count), redirect_error(use_awaitable, ec));
        });
        // The upstream may have answered early and closed: stop sending,
        // finish reading the client's body, and relay what it said.
        if (ec) upstream_broke = true;
      }
      if (piece.last) break;
    }
    body.Finish(client_buf);
    request_sent = !upstream_broke;
    VIGIL_READ_ANSWER_HEAD(hp);
  }
  // 1xx answers other than the 101 we may have asked for are dropped.
  while (hp.complete() && res.status < 200 && !(upgrade && res.status == 101)) {
    up_buf.consume(hp.head_bytes);
    VIGIL_READ_ANSWER_HEAD(hp);
  }
  if (conn->deadline.TimedOut(ec)) {
    co_return fail(504, "no answer within " + Seconds(fwd.read_timeout));
  }
  if (ec) co_return fail(502, "reading the answer: " + ec.message());
  if (hp.invalid()) co_return fail(502, "reading the answer: " + std::string(hp.error));

  int code = res.status;
  if (code == 101) {
    head_bytes.assign("HTTP/1.1 101 Switching Protocols\r\n");
    for (const auto& f : res.fields) AppendField(&head_bytes, f.name, f.value);
    head_bytes += "\r\n";
    up_buf.consume(hp.head_bytes);
    client_deadline.Arm(rc.timeout);
    co_await relay_asio::async_write(client, relay_asio::buffer(head_bytes), redirect_error(use_awaitable, ec));
    out.status = 101;
    out.answered = true;
    if (ec) {
      out.client_gone = true;
      co_return out;
    }
    co_await conn->With([&](auto& s) {
      return Tunnel(client, client_tcp, client_deadline, client_buf, s, *conn, up_buf, fwd.read_timeout);
    });
    up_buf.clear();
    co_return out;
  }

  // Upstream → client: its fields minus hop-by-hop ones, our framing.
  head_bytes.clear();
  AppendStatusLine(&head_bytes, rc.version, code);
  for (const auto& f : res.fields) {
    if (IsHopByHop(f.name) || AsciiIEquals(f.name, "Server")) {
      continue;
    }
    AppendField(&head_bytes, f.name, f.value);
  }
  head_bytes += "Server: vigil\r\n";
  enum class Framing { kNone, kLength, kChunked, kUntilClose } framing;
  BodyFraming up_framing = res.framing;
  if (rc.head || code == 204 || code == 304) {
    framing = Framing::kNone;
    up_framing = BodyFraming::kNone;
    std::string_view length = res.Find("Content-Length");
    if (rc.head && !length.empty()) AppendField(&head_bytes, "Content-Length", length);
  } else if (res.framing == BodyFraming::kLength) {
    framing = Framing::kLength;
    head_bytes += "Content-Length: ";
    AppendDecimal(&head_bytes, res.content_length);
    head_bytes += "\r\n";
  } else if (rc.version >= 11) {
    framing = Framing::kChunked;
    head_bytes += "Transfer-Encoding: chunked\r\n";
  } else {
    framing = Framing::kUntilClose;
  }
  bool keep_alive = rc.keep_alive && framing != Framing::kUntilClose;
  AppendConnection(&head_bytes, rc.version, keep_alive);
  head_bytes += "\r\n";
  bool upstream_reusable = res.keep_alive;
  up_buf.consume(hp.head_bytes);  // the fields' views die here

  BodyReader answer(up_framing, res.content_length);
  // (A plain lambda returning the awaitable, not a coroutine: no frame of its own.)
  auto read_piece = [&] {
    conn->deadline.Arm(fwd.read_timeout);
    return conn->With([&](auto& s) { return answer.Next(s, up_buf, &ec); });
  };
  // The head and the first piece leave in one write, so that a small answer
  // is one segment on the wire.
  BodyPiece piece;
  if (answer.TryNext(up_buf, &piece)) {
    ec = {};  // usually: a small body came with the head
  } else {
    piece = co_await read_piece();
  }
  if (piece.malformed) co_return fail(502, "reading the answer: " + std::string(piece.error));
  if (conn->deadline.TimedOut(ec)) co_return fail(504, "no answer within " + Seconds(fwd.read_timeout));
  if (ec) co_return fail(502, "reading the answer: " + ec.message());
  char size_line[24];
  for (bool first = true;; first = false) {
    std::array<relay_asio::const_buffer, 5> out_buffers;
    size_t count = 0;
    size_t n = piece.data.size();
    bool chunked = framing == Framing::kChunked;
    if (first) out_buffers[count++] = relay_asio::buffer(head_bytes);
    if (n > 0 && chunked) {
      out_buffers[count++] = relay_asio::buffer(size_line, ChunkSizeLine(size_line, n));
    }
    if (n > 0) out_buffers[count++] = relay_asio::buffer(piece.data.data(), n);
    if (n > 0 && chunked) out_buffers[count++] = relay_asio::buffer("\r\n", 2);
    if (piece.last && chunked) out_buffers[count++] = relay_asio::buffer("0\r\n\r\n", 5);
    boost::system::error_code wec;
    std::span<const relay_asio::const_buffer> pieces(out_buffers.data(), count);
    size_t sent = 0;
    if constexpr (std::is_same_v<ClientStream, relay_tcp::socket>) {
      if (count > 0) sent = SendNow(client_tcp, pieces, &wec);
    }
    if (!wec && sent < relay_asio::buffer_size(pieces)) {
      relay_beast::buffers_suffix<std::span<const relay_asio::const_buffer>> rest(pieces);
      rest.consume(sent);
      client_deadline.Arm(rc.timeout);
      co_await relay_asio::async_write(client, rest, redirect_error(use_awaitable, wec));
    }
    out.status = code;
    out.answered = true;
    out.bytes += n;
    if (wec) {
      out.client_gone = true;
      up_buf.clear();
      co_return out;
    }
    if (piece.last) break;
    if (answer.TryNext(up_buf, &piece)) {
      ec = {};
    } else {
      piece = co_await read_piece();
    }
    if (ec || piece.malformed) {
      up_buf.clear();
      co_return out;  // the upstream broke off mid-body: the client sees a short body and a close
    }
  }
  answer.Finish(up_buf);
  out.client_reusable = keep_alive;
  if (fwd.pool && !conn->tls && request_sent && upstream_reusable && up_buf.size() == 0) {
    IdleUpstreams::Of(conn->tcp.get_executor()).Put(*fwd.pool, fwd.host_port, std::move(conn->tcp));
  }
  up_buf.clear();
  RecycleConnectionObject(std::move(conn), scratch);
  co_return out;
}

#undef VIGIL_READ_ANSWER_HEAD

}  // namespace vigil::net::detail
