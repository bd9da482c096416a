#include "net/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "net/compression.h"
#include "net/url.h"

namespace vigil::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr int kMaxRedirects = 10;
constexpr uint32_t kMaxResponseHeaderBytes = 64 << 10;
constexpr std::string_view kDefaultAcceptEncoding = "gzip, deflate, zstd";

// ---- small helpers ----

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

bool IsTokenChar(unsigned char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); });
}

bool IsHeaderValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint32_t{static_cast<unsigned char>(in[i])} << 16 |
                 uint32_t{static_cast<unsigned char>(in[i + 1])} << 8 | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (i + 1 < in.size()) v |= uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// ---- connections and their pool ----

// One open connection, plain or TLS. `buffer` holds bytes read past the end
// of the previous response and travels with the connection.
struct Connection {
  std::unique_ptr<tcp::socket> plain;
  std::unique_ptr<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  // Whether an idle connection still looks usable: the peer has not closed
  // it. A plain connection with unsolicited bytes waiting is unusable too;
  // for TLS such bytes may be a late session ticket, which is harmless.
  bool LooksAlive() {
    char byte;
    ssize_t n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    return n > 0 && tls != nullptr;
  }
};

// Idle keep-alive connections keyed by "scheme://host:port". Thread-safe.
class ConnectionPool {
 public:
  ConnectionPool(size_t max_idle_per_key, Clock::duration idle_timeout)
      : max_idle_per_key_(max_idle_per_key), idle_timeout_(idle_timeout) {}

  // Returns the most recently used live connection for `key`, or null.
  // Expired or dead connections met on the way are closed.
  std::unique_ptr<Connection> Take(const std::string& key) {
    std::vector<std::unique_ptr<Connection>> dead;
    std::unique_ptr<Connection> found;
    {
      std::lock_guard<std::mutex> lock(mu_);
      EvictExpiredLocked(Clock::now(), &dead);
      auto it = idle_.find(key);
      while (it != idle_.end() && !it->second.empty() && !found) {
        std::unique_ptr<Connection> c = std::move(it->second.back());
        it->second.pop_back();
        if (c->LooksAlive()) {
          found = std::move(c);
        } else {
          dead.push_back(std::move(c));
        }
      }
    }
    return found;  // `dead` closes its sockets outside the lock
  }

  // Keeps `conn` for reuse unless the pool for `key` is full or closed.
  // REQUIRES: no operation is pending on `conn`.
  void Put(const std::string& key, std::unique_ptr<Connection> conn) {
    std::vector<std::unique_ptr<Connection>> dead;
    std::lock_guard<std::mutex> lock(mu_);
    Clock::time_point now = Clock::now();
    EvictExpiredLocked(now, &dead);
    auto& list = idle_[key];
    if (closed_ || list.size() >= max_idle_per_key_) return;
    conn->idle_since = now;
    list.push_back(std::move(conn));
  }

  // Closes every idle connection; later Put calls close theirs at once.
  void Close() {
    std::map<std::string, std::vector<std::unique_ptr<Connection>>> dead;
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    dead.swap(idle_);
  }

 private:
  void EvictExpiredLocked(Clock::time_point now, std::vector<std::unique_ptr<Connection>>* dead) {
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& list = it->second;
      auto expired = [&](const std::unique_ptr<Connection>& c) { return now - c->idle_since >= idle_timeout_; };
      for (auto& c : list) {
        if (expired(c)) dead->push_back(std::move(c));
      }
      std::erase_if(list, [](const std::unique_ptr<Connection>& c) { return c == nullptr; });
      it = list.empty() ? idle_.erase(it) : std::next(it);
    }
  }

  const size_t max_idle_per_key_;
  const Clock::duration idle_timeout_;
  std::mutex mu_;
  bool closed_ = false;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

// ---- deadline enforcement ----

// Enforces the deadline of one Fetch: when its timer fires it cancels the
// resolver and closes the socket that the request is currently waiting on,
// so the pending operation completes with an error that the request then
// reports as a timeout. Lives on the request's strand; shared with the timer
// handler so a late handler never touches freed memory.
struct Watchdog {
  explicit Watchdog(const asio::any_io_executor& ex) : timer(ex) {}

  // (Re)arms the timer; `label` is reported if it fires ("timeout after 10s").
  static void Arm(const std::shared_ptr<Watchdog>& self, Clock::time_point deadline, std::string label) {
    uint64_t generation = ++self->generation;
    self->label = std::move(label);
    self->timer.expires_at(deadline);
    self->timer.async_wait([self, generation](error_code ec) {
      if (ec || generation != self->generation) return;
      self->fired = true;
      if (self->resolver != nullptr) self->resolver->cancel();
      if (self->socket != nullptr) {
        error_code ignored;
        self->socket->close(ignored);
      }
    });
  }

