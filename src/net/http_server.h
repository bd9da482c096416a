#pragma once
// HttpServer: an HTTP/1.1 server on the shared Runtime. One coroutine per
// connection, keep-alive, bounded header and body sizes, idle and read
// timeouts, a cap on concurrent connections, request bodies decoded per
// Content-Encoding (gzip, deflate, snappy, zstd), and gzip responses for
// clients that accept them. Every request is counted in the owning
// component's registry as vigil_http_requests_total{path,code} and
// vigil_http_request_duration_seconds{path}, where path is the route pattern
// (bounded cardinality), or "other" for unmatched paths.
//
// Thread-safety: Start/Stop from one controlling thread; handlers run on I/O
// threads (or worker threads for offloaded routes) concurrently.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/router.h"

namespace vigil {
class MetricsRegistry;
}

namespace vigil::net {

class Runtime;

// A certificate an HTTPS server presents.
struct TlsCertificate {
  std::string cert_file = {};             // PEM certificate chain
  std::string key_file = {};              // PEM private key
  std::vector<std::string> server_names = {};  // lowercase SNI names it serves
};

struct HttpServerOptions {
  std::string name = "http";                  // component name for logs and errors
  std::string listen = "127.0.0.1:0";         // host:port; port 0 picks a free port
  size_t max_header_bytes = 16 << 10;         // larger request heads get 431
  size_t max_body_bytes = 32 << 20;           // larger bodies (wire or decoded) get 413
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
  std::chrono::milliseconds read_timeout{30'000};  // to read one whole request
  size_t max_connections = 10'000;            // beyond this, new connections are closed at once
  size_t gzip_min_bytes = 1024;               // compress responses at least this large
  // Non-empty: the server speaks HTTPS only (TLS 1.2 and 1.3), presenting
  // the certificate whose server_names holds the client's SNI name, else the
  // first one. Start() fails with InvalidArgument naming an unreadable file.
  std::vector<TlsCertificate> tls_certificates = {};
};

class HttpServer {
 public:
  // `router` and `registry` must outlive the server. `registry` may be null.
  HttpServer(Runtime& runtime, HttpServerOptions options, const Router& router, MetricsRegistry* registry);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. On failure returns IOError "<addr>: <OS reason>"
  // and leaves nothing bound. Sets SIGPIPE to be ignored process-wide (a
  // peer that goes away mid-sendfile must not kill the process).
  Status Start();
  // Stops accepting, closes idle keep-alive connections and waits up to
  // `grace` for in-flight requests to finish; then closes the rest.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(8));

  // The bound port (useful with port 0). REQUIRES: Start() succeeded.
  uint16_t port() const;
  // "host:port" actually bound.
  std::string local_address() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::net
