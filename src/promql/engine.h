#pragma once
// The PromQL engine: evaluates expressions with Prometheus 2.42 semantics
// against the storage read interface (tsdb::Querier). No HTTP here; the
// metrics service maps QueryError kinds to the API's errorType and status.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "promql/ast.h"
#include "promql/value.h"
#include "tsdb/querier.h"

namespace vigil::promql {

// Opens a read view over [mint, maxt] (ms). Called once per selector
// evaluation; must be callable from the thread that runs the query.
using QueryableFn = std::function<std::unique_ptr<tsdb::Querier>(int64_t mint, int64_t maxt)>;

struct EngineOptions {
  // How far back an instant selector looks for the latest sample.
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Limit on samples held by one query (selected samples plus intermediate
  // result points); exceeding it fails the query with kTooManySamples.
  uint64_t max_samples = 50000000;
  // Wall-clock limit per query (checked between steps and series).
  std::chrono::milliseconds timeout{30000};
  // Step of subqueries written without one (`x[5m:]`).
  int64_t default_subquery_step_ms = 60 * 1000;
  // Threads one query may use to decode selected series and evaluate
  // range-vector functions over them (series are independent); 0 = one per
  // core. Small selections always run on the calling thread.
  unsigned max_workers = 0;
};

// Why a query failed, in the categories of Prometheus' API errorType.
struct QueryError {
  enum class Kind { kBadData, kTimeout, kCanceled, kExecution, kTooManySamples };
  Kind kind = Kind::kExecution;
  std::string message;

  // The API's errorType: "bad_data", "timeout", "canceled", "execution"
  // (too many samples is reported as "execution", as Prometheus does).
  std::string_view TypeName() const;
};

// A Value or a QueryError.
class QueryResult {
 public:
  QueryResult(Value v) : v_(std::move(v)) {}        // NOLINT: implicit by design
  QueryResult(QueryError e) : v_(std::move(e)) {}   // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  // REQUIRES: ok().
  const Value& value() const& { return std::get<Value>(v_); }
  Value&& value() && { return std::get<Value>(std::move(v_)); }
  // REQUIRES: !ok().
  const QueryError& error() const { return std::get<QueryError>(v_); }

 private:
  std::variant<Value, QueryError> v_;
};

// Evaluates PromQL queries. Stateless apart from its options.
// Thread-safety: const methods may run concurrently; each query opens its
// own queriers through the QueryableFn.
class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : options_(options) {}

  const EngineOptions& options() const { return options_; }

  // Evaluates `expr` at `ts_ms`. Results: Scalar, String, Vector (in
  // evaluation order, e.g. sort()'s order) or Matrix (range-vector
  // expressions). Parse errors are kBadData. `cancel`, when non-null and
  // set to true by another thread, stops the query with kCanceled.
  QueryResult InstantQuery(const QueryableFn& queryable, std::string_view expr, int64_t ts_ms,
                           const std::atomic<bool>* cancel = nullptr) const;

  // Evaluates `expr` at start, start+step, ... <= end. The result is a
  // Matrix sorted by labels (scalars become one series with no labels).
  // REQUIRES nothing: step <= 0, end < start and non-scalar/vector
  // expressions give kBadData errors as Prometheus does.
  QueryResult RangeQuery(const QueryableFn& queryable, std::string_view expr, int64_t start_ms, int64_t end_ms,
                         int64_t step_ms, const std::atomic<bool>* cancel = nullptr) const;

  // Evaluates an already parsed expression over [start, end] at `step`
  // (start == end and step == 0 for an instant query).
  QueryResult Exec(const QueryableFn& queryable, const Expr& expr, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                   const std::atomic<bool>* cancel = nullptr) const;

 private:
  EngineOptions options_;
};

}  // namespace vigil::promql
