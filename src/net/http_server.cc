#include "net/http_server.h"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cerrno>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "base/log.h"
#include "base/metrics_registry.h"
#include "net/compression.h"
#include "net/runtime.h"
#include "net/http1_io.h"
#include "net/http1_parser.h"
#include "net/pending_answer.h"
#include "net/tcp_cork.h"
#include "net/upstream_relay.h"

namespace vigil::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Header fields a request may carry; more get 431 (nginx allows about as
// many in its default large_client_header_buffers).
constexpr size_t kMaxHeaderFields = 256;

// Splits "host:port", "[v6]:port" or ":port" (all interfaces).
bool SplitListen(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = s.substr(0, colon);
  std::string p = s.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (p.empty() || p.size() > 5) return false;
  unsigned v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = static_cast<uint16_t>(v);
  return true;
}

// Starts `start(responder)` and suspends the coroutine until the responder
// is called, from whatever thread, then resumes on the coroutine's executor.
template <typename StartFn>
asio::awaitable<HttpResponse> AwaitResponse(StartFn start) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(HttpResponse)>(
      [start = std::move(start)](auto handler) mutable {
        using H = decltype(handler);
        auto shared = std::make_shared<H>(std::move(handler));
        auto done = std::make_shared<std::atomic<bool>>(false);
        start(Responder([shared, done](HttpResponse r) {
          if (done->exchange(true)) return;  // a second call is ignored
          auto ex = asio::get_associated_executor(*shared);
          asio::post(ex, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
        }));
      },
      asio::use_awaitable);
}

HttpResponse CallSafely(const Handler& h, HttpRequest& req, const Router& router) {
  try {
    return h(req);
  } catch (const std::exception& e) {
    VLOG_ERROR("handler threw", {{"path", req.path}, {"error", e.what()}});
    return router.Error(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return router.Error(500, "internal error");
  }
}

// Payloads that are already compressed gain nothing from gzip.
bool IsCompressible(std::string_view content_type) {
  for (std::string_view packed : {"protobuf", "image/", "gzip", "zip", "zstd", "snappy", "octet-stream"}) {
    if (content_type.find(packed) != std::string_view::npos) return false;
  }
  return true;
}

// The status line and `headers` (without the framing fields the server sets
// itself: Content-Length, Transfer-Encoding, Connection; and with Server: vigil).
void AppendResponseHead(std::string* out, unsigned version, int status, const Headers& headers) {
  detail::AppendStatusLine(out, version, status);
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, "Content-Length") || beast::iequals(k, "Transfer-Encoding") ||
        beast::iequals(k, "Connection") || beast::iequals(k, "Server")) {
      continue;
    }
    detail::AppendField(out, k, v);
  }
  detail::AppendField(out, "Server", "vigil");
}

// Bodies up to this size keep their buffer for the connection's next request.
constexpr size_t kKeptBodyCapacity = 64 << 10;

// Makes *req the request `head` describes (from `remote`, over TLS or not),
// reusing the capacity of the strings and vectors it held for the previous
// request of the connection.
void RefillRequest(const RequestHead& head, const std::string& remote, bool tls, HttpRequest* req) {
  req->method.assign(head.method);
  req->target.assign(head.target);
  std::string_view target = req->target;
  size_t qpos = target.find('?');
  req->path = UrlDecode(target.substr(0, qpos), false);
  if (qpos != std::string_view::npos) {
    req->query = QueryParams::Parse(target.substr(qpos + 1));
  } else {
    req->query = QueryParams();
  }
  req->headers.resize(head.fields.size());
  for (size_t i = 0; i < head.fields.size(); ++i) {
    req->headers[i].first.assign(head.fields[i].name);
    req->headers[i].second.assign(head.fields[i].value);
  }
  req->body.clear();
  if (req->body.capacity() > kKeptBodyCapacity) std::string().swap(req->body);
  req->remote_addr.assign(remote);
  req->tls = tls;
  req->path_params.clear();
}

}  // namespace

