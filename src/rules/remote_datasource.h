#pragma once
// RemoteDatasource: rule evaluation against any Prometheus-compatible server
// instead of the in-process storage. Queries go to GET <url>/api/v1/query;
// recorded series and ALERTS go out as Prometheus remote_write
// (protobuf + snappy) to the write URL. This is the same QueryFn / append /
// latest-sample interface RuleGroup uses with the local storage.
//
// Thread-safety: all methods may be called from any thread except those
// running the HttpClient's io_context (they wait for the response).

#include <cstdint>
#include <optional>
#include <string>

#include "base/sample_row.h"
#include "base/status.h"
#include "promql/value.h"
#include "tsdb/write_batch.h"

namespace vigil::net {
class HttpClient;
}  // namespace vigil::net

namespace vigil::rules {

// Parses the body of a Prometheus /api/v1/query answer into a vector (a
// scalar becomes one sample without labels). Errors: the API's own error
// message, or what is malformed about the JSON.
Result<promql::Vector> ParseQueryResponse(std::string_view body, int64_t ts_ms);

class RemoteDatasource {
 public:
  // `query_url` is the server's base URL ("http://prom:9090"); `write_url`
  // the full remote_write endpoint ("http://vm:8428/api/v1/write").
  RemoteDatasource(std::string query_url, std::string write_url, net::HttpClient* client);

  // The instant query `expr` at `ts_ms`.
  Result<promql::Vector> Query(const std::string& expr, int64_t ts_ms) const;

  // The newest sample in [mint, maxt] of the series with exactly `labels`.
  std::optional<Sample> LatestSample(const tsdb::Labels& labels, int64_t mint, int64_t maxt) const;

  // Sends the batch's rows with remote_write.
  Status Write(const tsdb::WriteBatch& batch) const;

 private:
  std::string query_url_;
  std::string write_url_;
  net::HttpClient* client_;
};

}  // namespace vigil::rules
