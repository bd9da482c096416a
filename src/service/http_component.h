#pragma once
// HttpComponent: a Component served over HTTP on its own port. It owns the
// router, the HTTP server and the component's metrics registry, and serves
// the endpoints every Vigil component has:
//   GET /health, /-/healthy, /-/ready   -> "OK" (503 when not healthy/ready)
//   GET /metrics                        -> process metrics + this component's
//   POST|PUT /-/reload                  -> re-reads the whole config
// Services derive from it and add their routes in RegisterRoutes().

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/metrics_registry.h"
#include "config/config.h"
#include "net/http_server.h"
#include "net/router.h"
#include "service/component.h"

namespace vigil::net {
class Runtime;
}

namespace vigil::service {

// Shared by all components of one process.
struct ServiceContext {
  net::Runtime* runtime = nullptr;
  const MetricsRegistry* process_registry = nullptr;  // process_* and vigil_build_info
  // Re-reads the config and applies it to every component; returns the
  // errors as text on failure (the old config stays in force).
  std::function<Status()> reload;
  // Every component of this process with an HTTP server: its name and the
  // address that reaches it from this host ("127.0.0.1:8428").
  std::vector<std::pair<std::string, std::string>> http_endpoints;
};

class HttpComponent : public Component {
 public:
  // `settings.listen` (or `http_listen` when the component's main protocol
  // is not HTTP) is where the HTTP server binds.
  HttpComponent(const ServiceContext& ctx, const config::Settings& settings, const config::ComponentSettings& own);
  ~HttpComponent() override;

  std::string_view name() const override { return name_; }
  Status Start() override;
  void Stop(std::chrono::milliseconds grace) override;
  bool Healthy() const override { return healthy_.load(); }
  Status Reload(const config::ComponentSettings& settings) override;
  // The key of the address that failed: `listen` when the service's own
  // protocol port could not be bound, else the HTTP address's key.
  std::string listen_key() const override { return failed_key_.empty() ? listen_key_ : failed_key_; }

  // The port actually bound (after Start). For tests and logs.
  uint16_t port() const;

 protected:
  // Adds the service's own routes. Called once, before the server starts.
  virtual void RegisterRoutes(net::Router& router) { (void)router; }
  // Starts/stops the service's background work around the HTTP server.
  virtual Status StartService() { return Status::Ok(); }
  virtual void StopService() {}

  MetricsRegistry& registry() { return registry_; }
  const ServiceContext& context() const { return ctx_; }
  void set_healthy(bool h) { healthy_.store(h); }

 private:
  void RegisterStandardRoutes();

  ServiceContext ctx_;
  std::string name_;
  std::string listen_;
  std::string listen_key_;
  std::string failed_key_;  // set when StartService failed on a component with http_listen
  net::HttpServerOptions server_options_;
  MetricsRegistry registry_;
  net::Router router_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<bool> healthy_{false};
};

}  // namespace vigil::service
