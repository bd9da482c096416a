#include "promql/ast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tsdb/labels.h"

namespace vigil::promql {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
    case ValueType::kNone: break;
  }
  return "none";
}

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
    case Op::kPow: return "^";
    case Op::kAtan2: return "atan2";
    case Op::kEql: return "==";
    case Op::kNeq: return "!=";
    case Op::kGtr: return ">";
    case Op::kLss: return "<";
    case Op::kGte: return ">=";
    case Op::kLte: return "<=";
    case Op::kAnd: return "and";
    case Op::kOr: return "or";
    case Op::kUnless: return "unless";
    case Op::kSum: return "sum";
    case Op::kAvg: return "avg";
    case Op::kCount: return "count";
    case Op::kMin: return "min";
    case Op::kMax: return "max";
    case Op::kGroup: return "group";
    case Op::kStddev: return "stddev";
    case Op::kStdvar: return "stdvar";
    case Op::kTopk: return "topk";
    case Op::kBottomk: return "bottomk";
    case Op::kCountValues: return "count_values";
    case Op::kQuantile: return "quantile";
  }
  return "?";
}

bool IsComparisonOp(Op op) {
  return op == Op::kEql || op == Op::kNeq || op == Op::kGtr || op == Op::kLss || op == Op::kGte || op == Op::kLte;
}
bool IsSetOp(Op op) { return op == Op::kAnd || op == Op::kOr || op == Op::kUnless; }
bool DropsMetricName(Op op) {
  return op == Op::kAdd || op == Op::kSub || op == Op::kMul || op == Op::kDiv || op == Op::kMod || op == Op::kPow;
}
bool AggregationHasParam(Op op) {
  return op == Op::kTopk || op == Op::kBottomk || op == Op::kQuantile || op == Op::kCountValues;
}

namespace {

using VT = ValueType;

const std::vector<FunctionSignature>& FunctionTable() {
  static const std::vector<FunctionSignature> table = [] {
    std::vector<FunctionSignature> t;
    auto add = [&](std::string_view name, std::vector<VT> args, int variadic = 0, VT ret = VT::kVector) {
      t.push_back(FunctionSignature{name, std::move(args), variadic, ret});
    };
    for (std::string_view n : {"abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos",
                               "cosh", "deg", "exp", "floor", "histogram_count", "histogram_sum", "ln", "log10",
                               "log2", "rad", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "tan", "tanh",
                               "timestamp"}) {
      add(n, {VT::kVector});
    }
    for (std::string_view n : {"absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv",
                               "idelta", "increase", "irate", "last_over_time", "max_over_time", "min_over_time",
                               "present_over_time", "rate", "resets", "stddev_over_time", "stdvar_over_time",
                               "sum_over_time"}) {
      add(n, {VT::kMatrix});
    }
    for (std::string_view n : {"day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute",
                               "month", "year"}) {
      add(n, {VT::kVector}, 1);
    }
    add("clamp", {VT::kVector, VT::kScalar, VT::kScalar});
    add("clamp_max", {VT::kVector, VT::kScalar});
    add("clamp_min", {VT::kVector, VT::kScalar});
    add("histogram_fraction", {VT::kScalar, VT::kScalar, VT::kVector});
    add("histogram_quantile", {VT::kScalar, VT::kVector});
    add("holt_winters", {VT::kMatrix, VT::kScalar, VT::kScalar});
    add("label_join", {VT::kVector, VT::kString, VT::kString, VT::kString}, -1);
    add("label_replace", {VT::kVector, VT::kString, VT::kString, VT::kString, VT::kString});
    add("pi", {}, 0, VT::kScalar);
    add("predict_linear", {VT::kMatrix, VT::kScalar});
    add("quantile_over_time", {VT::kScalar, VT::kMatrix});
    add("round", {VT::kVector, VT::kScalar}, 1);
    add("scalar", {VT::kVector}, 0, VT::kScalar);
    add("time", {}, 0, VT::kScalar);
    add("vector", {VT::kScalar});
    return t;
  }();
  return table;
}

void AppendQuotedGo(std::string* out, std::string_view s) { tsdb::AppendQuoted(out, s); }

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

std::string AtAndOffset(const Expr& e) {
  std::string out;
  switch (e.at_kind) {
    case AtKind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(e.at_ms) / 1000.0);
      out += buf;
      break;
    }
    case AtKind::kStart: out += " @ start()"; break;
    case AtKind::kEnd: out += " @ end()"; break;
    case AtKind::kNone: break;
  }
  if (e.offset_ms > 0) out += " offset " + FormatDuration(e.offset_ms);
  if (e.offset_ms < 0) out += " offset -" + FormatDuration(-e.offset_ms);
  return out;
}

