#include "portal/reverse_proxy.h"

#include <array>

#include "net/upstream_pool.h"

namespace vigil::portal {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Hop-by-hop headers (RFC 9110 7.6.1), those the proxy recomputes, and
// Expect (the server has already answered 100-continue itself). The body is
// passed as it came, so Content-Encoding stays.
constexpr std::array<std::string_view, 12> kDroppedRequestHeaders = {
    "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "Content-Length", "Expect", "X-Real-IP", "X-Forwarded-Proto"};

template <size_t N>
bool In(const std::array<std::string_view, N>& names, std::string_view name) {
  for (auto n : names) {
    if (IEquals(n, name)) return true;
  }
  return false;
}

std::string ClientIp(std::string_view remote_addr) {
  if (!remote_addr.empty() && remote_addr.front() == '[') {
    size_t close = remote_addr.find(']');
    return std::string(remote_addr.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  size_t colon = remote_addr.rfind(':');
  return std::string(remote_addr.substr(0, colon));
}

}  // namespace

ReverseProxy::ReverseProxy(ProxyOptions options)
    : options_(options), pool_(std::make_shared<net::UpstreamPool>(options.max_idle_per_upstream)) {}

ReverseProxy::~ReverseProxy() = default;

net::HttpResponse ReverseProxy::Forward(const net::HttpRequest& req, const std::string& upstream_base,
                                        std::string_view upstream_target, bool websocket) const {
  auto fwd = std::make_shared<net::UpstreamForward>();
  size_t scheme_end = upstream_base.find("://");
  fwd->scheme = scheme_end == std::string::npos ? "http" : upstream_base.substr(0, scheme_end);
  fwd->host_port = scheme_end == std::string::npos ? upstream_base : upstream_base.substr(scheme_end + 3);
  fwd->target = std::string(upstream_target);
  fwd->websocket = websocket;
  fwd->connect_timeout = options_.connect_timeout;
  fwd->read_timeout = options_.read_timeout;
  fwd->pool = pool_;
  std::string forwarded_for;
  fwd->headers.reserve(req.headers.size() + 3);
  for (const auto& [name, value] : req.headers) {
    if (In(kDroppedRequestHeaders, name)) continue;
    if (IEquals(name, "X-Forwarded-For")) {
      forwarded_for = value;
      continue;
    }
    fwd->headers.emplace_back(name, value);
  }
  std::string ip = ClientIp(req.remote_addr);
  fwd->headers.emplace_back("X-Real-IP", ip);
  fwd->headers.emplace_back("X-Forwarded-For", forwarded_for.empty() ? ip : forwarded_for + ", " + ip);
  fwd->headers.emplace_back("X-Forwarded-Proto", req.tls ? "https" : "http");
  net::HttpResponse r;
  r.status = 0;  // decided by the upstream
  r.forward = std::move(fwd);
  return r;
}

}  // namespace vigil::portal
