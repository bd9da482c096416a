#include "portal/reverse_proxy.h"

#include <array>

#include "net/http_client.h"
#include "portal/static_files.h"

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

// Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy recomputes. The
// request body arrives already decoded, so its Content-Encoding goes too.
constexpr std::array<std::string_view, 12> kDroppedRequestHeaders = {
    "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "Content-Length", "Content-Encoding", "X-Real-IP", "X-Forwarded-Proto"};
constexpr std::array<std::string_view, 7> kDroppedResponseHeaders = {
    "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Content-Length"};

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

ReverseProxy::ReverseProxy(boost::asio::io_context& io, ProxyOptions options) : options_(options) {
  net::ClientOptions co;
  co.connect_timeout = options_.connect_timeout;
  co.max_idle_per_host = 64;
  // Upstreams are this node's own services, often behind self-signed certificates.
  co.insecure_skip_verify = true;
  client_ = std::make_unique<net::HttpClient>(io, co);
}

ReverseProxy::~ReverseProxy() = default;

void ReverseProxy::Forward(const net::HttpRequest& req, const std::string& upstream_base,
                           std::string_view upstream_target, bool tls, net::Responder done) {
  net::ClientRequest out;
  out.method = req.method;
  out.url = upstream_base + std::string(upstream_target);
  out.timeout = options_.read_timeout;
  out.max_response_bytes = options_.max_response_bytes;
  out.decode_body = false;
  out.body = req.body;
  std::string forwarded_for;
  for (const auto& [name, value] : req.headers) {
    if (In(kDroppedRequestHeaders, name)) continue;
    if (IEquals(name, "X-Forwarded-For")) {
      forwarded_for = value;
      continue;
    }
    out.headers.emplace_back(name, value);
  }
  std::string ip = ClientIp(req.remote_addr);
  out.headers.emplace_back("X-Real-IP", ip);
  out.headers.emplace_back("X-Forwarded-For", forwarded_for.empty() ? ip : forwarded_for + ", " + ip);
  out.headers.emplace_back("X-Forwarded-Proto", tls ? "https" : "http");
  // The client decodes nothing here, so never ask for an encoding the
  // downstream client did not offer.
  if (req.Header("Accept-Encoding").empty()) out.headers.emplace_back("Accept-Encoding", "identity");

  std::string upstream = upstream_base;
  client_->Fetch(std::move(out), [done = std::move(done), upstream](Result<net::ClientResponse> res) {
    if (!res.ok()) {
      const Status& st = res.status();
      // As Nginx: an upstream that times out (connecting or answering) is a
      // 504, one that refuses or breaks the exchange a 502.
      int code = st.message().find("timeout") != std::string::npos ? 504 : 502;
      done(ErrorPage(code, "upstream " + upstream + ": " + st.message()));
      return;
    }
    net::HttpResponse r;
    r.status = res->status;
    for (auto& [name, value] : res->headers) {
      if (In(kDroppedResponseHeaders, name)) continue;
      r.headers.emplace_back(std::move(name), std::move(value));
    }
    r.body = std::move(res->body);
    done(std::move(r));
  });
}

}  // namespace vigil::portal