std::string SelectorBody(const Expr& e) {
  std::vector<std::string> parts;
  for (const auto& m : e.matchers) {
    if (m.name() == tsdb::kMetricNameLabel && m.type() == tsdb::MatchType::kEqual && m.value() == e.text) continue;
    std::string s = m.name();
    s += tsdb::MatchTypeToString(m.type());
    AppendQuotedGo(&s, m.value());
    parts.push_back(std::move(s));
  }
  if (parts.empty()) return e.text;
  std::sort(parts.begin(), parts.end());
  std::string out = e.text + "{";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ",";
    out += parts[i];
  }
  return out + "}";
}

}  // namespace

const FunctionSignature* LookupFunction(std::string_view name) {
  for (const auto& f : FunctionTable()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

ValueType Expr::Type() const {
  switch (kind) {
    case NodeKind::kNumber: return ValueType::kScalar;
    case NodeKind::kString: return ValueType::kString;
    case NodeKind::kVectorSelector: return ValueType::kVector;
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery: return ValueType::kMatrix;
    case NodeKind::kParen:
    case NodeKind::kUnary: return args[0]->Type();
    case NodeKind::kBinary:
      if (args[0]->Type() == ValueType::kScalar && args[1]->Type() == ValueType::kScalar) return ValueType::kScalar;
      return ValueType::kVector;
    case NodeKind::kAggregate: return ValueType::kVector;
    case NodeKind::kCall: return func ? func->return_type : ValueType::kNone;
  }
  return ValueType::kNone;
}

std::string Expr::String() const {
  switch (kind) {
    case NodeKind::kNumber: return FormatGoFloat(number);
    case NodeKind::kString: {
      std::string out;
      AppendQuotedGo(&out, text);
      return out;
    }
    case NodeKind::kVectorSelector: return SelectorBody(*this) + AtAndOffset(*this);
    case NodeKind::kMatrixSelector:
      return SelectorBody(*args[0]) + "[" + FormatDuration(range_ms) + "]" + AtAndOffset(*args[0]);
    case NodeKind::kSubquery:
      return args[0]->String() + "[" + FormatDuration(range_ms) + ":" + (step_ms ? FormatDuration(step_ms) : "") +
             "]" + AtAndOffset(*this);
    case NodeKind::kParen: return "(" + args[0]->String() + ")";
    case NodeKind::kUnary: return std::string(OpName(op)) + args[0]->String();
    case NodeKind::kBinary: {
      std::string out = args[0]->String() + " " + std::string(OpName(op));
      if (return_bool) out += " bool";
      if (matching_on || !matching_labels.empty()) {
        out += matching_on ? " on (" : " ignoring (";
        out += JoinNames(matching_labels) + ")";
        if (card == Cardinality::kManyToOne || card == Cardinality::kOneToMany) {
          out += card == Cardinality::kManyToOne ? " group_left (" : " group_right (";
          out += JoinNames(include_labels) + ")";
        }
      }
      return out + " " + args[1]->String();
    }
    case NodeKind::kAggregate: {
      std::string out(OpName(op));
      if (without) {
        out += " without (" + JoinNames(grouping) + ") ";
      } else if (!grouping.empty()) {
        out += " by (" + JoinNames(grouping) + ") ";
      }
      out += "(";
      if (args.size() > 1) out += args[1]->String() + ", ";
      return out + args[0]->String() + ")";
    }
    case NodeKind::kCall: {
      std::string out = std::string(func ? func->name : "?") + "(";
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) out += ", ";
        out += args[i]->String();
      }
      return out + ")";
    }
  }
  return "";
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  auto unit = [&](const char* name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    int64_t v = ms / mult;
    if (v > 0) {
      out += std::to_string(v) + name;
      ms -= v * mult;
    }
  };
  const int64_t day = 24LL * 3600 * 1000;
  unit("y", 365 * day, true);
  unit("w", 7 * day, true);
  unit("d", day, false);
  unit("h", 3600 * 1000, false);
  unit("m", 60 * 1000, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}


}  // namespace vigil::promql
