#pragma once
// ReverseProxy: forwards a request to an upstream HTTP(S) server the way
// Pigsty's nginx locations do (proxy_pass with Host, X-Real-IP,
// X-Forwarded-For and X-Forwarded-Proto set), over a keep-alive connection
// pool, and answers 502 when the upstream cannot be reached or answers
// garbage, 504 when it does not answer within the read timeout.
//
// Bodies are held in memory in both directions (bounded by the portal's
// max_body_size on the way in and max_response_bytes on the way out).
//
// Thread-safety: Forward may be called from any thread concurrently.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "net/router.h"

namespace boost::asio {
class io_context;
}
namespace vigil::net {
class HttpClient;
}

namespace vigil::portal {

struct ProxyOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{120000};  // whole exchange with the upstream
  size_t max_response_bytes = size_t{1} << 30;
};

class ReverseProxy {
 public:
  // `io` must outlive the proxy and be run while requests are in flight.
  ReverseProxy(boost::asio::io_context& io, ProxyOptions options = {});
  ~ReverseProxy();

  // Sends `req` to `upstream_base` ("http://127.0.0.1:3000") + `upstream_target`
  // (path and query, starting with '/'), and calls `done` exactly once with
  // the upstream's response or a 502/504 page. `tls` says whether the client
  // reached the portal over HTTPS (for X-Forwarded-Proto).
  void Forward(const net::HttpRequest& req, const std::string& upstream_base, std::string_view upstream_target,
               bool tls, net::Responder done);

 private:
  ProxyOptions options_;
  std::unique_ptr<net::HttpClient> client_;
};

}  // namespace vigil::portal
