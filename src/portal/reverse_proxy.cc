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

// The address part of "ip:port" or "[v6]:port".
std::string_view ClientIp(std::string_view remote_addr) {
  if (!remote_addr.empty() && remote_addr.front() == '[') {
    size_t close = remote_addr.find(']');
    return remote_addr.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
  }
  return remote_addr.substr(0, remote_addr.rfind(':'));
}

}  // namespace

ReverseProxy::ReverseProxy(ProxyOptions options)
    : options_(options), pool_(std::make_shared<net::UpstreamPool>(options.max_idle_per_upstream)) {}

ReverseProxy::~ReverseProxy() = default;

void ReverseProxy::Fill(const net::HttpRequest& req, std::string_view upstream_base, std::string_view upstream_target,
                        bool websocket, net::UpstreamForward* out) const {
  size_t scheme_end = upstream_base.find("://");
  out->scheme.assign(scheme_end == std::string_view::npos ? "http" : upstream_base.substr(0, scheme_end));
  out->host_port.assign(scheme_end == std::string_view::npos ? upstream_base : upstream_base.substr(scheme_end + 3));
  out->target.assign(upstream_target);
  out->websocket = websocket;
  out->connect_timeout = options_.connect_timeout;
  out->read_timeout = options_.read_timeout;
  if (out->pool != pool_) out->pool = pool_;  // (a reused *out has it: no shared count to touch)
  // Fields are assigned in place, so that a reused *out keeps their capacity.
  size_t used = 0;
  auto add = [out, &used](std::string_view name) -> std::string& {
    if (used == out->headers.size()) out->headers.emplace_back();
    auto& field = out->headers[used++];
    field.first.assign(name);
    field.second.clear();
    return field.second;
  };
  std::string_view forwarded_for;
  for (const auto& [name, value] : req.headers) {
    if (In(kDroppedRequestHeaders, name)) continue;
    if (IEquals(name, "X-Forwarded-For")) {
      forwarded_for = value;
      continue;
    }
    add(name).assign(value);
  }
  std::string_view ip = ClientIp(req.remote_addr);
  add("X-Real-IP").assign(ip);
  std::string& xff = add("X-Forwarded-For");
  if (!forwarded_for.empty()) xff.assign(forwarded_for).append(", ");
  xff.append(ip);
  add("X-Forwarded-Proto").assign(req.tls ? "https" : "http");
  out->headers.resize(used);
}

}  // namespace vigil::portal
