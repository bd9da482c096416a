#pragma once
// LogsComponent: VictoriaLogs' role on port 9428. It owns the log store
// (logstore::LogStore under <data_dir>/logs) and serves VictoriaLogs'
// ingestion and query API (docs/logs.md):
//   POST /insert/jsonline                    JSON lines
//   POST /insert/elasticsearch/_bulk         Elasticsearch bulk; GET /insert/elasticsearch/ version probe
//   POST /insert/loki/api/v1/push            Loki push, JSON or protobuf+snappy
//   /select/logsql/*                         LogsQL queries (query_handlers.cc)

#include <atomic>
#include <memory>
#include <semaphore>
#include <functional>

#include "logstore/row.h"
#include "service/http_component.h"

namespace vigil::logstore {
class LogStore;
}

namespace vigil::ingest {
struct LogIngestOptions;
struct LogIngestStats;
}  // namespace vigil::ingest

namespace vigil::logs {

class LogsComponent : public service::HttpComponent {
 public:
  LogsComponent(const service::ServiceContext& ctx, const config::Settings& settings,
                const config::ComponentSettings& own);
  ~LogsComponent() override;

  // The store, for other components in the process (traces). Null before
  // Start() and after Stop().
  logstore::LogStore* store() { return store_.get(); }

 protected:
  void RegisterRoutes(net::Router& router) override;
  Status StartService() override;
  void StopService() override;

 private:
  // Reads VictoriaLogs' ingestion parameters from query args and VL-* headers.
  Status IngestOptionsOf(const net::HttpRequest& req, ingest::LogIngestOptions* out) const;
  // Stores parsed entries and accounts for them; non-OK when the store refused.
  Status Store(std::string_view format, std::vector<logstore::LogEntry> entries, const ingest::LogIngestStats& stats);

  net::HttpResponse InsertJsonLines(net::HttpRequest& req);
  net::HttpResponse InsertElasticsearchBulk(net::HttpRequest& req);
  net::HttpResponse InsertLoki(net::HttpRequest& req);
  net::HttpResponse InsertOpenTelemetry(net::HttpRequest& req);
  void RegisterQueryRoutes(net::Router& router);

  // Query endpoints (query_handlers.cc).
  struct QueryRequest;
  // Parses `query` (+ `extra_filters`, + `extra_pipe` appended as "| pipe"),
  // `start`, `end` and `timeout` into a query and its execution options.
  Result<QueryRequest> PrepareQuery(const net::HttpRequest& req, std::string_view extra_pipe) const;
  // Runs the query in a concurrency slot; an empty response (status 200) on
  // success, else the error response.
  net::HttpResponse RunQuery(QueryRequest& q, const std::function<bool(const std::vector<logstore::Field>&)>& sink);
  net::HttpResponse SelectQuery(net::HttpRequest& req);
  // Live tail: a streamed body of new matching rows every refresh_interval.
  net::HttpResponse SelectTail(net::HttpRequest& req);
  net::HttpResponse SelectHits(net::HttpRequest& req);
  net::HttpResponse SelectFieldNames(net::HttpRequest& req);
  // Values of `field` ("" = the `field` arg) with hits.
  net::HttpResponse SelectFieldValues(net::HttpRequest& req, std::string_view field);
  // Label names (or values of label `field`) of the matching streams.
  net::HttpResponse SelectStreamFields(net::HttpRequest& req, bool values_of_field);
  // stats_query (instant, Prometheus vector) or stats_query_range (matrix).
  net::HttpResponse SelectStatsQuery(net::HttpRequest& req, bool range);

  std::string data_dir_;
  config::ComponentSettings own_;
  size_t max_line_bytes_;
  int64_t max_query_duration_ns_;
  std::counting_semaphore<> query_slots_;
  // Set by StopService so that live tails end.
  std::atomic<bool> stopping_{false};
  // Live tails and streamed queries reading the store right now.
  std::atomic<int> tails_producing_{0};
  std::unique_ptr<logstore::LogStore> store_;
  Family<Counter>* rows_ingested_ = nullptr;
  Family<Counter>* rows_dropped_ = nullptr;
};

}  // namespace vigil::logs
