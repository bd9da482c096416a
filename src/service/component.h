#pragma once
// Component: what `vigil serve` starts, stops and health-checks. Every
// service (metrics, logs, dns, ...) is one Component, so the server can run
// any subset of them (`--only`) in one process.

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::config {
struct ComponentSettings;
struct Settings;
}

namespace vigil::service {

class Component {
 public:
  virtual ~Component() = default;

  // The config section name: "metrics", "dns", ...
  virtual std::string_view name() const = 0;

  // Binds the component's ports and starts its background work. On failure
  // nothing stays bound and the Status says which address failed and why.
  virtual Status Start() = 0;

  // Stops accepting work, lets in-flight work finish for up to `grace`,
  // flushes what must survive, and releases the ports. Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;

  // True while the component serves normally.
  virtual bool Healthy() const = 0;

  // Applies a newly loaded, already validated section. Settings that cannot
  // change while running (listen addresses) are kept and reported in the
  // returned Status message; the rest take effect.
  virtual Status Reload(const config::ComponentSettings& settings) = 0;

  // Called after every component's Reload with the whole new configuration,
  // for components that also run another section (metrics runs `scrape`).
  // The default ignores it.
  virtual void ReloadRelated(const config::Settings& settings) { (void)settings; }

  // The config key that names the address Start() failed on ("metrics.listen").
  virtual std::string listen_key() const = 0;
};

}  // namespace vigil::service
