#pragma once
// Api: Alertmanager 0.25's HTTP API v2 (and POST /api/v1/alerts for old
// senders) over the alert store, silences and dispatcher, plus a minimal
// HTML status page at "/". Response bodies have the OpenAPI spec's shapes,
// so amtool and Grafana's Alertmanager datasource read them unchanged.
//
// Thread-safety: handlers may run concurrently on any thread.

#include <chrono>
#include <functional>
#include <string>

#include "base/metrics_registry.h"
#include "net/http_types.h"

namespace vigil::alertmanager {

class AlertStore;
class Dispatcher;
class Inhibitor;
class SilenceStore;

struct ApiDeps {
  AlertStore* alerts = nullptr;
  SilenceStore* silences = nullptr;
  Inhibitor* inhibitor = nullptr;
  Dispatcher* dispatcher = nullptr;
  MetricsRegistry* registry = nullptr;
  std::chrono::steady_clock::time_point started;
  int64_t started_unix_ms = 0;
};

class Api {
 public:
  explicit Api(ApiDeps deps);
  net::HttpResponse PostAlerts(net::HttpRequest& req, bool v1);
  net::HttpResponse GetAlerts(net::HttpRequest& req);
  net::HttpResponse GetAlertGroups(net::HttpRequest& req);
  net::HttpResponse GetSilences(net::HttpRequest& req);
  net::HttpResponse PostSilence(net::HttpRequest& req);
  net::HttpResponse GetSilence(net::HttpRequest& req);
  net::HttpResponse DeleteSilence(net::HttpRequest& req);
  net::HttpResponse GetStatus(net::HttpRequest& req);
  net::HttpResponse GetReceivers(net::HttpRequest& req);
  net::HttpResponse Index(net::HttpRequest& req);

 private:
  ApiDeps deps_;
  Family<Counter>* received_;
  Counter* invalid_;
};

}  // namespace vigil::alertmanager
