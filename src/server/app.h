#pragma once
// App: `vigil serve`. Loads the config, creates the enabled components,
// starts them, and runs until SIGTERM/SIGINT; SIGHUP (or POST /-/reload on
// any component) re-reads the config and keeps the old one when the new one
// is invalid.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/metrics_registry.h"
#include "config/config.h"
#include "service/component.h"
#include "service/http_component.h"

namespace vigil::net {
class Runtime;
}

namespace vigil::server {

struct ServeOptions {
  config::LoadOptions load;            // how to find and override the config
  std::vector<std::string> only;       // run only these components (empty = all enabled)
};

class App {
 public:
  explicit App(ServeOptions options);
  ~App();

  // Runs until a stop signal. Returns the process exit code: 0 after a
  // graceful stop, 1 when a component failed to start, 2 for a config error.
  // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and thus in
  // every thread it creates) and waits for them with sigwait.
  int Run();

  // Re-reads the config; on success applies it, on failure keeps the old one.
  // When the config loads but a component refuses its new settings (its
  // native config is broken, a listen address changed), the others apply
  // theirs and the refusals are returned. Safe from any thread.
  Status Reload();

 private:
  Status Build();  // creates the components from settings_
  std::unique_ptr<service::Component> MakeComponent(const service::ServiceContext& ctx,
                                                    const config::ComponentSettings& c);

  ServeOptions options_;
  std::mutex mu_;                       // guards settings_ during reload
  config::Settings settings_;
  MetricsRegistry process_registry_;
  std::unique_ptr<net::Runtime> runtime_;
  std::vector<std::unique_ptr<service::Component>> components_;
};

}  // namespace vigil::server