  void Disarm() {
    ++generation;
    timer.cancel();
    resolver = nullptr;
    socket = nullptr;
  }

  Status TimeoutStatus() const { return Status::Unavailable(label + " while " + phase); }

  asio::steady_timer timer;
  uint64_t generation = 0;
  bool fired = false;
  std::string label;  // what to report when fired
  std::string phase;  // what the request was doing: "connecting to 10.0.0.1:80"
  tcp::resolver* resolver = nullptr;
  tcp::socket* socket = nullptr;
};

// The request as sent on one hop; redirects rewrite it.
struct Hop {
  Url url;
  std::string method;
  Headers headers;
  std::string body;
};

struct ExchangeResult {
  Status status;  // when ok, `response` is complete
  ClientResponse response;
  bool got_response_bytes = false;  // a failed exchange that got none may be retried
  bool reusable = false;            // the connection may go back to the pool
};

}  // namespace

struct HttpClient::Impl {
  Impl(asio::io_context& io_context, ClientOptions options)
      : io(io_context), opts(std::move(options)), pool(opts.max_idle_per_host, opts.idle_timeout) {}

  void InitTls();
  asio::awaitable<void> Run(ClientRequest req, std::function<void(Result<ClientResponse>)> done);
  asio::awaitable<Result<ClientResponse>> FetchWithRedirects(ClientRequest& req);
  asio::awaitable<ExchangeResult> FetchHop(const Hop& hop, const ClientRequest& req, Clock::time_point deadline,
                                           const std::shared_ptr<Watchdog>& watch);
  asio::awaitable<Result<std::unique_ptr<Connection>>> Connect(const Url& url, Clock::time_point deadline,
                                                               const std::string& timeout_label,
                                                               const std::shared_ptr<Watchdog>& watch);
  template <class Stream>
  asio::awaitable<ExchangeResult> Exchange(Stream& stream, Connection& conn, const Hop& hop,
                                           const ClientRequest& req, const std::shared_ptr<Watchdog>& watch);

  asio::io_context& io;
  const ClientOptions opts;
  std::unique_ptr<ssl::context> tls;
  Status tls_status;  // why `tls` is unusable, if it is
  ConnectionPool pool;
};

void HttpClient::Impl::InitTls() {
  try {
    tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    tls_status = Status::Internal(std::string("cannot create TLS context: ") + e.what());
    return;
  }
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (!opts.cert_file.empty() || !opts.key_file.empty()) {
    if (opts.cert_file.empty() || opts.key_file.empty()) {
      tls_status = Status::InvalidArgument("client certificate needs both cert_file and key_file");
      return;
    }
    tls->use_certificate_chain_file(opts.cert_file, ec);
    if (ec) {
      tls_status = Status::InvalidArgument("cert_file " + opts.cert_file + ": " + ec.message());
      return;
    }
    tls->use_private_key_file(opts.key_file, ssl::context::pem, ec);
    if (ec) {
      tls_status = Status::InvalidArgument("key_file " + opts.key_file + ": " + ec.message());
      return;
    }
  }
  if (opts.insecure_skip_verify) {
    tls->set_verify_mode(ssl::verify_none, ec);
    return;
  }
  tls->set_verify_mode(ssl::verify_peer, ec);
  if (!opts.ca_file.empty()) {
    tls->load_verify_file(opts.ca_file, ec);
    if (ec) tls_status = Status::InvalidArgument("ca_file " + opts.ca_file + ": " + ec.message());
  } else {
    tls->set_default_verify_paths(ec);
    if (ec) tls_status = Status::Internal("cannot load system CA certificates: " + ec.message());
  }
}

asio::awaitable<void> HttpClient::Impl::Run(ClientRequest req, std::function<void(Result<ClientResponse>)> done) {
  std::optional<Result<ClientResponse>> result;
  try {
    result.emplace(co_await FetchWithRedirects(req));
  } catch (const std::exception& e) {
    result.emplace(Status::Internal(std::string("http client: ") + e.what()));
  }
  done(std::move(*result));
}

