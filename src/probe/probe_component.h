#pragma once
// ProbeComponent: blackbox_exporter's role on `probe.listen` (9115).
//   GET /probe?target=&module=[&debug=true][&hostname=]
// runs one probe with a module from `probe.config_file` (blackbox.yml) or
// the built-in defaults, and answers with its metrics in blackbox_exporter
// 0.23's names. The probe timeout is X-Prometheus-Scrape-Timeout-Seconds
// minus 0.5 s (120 s without the header), lowered to the module's timeout.
// Probes run as coroutines on the shared runtime, not a thread each.
//
// A reload re-reads config_file; an invalid file keeps the old modules and
// the reload fails with its error.
//
// Thread-safety: Start/Stop/Reload from the controlling thread; /probe
// requests from any I/O thread.

#include <memory>
#include <mutex>

#include "probe/module.h"
#include "service/http_component.h"

namespace vigil {
class Counter;
class Gauge;
}  // namespace vigil

namespace vigil::probe {

class ProbeComponent : public service::HttpComponent {
 public:
  ProbeComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                 const config::ComponentSettings& own);
  ~ProbeComponent() override;

  Status Reload(const config::ComponentSettings& settings) override;

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;

 private:
  // Reads the modules `own` names; keeps the current ones on error.
  Status LoadModules(const config::ComponentSettings& own);
  std::shared_ptr<const ModuleMap> modules() const;
  void HandleProbe(net::HttpRequest& req, net::Responder respond);

  size_t max_body_bytes_;
  mutable std::mutex mu_;  // guards modules_
  std::shared_ptr<const ModuleMap> modules_;
  Counter* unknown_module_total_ = nullptr;
  Gauge* reload_successful_ = nullptr;
  Gauge* reload_timestamp_ = nullptr;
  Counter* probes_total_ = nullptr;
  Counter* probes_failed_total_ = nullptr;
};

// The modules the settings select: `probe.config_file` if set, else inline
// `probe.modules` if non-empty, else DefaultModules().
Result<ModuleMap> ModulesFromSettings(const config::ComponentSettings& own);

// Checks the modules (ModulesFromSettings) for `vigil check-config` and
// startup: an empty list when they are valid.
std::vector<std::string> CheckProbeConfig(const config::ComponentSettings& own);

}  // namespace vigil::probe
