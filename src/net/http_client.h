#pragma once
// HttpClient: an asynchronous HTTP/1.1 client for scraping, notifications
// and reverse proxying. Keep-alive connections are pooled per
// (scheme, host, port); TLS goes through OpenSSL with peer verification
// against the system CAs by default; compressed response bodies (gzip,
// deflate, zstd, snappy) are decoded; redirects are followed on request.
// Every request has a whole-request deadline and a bounded response size.
//
// This header pulls in no Boost headers; the implementation lives in
// http_client.cc.
//
// Thread-safety: every method may be called from any thread concurrently.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/http_types.h"

namespace boost::asio {
class io_context;
}

namespace vigil::net {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL; userinfo becomes Basic auth
  // Sent as given, after Host, User-Agent and Accept-Encoding defaults (a
  // caller's header of the same name replaces the default). Content-Length
  // and Transfer-Encoding are computed by the client and ignored here.
  Headers headers;
  std::string body;
  // Deadline for the whole exchange: DNS, connect, TLS, write, read, and
  // every redirect hop.
  std::chrono::milliseconds timeout{10000};
  // Bound on the body as received and, separately, after decoding.
  size_t max_response_bytes = 64 << 20;
  // Follow 301/302/303/307/308 up to 10 hops. 303 (and 301/302 for methods
  // other than GET/HEAD) become GET without a body; Authorization and Cookie
  // headers are dropped when the host changes.
  bool follow_redirects = false;
  // Decode a Content-Encoding the client understands and remove the
  // Content-Encoding and Content-Length headers from the response. When the
  // caller sets no Accept-Encoding, "gzip, deflate, zstd" is advertised.
  bool decode_body = true;
};

struct ClientResponse {
  int status = 0;
  Headers headers;  // in arrival order
  std::string body;
  std::string final_url;  // after redirects; without userinfo
};

struct ClientOptions {
  size_t max_idle_per_host = 8;  // idle keep-alive connections kept per host; 0 disables reuse
  // Idle connections older than this are closed instead of reused. Expiry is
  // checked when the pool is used, so an idle socket may outlive this until
  // the next request to any host or the client's destruction.
  std::chrono::seconds idle_timeout{90};
  // Bound on DNS + TCP connect + TLS handshake of one new connection (the
  // request's own timeout still applies if it is shorter).
  std::chrono::milliseconds connect_timeout{10000};
  std::string ca_file;                // PEM bundle to trust instead of the system CAs
  bool insecure_skip_verify = false;  // accept any server certificate
  std::string server_name;            // SNI and the name verified; default: the URL's host
  // PEM client certificate (chain) and its private key, presented when a
  // server asks (mutual TLS). Both or neither; a bad file fails every https
  // request with InvalidArgument naming it, as a bad ca_file does.
  std::string cert_file;
  std::string key_file;
  std::string user_agent = "vigil/0.1";
};

class HttpClient {
 public:
  // `io` must outlive the client and keep being run while requests are in
  // flight. A bad `ca_file` does not fail here: every https request then
  // fails with InvalidArgument naming the file.
  HttpClient(boost::asio::io_context& io, ClientOptions opts = {});
  // Closes idle connections. Requests in flight keep running to completion
  // (they hold what they need) and still call their `done`.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts the request and returns at once. `done` runs exactly once, on a
  // thread running `io` (never inline in Fetch), with the response (any
  // status code) or an error:
  //   InvalidArgument   bad URL, unsupported scheme, bad method or header,
  //                     bad ca_file, undecodable response body;
  //   Unavailable       resolve/connect/TLS/read/write failure, e.g.
  //                     "connect 127.0.0.1:9: Connection refused", a timeout
  //                     ("timeout after 10s while ..."), too many redirects;
  //   ResourceExhausted body (wire or decoded) over max_response_bytes.
  void Fetch(ClientRequest req, std::function<void(Result<ClientResponse>)> done);

  // Fetch and wait for the result.
  // REQUIRES: not called from a thread running `io` (returns Internal if so,
  // rather than deadlocking), and `io` is being run by some other thread.
  Result<ClientResponse> FetchSync(ClientRequest req);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::net