// The metric children a connection last recorded into: consecutive requests
// of one connection usually have the same route and status, and reusing the
// children skips the families' lookups (children live as long as the registry).
struct MetricsCache {
  std::string path_label;
  int status = 0;
  Counter* requests = nullptr;
  Histogram* duration = nullptr;
};

struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), deadline(socket) {}
  tcp::socket socket;
  detail::SocketDeadline deadline;  // of `socket`, armed before each operation on it
  std::atomic<bool> busy{false};    // a request is being read or handled
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Runtime& runtime;
  HttpServerOptions opts;
  const Router& router;
  std::unique_ptr<tcp::acceptor> acceptor;
  uint16_t bound_port = 0;
  std::string bound_address;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};
  size_t next_thread = 0;  // the I/O thread of the next connection (AcceptLoop only)

  std::mutex conns_mu;
  std::unordered_set<std::shared_ptr<Connection>> conns;

  Family<Counter>* requests = nullptr;
  Family<Histogram>* durations = nullptr;

  // HTTPS: one context per certificate; tls_contexts[0] is the default and
  // its SNI callback switches to the context whose names match.
  std::vector<std::unique_ptr<ssl::context>> tls_contexts;

  Impl(Runtime& rt, HttpServerOptions o, const Router& r) : runtime(rt), opts(std::move(o)), router(r) {}

  Status LoadTls();
  static int OnServerName(SSL* ssl, int* alert, void* arg);
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(std::shared_ptr<Connection> conn);
  template <typename Stream>
  asio::awaitable<void> ServeRequests(std::shared_ptr<Connection> conn, Stream& stream, const std::string& remote,
                                      bool tls);
  // Routes `req` and runs its handler: the answer when it is ready at once
  // (sync handlers, async ones that answer before returning), else nullopt
  // with *pending set for an async handler (null for an offloaded route),
  // and DispatchLater waits for it. Split so that the common case costs no
  // coroutine frame.
  std::optional<HttpResponse> DispatchNow(HttpRequest& req, const Router::Match& m, std::string* path_label,
                                          std::shared_ptr<detail::PendingAnswer>* pending);
  asio::awaitable<HttpResponse> DispatchLater(HttpRequest& req, const Router::Match& m,
                                              std::shared_ptr<detail::PendingAnswer> pending);
  // DispatchNow, then DispatchLater when needed.
  asio::awaitable<HttpResponse> Dispatch(HttpRequest& req, const Router::Match& m, std::string* path_label);
  void Record(const std::string& path_label, int status, double seconds, MetricsCache* cache = nullptr) {
    if (cache != nullptr && requests && durations) {
      if (cache->requests == nullptr || cache->status != status || cache->path_label != path_label) {
        cache->requests = &requests->WithLabels({path_label, std::to_string(status)});
        cache->duration = &durations->WithLabels({path_label});
        cache->path_label = path_label;
        cache->status = status;
      }
      cache->requests->Inc();
      cache->duration->Observe(seconds);
      return;
    }
    if (requests) requests->WithLabels({path_label, std::to_string(status)}).Inc();
    if (durations) durations->WithLabels({path_label}).Observe(seconds);
  }
};