asio::awaitable<Result<ClientResponse>> HttpClient::Impl::FetchWithRedirects(ClientRequest& req) {
  Result<Url> url = ParseUrl(req.url);
  if (!url.ok()) co_return url.status();
  if (url->scheme != "http" && url->scheme != "https") {
    co_return Status::InvalidArgument("unsupported url scheme \"" + url->scheme + "\" in " + req.url);
  }
  if (!IsToken(req.method)) co_return Status::InvalidArgument("bad HTTP method \"" + req.method + "\"");
  for (const auto& [name, value] : req.headers) {
    if (!IsToken(name) || !IsHeaderValue(value)) {
      co_return Status::InvalidArgument("bad request header \"" + name + "\"");
    }
  }
  Hop hop{std::move(url.value()), req.method, std::move(req.headers), std::move(req.body)};
  Clock::time_point deadline = Clock::now() + req.timeout;
  auto watch = std::make_shared<Watchdog>(co_await asio::this_coro::executor);
  struct DisarmOnExit {
    Watchdog* w;
    ~DisarmOnExit() { w->Disarm(); }
  } disarm{watch.get()};

  for (int hops = 0;; ++hops) {
    ExchangeResult r = co_await FetchHop(hop, req, deadline, watch);
    if (!r.status.ok()) {
      co_return r.status;
    }
    ClientResponse& resp = r.response;
    std::string_view location = FindHeader(resp.headers, "Location");
    if (!req.follow_redirects || !IsRedirect(resp.status) || location.empty()) {
      resp.final_url = hop.url.ToString();
      std::string_view coding = FindHeader(resp.headers, "Content-Encoding");
      std::optional<Encoding> enc = ParseContentEncoding(coding);
      if (req.decode_body && !coding.empty() && enc && !resp.body.empty()) {
        std::string decoded;
        Status st = Decompress(*enc, resp.body, req.max_response_bytes, &decoded);
        if (!st.ok()) co_return Status(st.code() == Status::Code::kResourceExhausted
                                           ? Status::ResourceExhausted("response body: " + st.message())
                                           : Status::InvalidArgument("response body: " + st.message()));
        resp.body = std::move(decoded);
        std::erase_if(resp.headers, [](const auto& kv) {
          return EqualsNoCase(kv.first, "Content-Encoding") || EqualsNoCase(kv.first, "Content-Length");
        });
      }
      co_return std::move(resp);
    }
    if (hops == kMaxRedirects) {
      co_return Status::Unavailable("stopped after " + std::to_string(kMaxRedirects) + " redirects");
    }
    Result<Url> next = ResolveReference(hop.url, location);
    if (!next.ok() || (next->scheme != "http" && next->scheme != "https")) {
      co_return Status::Unavailable("bad redirect location \"" + std::string(location) + "\" from " +
                                    hop.url.ToString());
    }
    if (resp.status == 303 || ((resp.status == 301 || resp.status == 302) && hop.method != "GET" && hop.method != "HEAD")) {
      if (hop.method != "HEAD") hop.method = "GET";
      hop.body.clear();
      std::erase_if(hop.headers, [](const auto& kv) {
        return EqualsNoCase(kv.first, "Content-Type") || EqualsNoCase(kv.first, "Content-Encoding");
      });
    }
    if (next->scheme != hop.url.scheme || next->HostPort() != hop.url.HostPort()) {
      std::erase_if(hop.headers, [](const auto& kv) {
        return EqualsNoCase(kv.first, "Authorization") || EqualsNoCase(kv.first, "Cookie") ||
               EqualsNoCase(kv.first, "Proxy-Authorization") || EqualsNoCase(kv.first, "Host");
      });
    }
    hop.url = std::move(next.value());
  }
}

asio::awaitable<ExchangeResult> HttpClient::Impl::FetchHop(const Hop& hop, const ClientRequest& req,
                                                           Clock::time_point deadline,
                                                           const std::shared_ptr<Watchdog>& watch) {
  const std::string key = hop.url.scheme + "://" + hop.url.HostPort();
  const std::string timeout_label = "timeout after " + FormatDuration(req.timeout);
  // A pooled connection may have been closed by the server just as we
  // reused it; then one retry on a fresh connection is safe, because the
  // server saw no request (it sent no response byte).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = pool.Take(key);
    bool reused = conn != nullptr;
    if (!conn) {
      Result<std::unique_ptr<Connection>> fresh = co_await Connect(hop.url, deadline, timeout_label, watch);
      if (!fresh.ok()) co_return ExchangeResult{fresh.status(), {}, false, false};
      conn = std::move(fresh.value());
    }
    Watchdog::Arm(watch, deadline, timeout_label);
    watch->socket = &conn->socket();
    // (Not a ?: expression: g++ 12 mishandles co_await inside one.)
    ExchangeResult r;
    if (conn->tls) {
      r = co_await Exchange(*conn->tls, *conn, hop, req, watch);
    } else {
      r = co_await Exchange(*conn->plain, *conn, hop, req, watch);
    }
    watch->socket = nullptr;
    if (!r.status.ok() && reused && !r.got_response_bytes && !watch->fired && attempt == 0) continue;
    if (r.status.ok() && r.reusable) pool.Put(key, std::move(conn));
    co_return r;
  }
}

