#pragma once
// The HTTP handlers of the metrics component, split from the component so
// they can be unit-tested against a Storage without sockets.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/http_types.h"
#include "promql/engine.h"
#include "tsdb/matcher.h"

namespace vigil::tsdb {
class Querier;
class RawSeriesCache;
class Storage;
}

namespace vigil::metrics {

// Renders an error as the Prometheus HTTP API does:
// {"status":"error","errorType":"bad_data","error":"..."}.
net::HttpResponse ApiError(int status, std::string_view error_type, std::string_view message);
// {"status":"success","data":<data_json>}
net::HttpResponse ApiSuccess(std::string data_json);

// Parses every match[] parameter; InvalidArgument naming the bad selector.
Result<std::vector<std::vector<tsdb::Matcher>>> ParseMatchParams(const net::HttpRequest& req);

// Reads `start` and `end` (defaults: the whole time range) in milliseconds.
Status ParseTimeRange(const net::HttpRequest& req, int64_t default_start, int64_t default_end, int64_t* start,
                      int64_t* end);

class Handlers {
 public:
  // `storage` must outlive the handlers.
  // Queries returning more than `max_query_series` series fail with 422.
  explicit Handlers(tsdb::Storage* storage, promql::EngineOptions engine_options = {},
                    size_t max_query_series = 100000);
  ~Handlers();

  // --- write side (write_handlers.cc) ---
  net::HttpResponse RemoteWrite(net::HttpRequest& req);
  net::HttpResponse ImportJsonLines(net::HttpRequest& req);
  net::HttpResponse ImportPrometheus(net::HttpRequest& req);
  net::HttpResponse InfluxWrite(net::HttpRequest& req);

  // --- read side (read_handlers.cc) ---
  net::HttpResponse Export(net::HttpRequest& req);
  net::HttpResponse Federate(net::HttpRequest& req);
  net::HttpResponse Labels(net::HttpRequest& req);
  net::HttpResponse LabelValues(net::HttpRequest& req);
  net::HttpResponse Series(net::HttpRequest& req);
  net::HttpResponse StatusTsdb(net::HttpRequest& req);
  net::HttpResponse DeleteSeries(net::HttpRequest& req);

  // --- PromQL (query_handlers.cc) ---
  net::HttpResponse Query(net::HttpRequest& req);
  net::HttpResponse QueryRange(net::HttpRequest& req);
  // /api/v1/format_query: the expression as Prometheus prints it.
  net::HttpResponse FormatQuery(net::HttpRequest& req);

 private:
  net::HttpResponse ListLabels(
      net::HttpRequest& req,
      const std::function<std::vector<std::string>(tsdb::Querier&, const std::vector<tsdb::Matcher>&)>& list);
  // Opens queriers on the storage for the engine.
  promql::QueryableFn Queryable() const;

  tsdb::Storage* storage_;
  promql::Engine engine_;
  size_t max_query_series_;
  // remote_write series seen before: raw label bytes -> labels and ref.
  std::unique_ptr<tsdb::RawSeriesCache> remote_write_series_;
};

}  // namespace vigil::metrics
