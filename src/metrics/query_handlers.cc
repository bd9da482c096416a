// The Prometheus query API: /api/v1/query and /api/v1/query_range, with
// Prometheus' parameters, JSON shapes, error types and status codes.

#include <string>

#include "base/json.h"
#include "metrics/handlers.h"
#include "metrics/params.h"
#include "promql/engine.h"
#include "promql/parser.h"
#include "promql/value.h"
#include "tsdb/storage.h"

namespace vigil::metrics {
namespace {

int StatusFor(const promql::QueryError& e) {
  switch (e.kind) {
    case promql::QueryError::Kind::kBadData: return 400;
    case promql::QueryError::Kind::kTimeout:
    case promql::QueryError::Kind::kCanceled: return 503;
    case promql::QueryError::Kind::kExecution:
    case promql::QueryError::Kind::kTooManySamples: return 422;
  }
  return 500;
}

// Number of series in a result (a scalar or string counts as one).
size_t SeriesCount(const promql::Value& v) {
  if (const auto* vec = std::get_if<promql::Vector>(&v)) return vec->size();
  if (const auto* mat = std::get_if<promql::Matrix>(&v)) return mat->size();
  return 1;
}

net::HttpResponse Answer(const promql::QueryResult& r, size_t max_series) {
  if (!r.ok()) return ApiError(StatusFor(r.error()), r.error().TypeName(), r.error().message);
  if (size_t n = SeriesCount(r.value()); n > max_series) {
    return ApiError(422, "execution",
                    "the query returned " + std::to_string(n) + " series, more than metrics.max_query_series=" +
                        std::to_string(max_series) + "; narrow the selector or aggregate");
  }
  std::string data;
  promql::AppendValueJson(&data, r.value());
  return ApiSuccess(std::move(data));
}

// Prometheus' step parameter: a float number of seconds or a duration.
Result<int64_t> ParseStep(std::string_view s) {
  auto d = ParseDurationMs(s);
  if (!d.ok()) return Status::InvalidArgument("invalid parameter \"step\": cannot parse \"" + std::string(s) +
                                              "\" to a valid duration");
  return *d;
}

}  // namespace

promql::QueryableFn Handlers::Queryable() const {
  tsdb::Storage* storage = storage_;
  return [storage](int64_t mint, int64_t maxt) { return storage->NewQuerier(mint, maxt); };
}

net::HttpResponse Handlers::Query(net::HttpRequest& req) {
  std::string_view expr = req.query.Get("query");
  if (expr.empty()) return ApiError(400, "bad_data", "invalid parameter \"query\": query must not be empty");
  int64_t now = NowMs();
  int64_t ts = now;
  if (req.query.Has("time") && !req.query.Get("time").empty()) {
    auto t = ParseTimestampMs(req.query.Get("time"), now);
    if (!t.ok()) return ApiError(400, "bad_data", "invalid parameter \"time\": " + t.status().message());
    ts = *t;
  }
  return Answer(engine_.InstantQuery(Queryable(), expr, ts), max_query_series_);
}

net::HttpResponse Handlers::QueryRange(net::HttpRequest& req) {
  std::string_view expr = req.query.Get("query");
  if (expr.empty()) return ApiError(400, "bad_data", "invalid parameter \"query\": query must not be empty");
  int64_t now = NowMs();
  auto start = ParseTimestampMs(req.query.Get("start"), now);
  if (!start.ok()) return ApiError(400, "bad_data", "invalid parameter \"start\": " + start.status().message());
  auto end = ParseTimestampMs(req.query.Get("end"), now);
  if (!end.ok()) return ApiError(400, "bad_data", "invalid parameter \"end\": " + end.status().message());
  if (*end < *start) {
    return ApiError(400, "bad_data", "invalid parameter \"end\": end timestamp must not be before start time");
  }
  auto step = ParseStep(req.query.Get("step"));
  if (!step.ok()) return ApiError(400, "bad_data", step.status().message());
  if (*step <= 0) {
    return ApiError(400, "bad_data",
                    "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. "
                    "Try a positive integer");
  }
  if ((*end - *start) / *step > 11000) {
    return ApiError(400, "bad_data",
                    "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                    "resolution (?step=XX)");
  }
  return Answer(engine_.RangeQuery(Queryable(), expr, *start, *end, *step), max_query_series_);
}

net::HttpResponse Handlers::FormatQuery(net::HttpRequest& req) {
  auto expr = promql::ParseExpr(req.query.Get("query"));
  if (!expr.ok()) return ApiError(400, "bad_data", expr.status().message());
  std::string data;
  json::AppendString(&data, (*expr)->String());
  return ApiSuccess(std::move(data));
}

}  // namespace vigil::metrics
