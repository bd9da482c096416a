#pragma once
// RulesComponent: VMAlert's role on port 8880. It loads Prometheus rule
// files (`rules.files` globs), evaluates each group at its interval against
// the in-process metrics storage (queries through the PromQL engine; results
// appended to the same storage), and sends alerts to the Alertmanagers in
// `rules.notifiers` (default: this process's alertmanager component).
//   GET /api/v1/rules, /api/v1/alerts     Prometheus' JSON shapes
//   GET /vmalert/groups, /vmalert/alerts   plain HTML pages
// Groups are evaluated on the worker pool at aligned slots (a stable offset
// per group inside its interval); a group still running when its next slot
// comes skips that slot (counted in vigil_rules_group_iterations_missed_total).
// Rule files are re-read on reload (SIGHUP, /-/reload) and when they change;
// unchanged rules keep their alert state.

#include <functional>
#include <memory>

#include "service/http_component.h"

namespace vigil::tsdb {
class Storage;
}

namespace vigil::rules {

class RulesComponent : public service::HttpComponent {
 public:
  // `storage` returns the metrics component's storage, or null when it does
  // not run in this process (the groups then fail with a clear lastError).
  RulesComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                 const config::ComponentSettings& own, std::function<tsdb::Storage*()> storage);
  ~RulesComponent() override;

  Status Reload(const config::ComponentSettings& settings) override;

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::rules
