#pragma once
// PortalComponent: Nginx's role on ports 80 and 443, the INFRA node's front
// door. Every request is routed by its Host header (or SNI over HTTPS) to a
// virtual host from `infra_portal`:
//   - an entry with `endpoint` is reverse-proxied (ReverseProxy);
//   - an entry with `path` serves static files from it (StaticFiles);
//   - `home`, the default server, routes Pigsty v4's sub-paths to this
//     process's components (/vmetrics/ -> metrics, /vmalert/ -> rules,
//     /alertmgr/ -> alertmanager, /blackbox/ -> probe, /ui/, /vlogs/,
//     /vtraces/; prefix stripped; 502 when the component does not run here),
//     /ca.crt, the local repository under /<repo.name> (/pigsty), and portal.www.
// HTTPS uses the certificates of entries that name `cert`/`key` (or a
// `certbot` name with files in /etc/letsencrypt/live) by SNI, and otherwise
// a server certificate from the portal's CA in <data_dir>/pki (Pki). Every
// request is written to the vhost's JSON access log, and into the logs
// component when it runs in this process (AccessLogShipper).
//
// Thread-safety: handlers run on I/O threads concurrently; the routing state
// is swapped atomically on reload.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "net/http_types.h"
#include "service/http_component.h"

namespace vigil::portal {

class AccessLog;
class AccessLogShipper;
class ReverseProxy;
class VirtualHosts;
struct SnippetDecision;
struct VirtualHost;

class PortalComponent : public service::HttpComponent {
 public:
  PortalComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                  const config::ComponentSettings& own);
  ~PortalComponent() override;

  // The HTTPS port actually bound, 0 when HTTPS is off. For tests and logs.
  uint16_t https_port() const;

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;
  void ReloadRelated(const config::Settings& settings) override;

 private:
  struct State;
  // Builds the routing state from `settings`; fails on a bad infra_portal.
  Result<std::shared_ptr<const State>> BuildState(const config::Settings& settings) const;
  std::shared_ptr<const State> state() const;
  // Makes `st` the routing state: requests that start afterwards use it.
  void Publish(std::shared_ptr<const State> st);
  // The current routing state, without touching shared reference counts:
  // valid until the calling thread's next call.
  const State* StateForThisThread() const;
  // Answers `req`: routed by its Host to a vhost, logged to its access log.
  net::HttpResponse Handle(net::HttpRequest& req);
  // One request's access-log context and, when it is proxied, its forward
  // instruction (recycled, see RecycledExchange). The line is written when the
  // answer is known: at once for local answers, when the relay ends for
  // proxied ones (the server holds the forward, and so this, until then).
  struct LoggedExchange : net::ForwardObserver {
    // Writes the access-log line (and ships it). REQUIRES: !vhost.empty().
    void OnForwardComplete(int status, uint64_t bytes) override;
    PortalComponent* portal = nullptr;
    std::chrono::steady_clock::time_point start;
    net::HttpRequest request;  // method, target, remote address, Host/User-Agent/Referer, as received
    std::string vhost;         // the log file's stem; empty: not logged
    std::string upstream;      // set when proxying
    net::UpstreamForward forward;  // set when proxying
  };
  // An exchange to fill for a new request: a recycled one (its strings and
  // vectors keep their capacity) or a new one. Fields hold stale values.
  static std::shared_ptr<LoggedExchange> RecycledExchange();
  // The vhost's answer to `req`: a proxied one fills exchange->forward.
  net::HttpResponse Route(const State& st, const VirtualHost& vhost, net::HttpRequest& req,
                          const std::shared_ptr<LoggedExchange>& exchange);
  // The vhost's own routes (proxy, static, home's sub-paths) for `req`.
  net::HttpResponse RouteBuiltin(const State& st, const VirtualHost& vhost, net::HttpRequest& req,
                                 const std::shared_ptr<LoggedExchange>& exchange);
  // The response forwarding `req` to `upstream_base` + `target` through
  // exchange->forward (which the response shares ownership of).
  net::HttpResponse Proxy(const net::HttpRequest& req, std::string_view upstream_base, std::string_view target,
                          bool websocket, const std::shared_ptr<LoggedExchange>& exchange);
  // Carries out what the vhost's `config:` snippet decided.
  net::HttpResponse ServeSnippetDecision(const SnippetDecision& d, net::HttpRequest& req,
                                         const std::shared_ptr<LoggedExchange>& exchange);
  // True when `req` carries credentials portal.htpasswd accepts; otherwise
  // sets *refusal to 401 with WWW-Authenticate (500 when the file is unreadable).
  bool Authorized(const State& st, const VirtualHost& vhost, const net::HttpRequest& req,
                  net::HttpResponse* refusal);
  Status StartHttps();

  config::Settings settings_;
  net::Router* router_ = nullptr;
  std::unique_ptr<ReverseProxy> proxy_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<AccessLogShipper> shipper_;  // into the logs component; null when it does not run here
  std::unique_ptr<net::HttpServer> https_;
  // Read on every request: an atomic swap, so readers never wait on a lock.
  std::atomic<std::shared_ptr<const State>> state_;
};

}  // namespace vigil::portal