asio::awaitable<Result<std::unique_ptr<Connection>>> HttpClient::Impl::Connect(
    const Url& url, Clock::time_point deadline, const std::string& timeout_label,
    const std::shared_ptr<Watchdog>& watch) {
  const bool use_tls = url.scheme == "https";
  if (use_tls && !tls_status.ok()) co_return tls_status;
  const std::string host_port = url.HostPort();
  Clock::time_point connect_deadline = Clock::now() + opts.connect_timeout;
  if (connect_deadline < deadline) {
    Watchdog::Arm(watch, connect_deadline, "connect timeout after " + FormatDuration(opts.connect_timeout));
  } else {
    Watchdog::Arm(watch, deadline, timeout_label);
  }
  if (watch->fired) co_return watch->TimeoutStatus();
  // Never leave the watchdog pointing at this frame's resolver or socket.
  struct Unwatch {
    Watchdog* w;
    ~Unwatch() {
      w->resolver = nullptr;
      w->socket = nullptr;
    }
  } unwatch{watch.get()};

  error_code ec;
  tcp::resolver resolver(io);
  watch->resolver = &resolver;
  watch->phase = "resolving " + url.host;
  tcp::resolver::results_type endpoints =
      co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
  watch->resolver = nullptr;
  if (watch->fired) co_return watch->TimeoutStatus();
  if (ec) co_return Status::Unavailable("resolve " + url.host + ": " + ec.message());

  auto conn = std::make_unique<Connection>();
  if (use_tls) {
    conn->tls = std::make_unique<ssl::stream<tcp::socket>>(io, *tls);
  } else {
    conn->plain = std::make_unique<tcp::socket>(io);
  }
  watch->socket = &conn->socket();
  watch->phase = "connecting to " + host_port;
  co_await asio::async_connect(conn->socket(), endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (watch->fired) co_return watch->TimeoutStatus();
  if (ec) co_return Status::Unavailable("connect " + host_port + ": " + ec.message());
  conn->socket().set_option(tcp::no_delay(true), ec);

  if (use_tls) {
    const std::string& name = opts.server_name.empty() ? url.host : opts.server_name;
    error_code not_ip;
    asio::ip::make_address(name, not_ip);
    SSL* ssl_handle = conn->tls->native_handle();
    if (not_ip) SSL_set_tlsext_host_name(ssl_handle, name.c_str());  // SNI never carries an IP address
    if (!opts.insecure_skip_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int ok = not_ip ? X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size())
                      : X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      if (ok != 1) co_return Status::InvalidArgument("cannot verify TLS server name \"" + name + "\"");
    }
    watch->phase = "TLS handshake with " + host_port;
    co_await conn->tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (watch->fired) co_return watch->TimeoutStatus();
    if (ec) {
      std::string why = ec.message();
      long verify = SSL_get_verify_result(ssl_handle);
      if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
      co_return Status::Unavailable("TLS handshake with " + host_port + ": " + why);
    }
  }
  co_return std::move(conn);
}

