#pragma once
// TracesComponent: VictoriaTraces' role on port 10428 (docs/traces.md). It
// owns a log store of spans under <data_dir>/traces (one span = one row,
// ingest/span_row.h) and serves
//   POST /insert/opentelemetry/v1/traces, POST /v1/traces
//        OTLP/HTTP, protobuf or JSON, any Content-Encoding the server decodes
//   GET  /select/jaeger/api/{services, services/:service/operations,
//        operations, traces, traces/:id, dependencies}
//        the Jaeger query service's JSON API, for Grafana and Jaeger UI.
// With traces.slow_sql_from_logs, a poller turns PostgreSQL duration lines in
// the logs component's store into spans (traces/slow_sql.h).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "service/http_component.h"

namespace vigil::logstore {
class LogStore;
class LogReader;
}  // namespace vigil::logstore

namespace vigil::traces {

class TracesComponent : public service::HttpComponent {
 public:
  // `logs` returns the logs component's store when it runs in this process
  // (null otherwise, or while it is stopped); it is read only for slow SQL.
  TracesComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                  const config::ComponentSettings& own, std::function<const logstore::LogReader*()> logs);
  ~TracesComponent() override;

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;

 private:
  net::HttpResponse InsertOtlp(net::HttpRequest& req);
  net::HttpResponse Services(net::HttpRequest& req);
  net::HttpResponse ServiceOperations(net::HttpRequest& req);
  net::HttpResponse Operations(net::HttpRequest& req);
  net::HttpResponse SearchTraces(net::HttpRequest& req);
  net::HttpResponse GetTrace(net::HttpRequest& req);
  net::HttpResponse Dependencies(net::HttpRequest& req);
  void SlowSqlLoop();

  std::string data_dir_;
  config::ComponentSettings own_;
  std::function<const logstore::LogReader*()> logs_;
  std::unique_ptr<logstore::LogStore> store_;

  Family<Counter>* spans_ingested_ = nullptr;
  Family<Counter>* spans_rejected_ = nullptr;
  Counter* requests_rejected_ = nullptr;
  Counter* slow_sql_spans_ = nullptr;
  Counter* backpressure_seconds_ = nullptr;

  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool stopping_ = false;  // GUARDED_BY(poll_mu_)
  std::thread poller_;
};

}  // namespace vigil::traces
