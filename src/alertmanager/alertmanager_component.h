#pragma once
// AlertmanagerComponent: Alertmanager's role on port 9059. It loads
// alertmanager.yml (`alertmanager.config_file`, or the inline
// `alertmanager.config`, or Pigsty's default), keeps alerts in memory,
// silences and the notification log under <data_dir>/alertmanager, runs the
// dispatcher and serves Alertmanager's API v2 (see api.h). Reload (SIGHUP,
// POST /-/reload) re-reads the config; alerts, silences and notification
// state are kept, and an invalid config leaves the old one in force.
//
// Thread-safety: as HttpComponent; internal state is guarded by its owners.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "service/http_component.h"

namespace vigil::net {
class HttpClient;
}

namespace vigil::alertmanager {

class AlertStore;
class Api;
class Dispatcher;
class Inhibitor;
class NotificationLog;
class SilenceStore;
struct AmConfig;

// Reads the alertmanager config that `section` names: config_file when set,
// else the inline `config` map, else Pigsty's default.
Result<std::shared_ptr<const AmConfig>> LoadFromSettings(const YAML::Node& section);

class AlertmanagerComponent : public service::HttpComponent {
 public:
  AlertmanagerComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                        const config::ComponentSettings& own);
  ~AlertmanagerComponent() override;

  Status Reload(const config::ComponentSettings& settings) override;

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;

 private:
  void MaintenanceLoop();

  std::string data_dir_;
  config::ComponentSettings own_;
  std::unique_ptr<AlertStore> alerts_;
  std::unique_ptr<SilenceStore> silences_;
  std::unique_ptr<NotificationLog> nflog_;
  std::unique_ptr<Inhibitor> inhibitor_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Api> api_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread maintenance_;
};

}  // namespace vigil::alertmanager