template <class Stream>
asio::awaitable<ExchangeResult> HttpClient::Impl::Exchange(Stream& stream, Connection& conn, const Hop& hop,
                                                           const ClientRequest& req,
                                                           const std::shared_ptr<Watchdog>& watch) {
  const std::string host_port = hop.url.HostPort();
  ExchangeResult result;
  http::request<http::string_body> msg;
  msg.version(11);
  msg.method_string(hop.method);
  msg.target(hop.url.Target());
  msg.set(http::field::host, hop.url.HostHeader());
  msg.set(http::field::user_agent, opts.user_agent);
  if (req.decode_body) msg.set(http::field::accept_encoding, std::string(kDefaultAcceptEncoding));
  if (!hop.url.userinfo.empty()) {
    msg.set(http::field::authorization, "Basic " + Base64(UrlDecode(hop.url.userinfo, false)));
  }
  std::vector<std::string_view> replaced;
  for (const auto& header : hop.headers) {
    // Named references, not a structured binding: clang 14 cannot capture those.
    const std::string& name = header.first;
    const std::string& value = header.second;
    if (EqualsNoCase(name, "Content-Length") || EqualsNoCase(name, "Transfer-Encoding")) continue;
    // The first caller header of a name replaces any default; repeats add.
    if (std::find_if(replaced.begin(), replaced.end(), [&](std::string_view n) { return EqualsNoCase(n, name); }) ==
        replaced.end()) {
      msg.erase(name);
      replaced.push_back(name);
    }
    msg.insert(name, value);
  }
  msg.body() = hop.body;
  if (!hop.body.empty() || hop.method == "POST" || hop.method == "PUT" || hop.method == "PATCH") {
    msg.content_length(hop.body.size());
  }
  const bool request_keep_alive = msg.keep_alive();

  error_code ec;
  watch->phase = "sending request to " + host_port;
  co_await http::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
  if (watch->fired) {
    result.status = watch->TimeoutStatus();
    co_return result;
  }
  if (ec) {
    result.status = Status::Unavailable("write to " + host_port + ": " + ec.message());
    co_return result;
  }

  watch->phase = "reading response from " + host_port;
  std::optional<http::response_parser<http::string_body>> parser;
  while (true) {
    parser.emplace();
    parser->body_limit(req.max_response_bytes);
    parser->header_limit(kMaxResponseHeaderBytes);
    if (hop.method == "HEAD") parser->skip(true);
    // Head first: Beast 1.74's eager body parsing (which async_read turns
    // on) skips the body_limit check against Content-Length.
    co_await http::async_read_header(stream, conn.buffer, *parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && parser->content_length() && *parser->content_length() > req.max_response_bytes) {
      ec = http::error::body_limit;
    }
    if (!ec && !parser->is_done()) {
      co_await http::async_read(stream, conn.buffer, *parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    result.got_response_bytes = result.got_response_bytes || parser->got_some();
    if (ec == ssl::error::stream_truncated && parser->is_header_done() && parser->need_eof()) {
      // The server closed without a TLS close_notify after a body delimited
      // by connection close; the body is complete.
      parser->put_eof(ec);
    }
    if (watch->fired) {
      result.status = watch->TimeoutStatus();
      co_return result;
    }
    if (ec == http::error::body_limit) {
      result.status = Status::ResourceExhausted("response body from " + host_port + " exceeds " +
                                                std::to_string(req.max_response_bytes) + " bytes");
      co_return result;
    }
    if (ec == http::error::end_of_stream) {
      result.status = Status::Unavailable("read from " + host_port + ": connection closed before a response");
      co_return result;
    }
    if (ec) {
      result.status = Status::Unavailable("read from " + host_port + ": " + ec.message());
      co_return result;
    }
    unsigned status = parser->get().result_int();
    if (status >= 200 || status == 101) break;
    // An interim 1xx response: the real one follows.
  }

  auto& res = parser->get();
  result.response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    result.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  result.response.body = std::move(res.body());
  result.reusable = request_keep_alive && parser->keep_alive() && result.response.status != 101 &&
                    conn.buffer.size() == 0;
  if (conn.buffer.capacity() > kMaxResponseHeaderBytes) conn.buffer.shrink_to_fit();
  co_return result;
}

HttpClient::HttpClient(boost::asio::io_context& io, ClientOptions opts)
    : impl_(std::make_shared<Impl>(io, std::move(opts))) {
  impl_->InitTls();
}

HttpClient::~HttpClient() { impl_->pool.Close(); }

void HttpClient::Fetch(ClientRequest req, std::function<void(Result<ClientResponse>)> done) {
  auto strand = asio::make_strand(impl_->io);
  std::shared_ptr<Impl> impl = impl_;
  // The lambda keeps `impl` (TLS context, pool) alive until the coroutine ends.
  asio::co_spawn(
      strand,
      [impl, req = std::move(req), done = std::move(done)]() mutable -> asio::awaitable<void> {
        return impl->Run(std::move(req), std::move(done));
      },
      asio::detached);
}

Result<ClientResponse> HttpClient::FetchSync(ClientRequest req) {
  if (impl_->io.get_executor().running_in_this_thread()) {
    return Status::Internal("HttpClient::FetchSync called from an io_context thread");
  }
  std::promise<Result<ClientResponse>> promise;
  std::future<Result<ClientResponse>> future = promise.get_future();
  Fetch(std::move(req), [&promise](Result<ClientResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace vigil::net
