#pragma once
// The PromQL abstract syntax tree (Prometheus 2.42), its static types and the
// printing that Prometheus' String() methods produce (used by format_query and
// by tests). Built by ParseExpr (parser.h), evaluated by Engine (engine.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/go_format.h"
#include "tsdb/matcher.h"

namespace vigil::promql {

// The static type of an expression, as Prometheus names them in messages.
enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };

// "scalar", "instant vector", "range vector", "string" or "none".
std::string_view ValueTypeName(ValueType t);

// Operators of unary and binary expressions and aggregations.
enum class Op {
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,
  kEql, kNeq, kGtr, kLss, kGte, kLte,
  kAnd, kOr, kUnless,
  // Aggregations.
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar, kTopk, kBottomk, kCountValues, kQuantile,
};

// The operator as written in PromQL ("+", "==", "and", "count_values", ...).
std::string_view OpName(Op op);
bool IsComparisonOp(Op op);
bool IsSetOp(Op op);
// True for + - * / % ^ (the operators that drop the metric name; atan2 does
// not in Prometheus 2.42).
bool DropsMetricName(Op op);
// True for topk, bottomk, quantile and count_values.
bool AggregationHasParam(Op op);

// A function's signature, as Prometheus' parser.Function: argument types
// and how many trailing arguments may vary (see `variadic`).
struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() args; -1: unbounded repetition of the last
  // type; N > 0: the last arg type is optional, up to N times.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// The signature of function `name`, or nullptr when there is none.
const FunctionSignature* LookupFunction(std::string_view name);

// Byte offsets [start, end) of a node in the query text.
struct PosRange {
  size_t start = 0;
  size_t end = 0;
};

enum class NodeKind {
  kNumber,          // number literal
  kString,          // string literal
  kVectorSelector,  // name{matchers} offset @
  kMatrixSelector,  // <vector selector>[range]; offset/@ live on the child
  kSubquery,        // expr[range:step] offset @
  kParen,           // ( expr )
  kUnary,           // -expr / +expr
  kBinary,          // lhs op rhs
  kAggregate,       // op by/without (...) ([param,] expr)
  kCall,            // function(args...)
};

// How vector-vector binary operations match their sides.
enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

// Which timestamp an `@` modifier names.
enum class AtKind { kNone, kTimestamp, kStart, kEnd };

// One AST node. Fields are meaningful only for the kinds named in their
// comments. Children are owned.
// Thread-safety: immutable after parsing; any number of threads may read.
struct Expr {
  NodeKind kind = NodeKind::kNumber;
  PosRange pos;
  std::vector<std::unique_ptr<Expr>> args;  // operands / function args / child

  double number = 0;   // kNumber
  std::string text;    // kString: value; kVectorSelector: metric name

  // kVectorSelector: matchers (incl. __name__="name" when a name was given).
  std::vector<tsdb::Matcher> matchers;
  // kVectorSelector, kSubquery: offset (ms, may be negative) and `@`.
  int64_t offset_ms = 0;
  AtKind at_kind = AtKind::kNone;
  int64_t at_ms = 0;  // kTimestamp: the time; kStart/kEnd: filled by the engine
  // kMatrixSelector, kSubquery: range (ms); kSubquery: step (ms, 0 = default).
  int64_t range_ms = 0;
  int64_t step_ms = 0;

  Op op = Op::kAdd;  // kUnary, kBinary, kAggregate
  // kBinary.
  bool return_bool = false;
  Cardinality card = Cardinality::kOneToOne;
  bool matching_on = false;             // on(...) instead of ignoring(...)
  std::vector<std::string> matching_labels;
  std::vector<std::string> include_labels;  // group_left/group_right labels
  // kAggregate: grouping labels; `without` instead of `by`. args[0] is the
  // expression, args[1] the parameter (if any).
  std::vector<std::string> grouping;
  bool without = false;
  // kCall.
  const FunctionSignature* func = nullptr;

  // The static type of this expression.
  ValueType Type() const;
  // The expression as Prometheus prints it (e.g. `sum by (job) (rate(x[5m]))`).
  std::string String() const;
};

// A Prometheus duration as model.Duration prints it: "1h30m", "5m", "0s".
std::string FormatDuration(int64_t ms);
// A float as Go's fmt %v prints it ("1", "0.5", "1e+06", "NaN", "+Inf").
using vigil::FormatGoFloat;

}  // namespace vigil::promql
