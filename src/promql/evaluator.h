#pragma once
// Internals of the PromQL engine shared by engine.cc, eval_ops.cc and
// eval_functions.cc. Not part of the module's public API.

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "promql/ast.h"
#include "promql/value.h"

namespace vigil::promql::internal {

// The staleness marker Prometheus writes when a series disappears.
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == 0x7ff0000000000002ULL; }
// `metric` without __name__.
tsdb::Labels DropMetricName(const tsdb::Labels& metric);
// Whether two samples of `v` have the same label set.
bool HasDuplicateLabels(const Vector& v);

// Execution errors (Prometheus' "execution" errorType).
Status ExecutionError(std::string msg);

// One argument of a per-step operation: a scalar or an instant vector.
struct StepArg {
  bool is_scalar = false;
  double scalar = 0;
  Vector vec;
};

// The samples of one series inside a range window, and the window itself.
struct RangeWindow {
  std::span<const Point> points;  // non-empty, ascending
  int64_t ts = 0;                 // evaluation time of the step
  int64_t range_start = 0;        // window [range_start, range_end] (ms)
  int64_t range_end = 0;
  int64_t range_ms = 0;
  // Values of the function's scalar arguments at this step, in order.
  std::span<const double> scalars;
  // False when the caller knows no value in `points` is below its
  // predecessor (no counter reset), so rate/increase can skip looking.
  bool may_have_counter_reset = true;
};

// A function over a range window; returns false when it yields no value.
using RangeFunction = bool (*)(const RangeWindow& w, double* out);

// holt_winters' argument check, made (as Prometheus does) only for steps
// where a series has samples: both factors must lie in (0, 1); NaN passes.
// REQUIRES: factors.size() == 2 (smoothing, trend).
Status CheckHoltWintersFactors(std::span<const double> factors);

// The range-vector function `name` (rate, *_over_time, ...), or nullptr.
RangeFunction LookupRangeFunction(std::string_view name);

// Calls the instant-vector function `call` (abs, label_replace, ...) for one
// step: `args` are the evaluated arguments (string args are read from the
// AST), the output goes to `*out`.
Status CallInstantFunction(const Expr& call, std::vector<StepArg>& args, int64_t ts, Vector* out);

// One step of a binary operation with vector or scalar operands (at least
// one vector), per Prometheus' VectorBinop/VectorscalarBinop/VectorAnd/....
Status BinaryStep(const Expr& bin, StepArg& lhs, StepArg& rhs, Vector* out);
// The value of `l op r` for scalars (comparisons give 1 or 0).
double ScalarBinop(Op op, double l, double r);

// One step of an aggregation. `param` is the scalar parameter (topk,
// bottomk, quantile), `label` count_values' label name.
Status AggregateStep(const Expr& agg, double param, const std::string& label, Vector& in, Vector* out);

// Labels of absent()/absent_over_time(): the equality matchers of a
// selector argument, except __name__ and labels matched more than once.
tsdb::Labels AbsentLabels(const Expr& arg);

// Whether AggregateMatrix handles aggregation `op` (all but topk, bottomk,
// quantile and count_values).
bool AggregateMatrixSupported(Op op);
// Aggregates all steps at once: `in` holds series with points at step times
// start + k*interval (k < steps). Same result as AggregateStep per step.
// REQUIRES: AggregateMatrixSupported(agg.op).
Matrix AggregateMatrix(const Expr& agg, Matrix& in, int64_t start, int64_t interval, size_t steps);

// Prometheus' quantile() over values (sorted in place; NaN sorts first).
double Quantile(double q, std::vector<double>& values);

}  // namespace vigil::promql::internal
