#pragma once
// ReverseProxy: turns a request into the forwarding instruction the HTTP
// server executes (net::UpstreamForward) the way Pigsty's nginx locations
// proxy: Host kept, X-Real-IP, X-Forwarded-For (appended) and
// X-Forwarded-Proto set, hop-by-hop headers dropped, websocket Upgrade
// passed through when the vhost allows it. The server streams both bodies
// through bounded buffers over a keep-alive pool shared by every request of
// this proxy, and answers 502 when the upstream cannot be reached or answers
// garbage, 504 when it does not connect or answer in time.
//
// Thread-safety: Fill may be called from any thread concurrently.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace vigil::net {
class UpstreamPool;
}

namespace vigil::portal {

struct ProxyOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds read_timeout{120000};  // longest wait for one read from the upstream
  size_t max_idle_per_upstream = 64;
};

class ReverseProxy {
 public:
  explicit ReverseProxy(ProxyOptions options = {});
  ~ReverseProxy();

  // Makes *out the instruction that forwards `req` to `upstream_base`
  // ("http://127.0.0.1:3000") + `upstream_target` (path and query, starting
  // with '/'); `websocket`: let an Upgrade through. Every field of *out but
  // `observer` is overwritten. The caller answers with an HttpResponse whose
  // `forward` points at *out. REQUIRES: the route was registered with
  // stream_body (else the server ignores the forward).
  void Fill(const net::HttpRequest& req, std::string_view upstream_base, std::string_view upstream_target,
            bool websocket, net::UpstreamForward* out) const;

 private:
  ProxyOptions options_;
  std::shared_ptr<net::UpstreamPool> pool_;
};

}  // namespace vigil::portal