HttpServer::HttpServer(Runtime& runtime, HttpServerOptions options, const Router& router, MetricsRegistry* registry)
    : impl_(std::make_shared<Impl>(runtime, std::move(options), router)) {
  if (registry != nullptr) {
    impl_->requests = &registry->AddCounterFamily("vigil_http_requests_total",
                                                  "HTTP requests served, by route pattern and status code.",
                                                  {"path", "code"});
    impl_->durations = &registry->AddHistogramFamily(
        "vigil_http_request_duration_seconds", "Time to handle an HTTP request, by route pattern.", {"path"},
        MetricsRegistry::DefaultBuckets());
  }
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Status HttpServer::Impl::LoadTls() {
  for (const auto& cert : opts.tls_certificates) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate").
    SSL_CTX_set_cipher_list(native,
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    if (SSL_CTX_use_certificate_chain_file(native, cert.cert_file.c_str()) != 1) {
      return Status::InvalidArgument(cert.cert_file + ": cannot load the PEM certificate chain");
    }
    if (SSL_CTX_use_PrivateKey_file(native, cert.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(native) != 1) {
      return Status::InvalidArgument(cert.key_file + ": cannot load the PEM private key matching " + cert.cert_file);
    }
    tls_contexts.push_back(std::move(ctx));
  }
  if (!tls_contexts.empty()) {
    SSL_CTX* def = tls_contexts.front()->native_handle();
    SSL_CTX_set_tlsext_servername_callback(def, &Impl::OnServerName);
    SSL_CTX_set_tlsext_servername_arg(def, this);
  }
  return Status::Ok();
}

int HttpServer::Impl::OnServerName(SSL* ssl, int* /*alert*/, void* arg) {
  auto* impl = static_cast<Impl*>(arg);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (sni == nullptr) return SSL_TLSEXT_ERR_OK;
  std::string name(sni);
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (size_t i = 0; i < impl->opts.tls_certificates.size() && i < impl->tls_contexts.size(); ++i) {
    for (const auto& n : impl->opts.tls_certificates[i].server_names) {
      if (n == name) {
        SSL_set_SSL_CTX(ssl, impl->tls_contexts[i]->native_handle());
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_OK;  // the default certificate
}

Status HttpServer::Start() {
  // sendfile(2) cannot be told MSG_NOSIGNAL: a client that resets the
  // connection mid-file would kill the process with SIGPIPE (seen at the end
  // of a wrk run over a 1 MiB file). Ignored process-wide, as nginx does;
  // writes then fail with EPIPE and the connection is closed.
  std::signal(SIGPIPE, SIG_IGN);
  if (Status tls = impl_->LoadTls(); !tls.ok()) {
    impl_->tls_contexts.clear();
    return tls;
  }
  std::string host;
  uint16_t port = 0;
  if (!SplitListen(impl_->opts.listen, &host, &port)) {
    return Status::InvalidArgument(impl_->opts.listen + ": expected host:port");
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  tcp::endpoint ep;
  if (ec) {
    tcp::resolver resolver(impl_->runtime.io());
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return Status::IOError(impl_->opts.listen + ": cannot resolve host: " + ec.message());
    }
    ep = results.begin()->endpoint();
  } else {
    ep = tcp::endpoint(addr, port);
  }
  auto acc = std::make_unique<tcp::acceptor>(impl_->runtime.io());
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError(impl_->opts.listen + ": " + ec.message());
  }
  auto local = acc->local_endpoint();
  impl_->bound_port = local.port();
  impl_->bound_address = (local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                   : local.address().to_string()) +
                         ":" + std::to_string(local.port());
  impl_->acceptor = std::move(acc);
  auto self = impl_;
  asio::co_spawn(impl_->acceptor->get_executor(), [self]() { return self->AcceptLoop(); }, asio::detached);
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->bound_port; }
std::string HttpServer::local_address() const { return impl_->bound_address; }

void HttpServer::Stop(std::chrono::milliseconds grace) {
  auto& impl = *impl_;
  if (impl.stopping.exchange(true)) return;
  if (impl.acceptor) {
    std::promise<void> closed;
    auto fut = closed.get_future();
    asio::post(impl.acceptor->get_executor(), [&impl, &closed] {
      boost::system::error_code ec;
      impl.acceptor->close(ec);
      closed.set_value();
    });
    // The io threads may already be gone at process exit; do not wait forever.
    fut.wait_for(std::chrono::seconds(2));
  }
  auto close_matching = [&impl](bool only_idle) {
    std::lock_guard lock(impl.conns_mu);
    for (const auto& c : impl.conns) {
      if (only_idle && c->busy.load()) continue;
      asio::post(c->socket.get_executor(), [c] {
        boost::system::error_code ec;
        c->socket.shutdown(tcp::socket::shutdown_both, ec);
        c->socket.close(ec);
      });
    }
  };
  auto deadline = std::chrono::steady_clock::now() + grace;
  do {
    close_matching(true);
    if (impl.active.load() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  close_matching(false);
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
  auto self = shared_from_this();
  for (;;) {
    boost::system::error_code ec;
    // Each connection lives on one I/O thread's context, taken in turn:
    // its reads, writes, timers and handlers never change threads.
    asio::io_context& home = runtime.io(next_thread++ % runtime.io_count());
    tcp::socket socket = co_await acceptor->async_accept(home, asio::redirect_error(asio::use_awaitable, ec));
    if (stopping.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      VLOG_WARN("accept failed", {{"component", opts.name}, {"error", ec.message()}});
      continue;
    }
    if (active.load() >= opts.max_connections) {
      socket.close(ec);  // over the limit: refuse cheaply
      continue;
    }
    // Responses written in pieces (streams, files, proxied bodies) must not
    // wait on Nagle's algorithm for the peer's delayed ACK (nginx's tcp_nodelay).
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(conns_mu);
      conns.insert(conn);
    }
    active.fetch_add(1);
    asio::co_spawn(conn->socket.get_executor(), [self, conn]() { return self->Session(conn); }, asio::detached);
  }
}

std::optional<HttpResponse> HttpServer::Impl::DispatchNow(HttpRequest& req, const Router::Match& m,
                                                          std::string* path_label,
                                                          std::shared_ptr<detail::PendingAnswer>* pending) {
  if (m.route == nullptr) {
    *path_label = "other";
    if (m.status == 405 && req.method == "OPTIONS") {
      HttpResponse r;
      r.status = 204;
      r.SetHeader("Allow", m.allow);
      return r;
    }
    HttpResponse r = router.Error(m.status, m.status == 404 ? "404 page not found" : "405 method not allowed");
    if (m.status == 405) r.SetHeader("Allow", m.allow);
    return r;
  }
  *path_label = m.route->pattern;
  const Route& route = *m.route;
  if (route.async_handler) {
    // Most async handlers (the portal's) answer before they return: that
    // answer is taken at once, without suspending the coroutine and posting
    // its resumption. A later answer, from any thread, resumes it as usual.
    // One object per thread is reused while no responder of an earlier
    // request refers to it (the common case: the answer came at once).
    thread_local std::shared_ptr<detail::PendingAnswer> spare;
    std::shared_ptr<detail::PendingAnswer> answer;
    if (spare && spare.use_count() == 1) {
      answer = std::move(spare);
      answer->Reset();
    } else {
      answer = std::make_shared<detail::PendingAnswer>();
    }
    try {
      route.async_handler(req, Responder([answer](HttpResponse r) { answer->Answer(std::move(r)); }));
    } catch (const std::exception& e) {
      // The handler may or may not have called done; a second call is ignored.
      VLOG_ERROR("async handler threw", {{"path", req.path}, {"error", e.what()}});
    }
    if (std::optional<HttpResponse> now = answer->TakeIfAnswered()) {
      spare = std::move(answer);
      return now;
    }
    *pending = std::move(answer);
    return std::nullopt;
  }
  if (route.options.offload) return std::nullopt;
  return CallSafely(route.handler, req, router);
}

asio::awaitable<HttpResponse> HttpServer::Impl::DispatchLater(HttpRequest& req, const Router::Match& m,
                                                              std::shared_ptr<detail::PendingAnswer> pending) {
  if (pending) {
    co_return co_await AwaitResponse([&](Responder done) { pending->OnAnswer(std::move(done)); });
  }
  const Route& route = *m.route;
  co_return co_await AwaitResponse([&](Responder done) {
    runtime.RunOnWorker([&, done = std::move(done)] { done(CallSafely(route.handler, req, router)); });
  });
}

asio::awaitable<HttpResponse> HttpServer::Impl::Dispatch(HttpRequest& req, const Router::Match& m,
                                                         std::string* path_label) {
  std::shared_ptr<detail::PendingAnswer> pending;
  if (std::optional<HttpResponse> now = DispatchNow(req, m, path_label, &pending)) co_return std::move(*now);
  co_return co_await DispatchLater(req, m, std::move(pending));
}

asio::awaitable<void> HttpServer::Impl::Session(std::shared_ptr<Connection> conn) {
  boost::system::error_code ec;
  std::string remote;
  {
    auto ep = conn->socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  if (tls_contexts.empty()) {
    co_await ServeRequests(conn, conn->socket, remote, false);
  } else {
    ssl::stream<tcp::socket&> tls(conn->socket, *tls_contexts.front());
    conn->deadline.Arm(opts.read_timeout);
    co_await tls.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      co_await ServeRequests(conn, tls, remote, true);
      conn->deadline.Arm(std::chrono::seconds(2));
      co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  conn->socket.close(ec);
  {
    std::lock_guard lock(conns_mu);
    conns.erase(conn);
  }
  active.fetch_sub(1);
}

template <typename Stream>
asio::awaitable<void> HttpServer::Impl::ServeRequests(std::shared_ptr<Connection> conn, Stream& stream,
                                                      const std::string& remote, bool tls) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  std::string head_bytes;  // response heads, serialised here; reused by every response of the connection
  MetricsCache metrics_cache;
  detail::RelayScratch relay_scratch;  // proxied answers pass through here; reused by every request

  // Sends the header of `res` and then the pieces of `body` as chunks until it
  // ends, the client goes away or the server stops. Always closes after.
  auto WriteStream = [&](Stream& out, http::response<http::string_body> res,
                         std::shared_ptr<BodyStream> body) -> asio::awaitable<bool> {
    http::response<http::empty_body> header;
    header.version(res.version());
    header.result(res.result());
    for (const auto& field : res) header.set(field.name_string(), field.value());
    header.keep_alive(false);
    header.chunked(true);
    http::response_serializer<http::empty_body> sr{header};
    boost::system::error_code wec;
    conn->deadline.Arm(opts.read_timeout);
    co_await http::async_write_header(out, sr, asio::redirect_error(asio::use_awaitable, wec));
    asio::steady_timer idle(co_await asio::this_coro::executor);
    while (!wec && !stopping.load()) {
      HttpResponse piece = co_await AwaitResponse([&](Responder done) {
        runtime.RunOnWorker([body, done = std::move(done)] {
          HttpResponse p;
          p.status = body->Produce(&p.body) ? 200 : 0;
          done(std::move(p));
        });
      });
      conn->deadline.Arm(opts.read_timeout);
      if (!piece.body.empty()) {
        co_await asio::async_write(out, http::make_chunk(asio::buffer(piece.body)),
                                   asio::redirect_error(asio::use_awaitable, wec));
      }
      if (wec) break;
      if (piece.status == 0) {
        co_await asio::async_write(out, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, wec));
        break;
      }
      if (piece.body.empty()) {
        idle.expires_after(body->idle_wait());
        co_await idle.async_wait(asio::redirect_error(asio::use_awaitable, wec));
        wec = {};
      }
    }
    co_return false;
  };

  // Sends the header of `res` and then `file`'s byte range: sendfile over
  // plain TCP, bounded reads over TLS. Returns false if the connection must close.
  auto WriteFile = [&](Stream& out, http::response<http::string_body> res, const FileBody& file,
                       bool keep_alive) -> asio::awaitable<bool> {
    // Over plain TCP the socket is corked while the header and the file go
    // out (nginx's tcp_nopush): full segments only, the header in the first.
    std::optional<detail::TcpCork> cork;
    if constexpr (std::is_same_v<Stream, tcp::socket>) cork.emplace(conn->socket.native_handle());
    http::response<http::empty_body> header;
    header.version(res.version());
    header.result(res.result());
    for (const auto& field : res) header.set(field.name_string(), field.value());
    header.content_length(file.length);
    header.keep_alive(keep_alive);
    http::response_serializer<http::empty_body> sr{header};
    boost::system::error_code wec;
    conn->deadline.Arm(opts.read_timeout);
    co_await http::async_write_header(out, sr, asio::redirect_error(asio::use_awaitable, wec));
    if (wec) co_return false;
    off_t offset = static_cast<off_t>(file.offset);
    uint64_t left = file.length;
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      auto& socket = conn->socket;
      socket.native_non_blocking(true, wec);
      while (left > 0 && !wec) {
        ssize_t n = ::sendfile(socket.native_handle(), file.fd, &offset, std::min<uint64_t>(left, 4 << 20));
        if (n > 0) {
          left -= static_cast<uint64_t>(n);
          continue;
        }
        if (n == 0) co_return false;  // the file shrank under us
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
        // A stalled reader is cut off after read_timeout, as with other writes.
        conn->deadline.Arm(opts.read_timeout);
        co_await socket.async_wait(tcp::socket::wait_write, asio::redirect_error(asio::use_awaitable, wec));
      }
    } else {
      std::vector<char> chunk(std::min<uint64_t>(left, 256 << 10));
      while (left > 0 && !wec) {
        ssize_t n = ::pread(file.fd, chunk.data(), std::min<uint64_t>(left, chunk.size()), offset);
        if (n <= 0) co_return false;
        conn->deadline.Arm(opts.read_timeout);
        co_await asio::async_write(out, asio::buffer(chunk.data(), static_cast<size_t>(n)),
                                   asio::redirect_error(asio::use_awaitable, wec));
        offset += n;
        left -= static_cast<uint64_t>(n);
      }
    }
    co_return !wec && keep_alive;
  };

  // Writes a response built from `r`; returns false if the connection must close.
  auto write = [&](HttpResponse r, unsigned version, bool keep_alive, bool head,
                   std::string_view accept_encoding) -> asio::awaitable<bool> {
    bool has_encoding = false;
    std::string_view content_type;
    for (const auto& [k, v] : r.headers) {
      if (beast::iequals(k, "Content-Encoding")) has_encoding = true;
      if (beast::iequals(k, "Content-Type")) content_type = v;
    }
    if (!head && !has_encoding && r.status != 206 && r.body.size() >= opts.gzip_min_bytes && IsCompressible(content_type) &&
        ChooseResponseEncoding(accept_encoding) == Encoding::kGzip) {
      std::string gz;
      if (Compress(Encoding::kGzip, r.body, &gz).ok()) {
        r.body = std::move(gz);
        r.headers.emplace_back("Content-Encoding", "gzip");
        r.headers.emplace_back("Vary", "Accept-Encoding");
        // Other bytes than the entity's: a strong validator becomes weak (RFC 9110 8.8.3, as nginx's gzip).
        for (auto& [k, v] : r.headers) {
          if (beast::iequals(k, "ETag") && v.starts_with('"')) v.insert(0, "W/");
        }
      }
    }
    if ((r.stream || r.file) && !head) {
      http::response<http::string_body> res;
      res.version(version);
      res.result(static_cast<unsigned>(r.status));
      for (auto& [k, v] : r.headers) res.insert(k, v);
      res.set(http::field::server, "vigil");
      if (r.stream) co_return co_await WriteStream(stream, std::move(res), std::move(r.stream));
      co_return co_await WriteFile(stream, std::move(res), *r.file, keep_alive);
    }
    // The head is serialised into a buffer the connection reuses, and leaves
    // with the body in one write.
    bool no_body = head || r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
    // A HEAD answer may carry the Content-Length its GET would have.
    std::string_view head_length = head ? FindHeader(r.headers, "Content-Length") : std::string_view();
    head_bytes.clear();
    AppendResponseHead(&head_bytes, version, r.status, r.headers);
    if (head && !head_length.empty()) {
      detail::AppendField(&head_bytes, "Content-Length", head_length);
    } else if (!no_body || head) {
      char digits[24];
      int n = std::snprintf(digits, sizeof(digits), "%zu", r.body.size());
      detail::AppendField(&head_bytes, "Content-Length", std::string_view(digits, static_cast<size_t>(n)));
    }
    detail::AppendConnection(&head_bytes, version, keep_alive);
    head_bytes += "\r\n";
    std::array<asio::const_buffer, 2> out{asio::buffer(head_bytes),
                                          no_body ? asio::const_buffer() : asio::buffer(r.body)};
    boost::system::error_code wec;
    size_t sent = 0;
    if constexpr (std::is_same_v<Stream, tcp::socket>) sent = detail::SendNow(conn->socket, out, &wec);
    if (!wec && sent < asio::buffer_size(out)) {
      beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(out);
      rest.consume(sent);
      conn->deadline.Arm(opts.read_timeout);
      co_await asio::async_write(stream, rest, asio::redirect_error(asio::use_awaitable, wec));
    }
    co_return !wec && keep_alive;
  };

  // The head's fields are parsed into this vector, and copied into `req`,
  // whose strings and vectors keep their capacity: both are reused by every
  // request of the connection.
  RequestHead parsed;
  HttpRequest req;
  const HeadLimits limits{.max_head_bytes = opts.max_header_bytes, .max_fields = kMaxHeaderFields};
  for (;;) {
    conn->busy.store(false);
    if (stopping.load()) break;
    // The head first: streaming routes see it before any of the body.
    conn->deadline.Arm(opts.idle_timeout);
    HeadParse hp;
    VIGIL_READ_HEAD(stream, buffer, limits, &parsed, ParseRequestHead, &ec, hp);
    if (hp.invalid()) {
      if (hp.status == 431) {
        co_await write(router.Error(431, "request header fields too large"), 11, false, false, {});
      } else {
        co_await write(router.Error(hp.status, "malformed request: " + std::string(hp.error)), 11, false, false, {});
      }
      break;
    }
    if (!hp.complete()) break;  // closed, reset or timed out between requests
    conn->busy.store(true);
    auto start = std::chrono::steady_clock::now();
    const detail::RequestFrame frame{parsed.version, parsed.keep_alive, parsed.framing, parsed.content_length};
    unsigned version = frame.version;
    bool keep_alive = frame.keep_alive;
    std::string path_label = "other";

    RefillRequest(parsed, remote, tls, &req);
    // The head's views die here: its bytes leave the buffer.
    buffer.consume(hp.head_bytes);
    std::string_view accept_encoding = req.Header("Accept-Encoding");
    if (frame.framing == BodyFraming::kLength && frame.content_length > opts.max_body_bytes) {
      Record("other", 413, 0);
      co_await write(router.Error(413, "request body exceeds the limit of " + std::to_string(opts.max_body_bytes) +
                                           " bytes"),
                     version, false, false, {});
      break;
    }
    Router::Match match = router.Find(req);

    if (version >= 11 && AsciiIEquals(req.Header("Expect"), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }

    if (match.route != nullptr && match.route->options.stream_body) {
      std::shared_ptr<detail::PendingAnswer> pending;
      std::optional<HttpResponse> now = DispatchNow(req, match, &path_label, &pending);
      HttpResponse resp;
      if (now) {
        resp = std::move(*now);
      } else {
        resp = co_await DispatchLater(req, match, std::move(pending));
      }
      if (resp.forward) {
        detail::RelayClient client{opts.max_body_bytes, opts.read_timeout, version,
                                   keep_alive && !stopping.load(), req.method == "HEAD"};
        detail::RelayResult rr = co_await detail::RelayExchange(stream, conn->socket, conn->deadline, buffer, req,
                                                                frame, *resp.forward, client, relay_scratch);
        if (!rr.answered && !rr.client_gone) {
          co_await write(router.Error(rr.status, rr.error), version, false, false, {});
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        Record(path_label, rr.status, secs, &metrics_cache);
        if (resp.forward->observer) resp.forward->observer->OnForwardComplete(rr.status, rr.bytes);
        if (!rr.client_reusable || rr.client_gone || !rr.answered) break;
        continue;
      }
      // Answered without the body: the connection cannot be reused if one follows.
      bool body_unread = frame.framing != BodyFraming::kNone;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      Record(path_label, resp.status, secs, &metrics_cache);
      bool again = co_await write(std::move(resp), version, keep_alive && !body_unread && !stopping.load(),
                                  req.method == "HEAD", accept_encoding);
      if (!again) break;
      continue;
    }

    if (frame.framing == BodyFraming::kLength) {
      // (A Content-Length over max_body_bytes was answered 413 above.)
      ec = co_await detail::ReadContentLengthBody(stream, conn->deadline, buffer, frame.content_length,
                                                  opts.read_timeout, &req.body);
      if (ec) break;  // the peer left mid-body or the deadline passed: nobody to answer
    } else {
      // A chunked body, whole, bounded by max_body_bytes.
      detail::BodyReader body_reader(frame.framing, frame.content_length);
      conn->deadline.Arm(opts.read_timeout);
      bool too_large = false;
      std::string_view malformed;
      for (;;) {
        detail::BodyPiece piece = co_await body_reader.Next(stream, buffer, &ec);
        if (ec) break;
        if (piece.malformed) {
          malformed = piece.error;
          break;
        }
        if (req.body.size() + piece.data.size() > opts.max_body_bytes) {
          too_large = true;
          break;
        }
        req.body.append(piece.data);
        if (piece.last) break;
      }
      body_reader.Finish(buffer);
      if (too_large) {
        Record(path_label, 413, 0);
        co_await write(router.Error(413, "request body exceeds the limit of " + std::to_string(opts.max_body_bytes) +
                                             " bytes"),
                       version, false, false, accept_encoding);
        break;
      }
      if (!malformed.empty()) {
        co_await write(router.Error(400, "malformed request: " + std::string(malformed)), version, false, false, {});
        break;
      }
      if (ec) break;  // the client went away or stalled mid-body
    }

    HttpResponse resp;
    bool have_resp = false;
    std::string_view ce = req.Header("Content-Encoding");
    if (!ce.empty() && !req.body.empty()) {
      auto enc = ParseContentEncoding(ce);
      if (!enc) {
        resp = router.Error(415, "unsupported Content-Encoding: " + std::string(ce));
        have_resp = true;
      } else if (*enc != Encoding::kIdentity) {
        std::string decoded;
        Status st = Decompress(*enc, req.body, opts.max_body_bytes, &decoded);
        if (!st.ok()) {
          int code = st.code() == Status::Code::kResourceExhausted ? 413 : 400;
          resp = router.Error(code, "cannot decode " + std::string(ce) + " request body: " + st.message());
          have_resp = true;
        } else {
          req.body = std::move(decoded);
        }
      }
    }
    std::string_view ct = req.Header("Content-Type");
    if (!have_resp && req.method == "POST" && ct.starts_with("application/x-www-form-urlencoded")) {
      req.query.Append(req.body);
    }
    if (!have_resp) resp = co_await Dispatch(req, match, &path_label);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Record(path_label, resp.status, secs, &metrics_cache);
    bool again = co_await write(std::move(resp), version, keep_alive && !stopping.load(), req.method == "HEAD",
                                accept_encoding);
    if (!again) break;
  }
}

}  // namespace vigil::net
