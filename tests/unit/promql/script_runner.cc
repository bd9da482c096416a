#include "script_runner.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "memory_querier.h"
#include "promql/lexer.h"
#include "promql/parser.h"
#include "promql/selector.h"

namespace vigil::promql::testing {
namespace {

constexpr double kStaleNaN = [] {
  return std::bit_cast<double>(uint64_t{0x7ff0000000000002ULL});
}();

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// Parses "name{a="b", ...}" at the start of `line`; returns the label set
// and sets *rest to what follows.
Result<tsdb::Labels> ParseSeriesLabels(std::string_view line, std::string_view* rest) {
  tsdb::LabelsBuilder b;
  size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':')) {
    ++i;
  }
  if (i > 0) b.Set(tsdb::kMetricNameLabel, line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
      if (i >= line.size()) return Status::InvalidArgument("unterminated label set");
      if (line[i] == '}') {
        ++i;
        break;
      }
      size_t ns = i;
      while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
      std::string_view name = line.substr(ns, i - ns);
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || line[i] != '=') return Status::InvalidArgument("expected '=' in label set");
      ++i;
      while (i < line.size() && line[i] == ' ') ++i;
      auto value = ParseStringLiteral(line, &i);
      if (!value.ok()) return value.status();
      b.Set(name, *value);
    }
  }
  if (i == 0) return Status::InvalidArgument("no series in line");
  *rest = line.substr(i);
  return b.Build();
}

// Parses one value item of a series description into `out` (nullopt for
// an omitted sample).
Status ExpandValueItem(const std::string& item, std::vector<std::optional<double>>* out) {
  if (item == "_") return out->push_back(std::nullopt), Status::Ok();
  if (item == "stale") return out->push_back(kStaleNaN), Status::Ok();
  size_t x = item.rfind('x');
  if (x == std::string::npos) {
    auto v = ParseNumber(item);
    if (!v.ok()) return v.status();
    out->push_back(*v);
    return Status::Ok();
  }
  int64_t times = std::stoll(item.substr(x + 1));
  std::string head = item.substr(0, x);
  if (head == "_") {
    for (int64_t k = 0; k < times; ++k) out->push_back(std::nullopt);
    return Status::Ok();
  }
  size_t split = std::string::npos;
  for (size_t i = 1; i < head.size(); ++i) {
    if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') {
      split = i;
      break;
    }
  }
  auto start = ParseNumber(head.substr(0, split));
  if (!start.ok()) return start.status();
  double step = 0;
  if (split != std::string::npos) {
    auto inc = ParseNumber(head.substr(split + 1));
    if (!inc.ok()) return inc.status();
    step = head[split] == '-' ? -*inc : *inc;
  }
  for (int64_t k = 0; k <= times; ++k) out->push_back(*start + static_cast<double>(k) * step);
  return Status::Ok();
}

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kEpsilon = 0.000001, kMinNormal = 2.2250738585072014e-308;
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < kEpsilon;
}

struct Expected {
  bool scalar = false;
  double scalar_value = 0;
  std::vector<std::pair<tsdb::Labels, double>> series;  // in expected order
};

std::string Show(double v) { return FormatGoFloat(v); }

// Compares a query result to the expectation; returns "" when it matches.
std::string Compare(const Value& got, const Expected& want, bool ordered) {
  if (want.scalar) {
    const auto* s = std::get_if<Scalar>(&got);
    if (!s) return "expected scalar, got " + std::string(ResultTypeName(got));
    if (!AlmostEqual(want.scalar_value, s->v)) return "expected scalar " + Show(want.scalar_value) + ", got " + Show(s->v);
    return "";
  }
  const auto* vec = std::get_if<Vector>(&got);
  if (!vec) return "expected vector, got " + std::string(ResultTypeName(got));
  std::map<tsdb::Labels, std::pair<size_t, double>> expected;
  for (size_t i = 0; i < want.series.size(); ++i) expected[want.series[i].first] = {i, want.series[i].second};
  if (vec->size() != want.series.size()) {
    std::string msg = "expected " + std::to_string(want.series.size()) + " samples, got " +
                      std::to_string(vec->size()) + ":";
    for (const auto& s : *vec) msg += " " + s.metric.ToString() + "=" + Show(s.v);
    return msg;
  }
  for (size_t pos = 0; pos < vec->size(); ++pos) {
    const Sample& s = (*vec)[pos];
    auto it = expected.find(s.metric);
    if (it == expected.end()) return "unexpected metric " + s.metric.ToString() + " in result";
    if (ordered && it->second.first != pos) {
      return "expected metric " + s.metric.ToString() + " at position " + std::to_string(it->second.first + 1) +
             " but was at " + std::to_string(pos + 1);
    }
    if (!AlmostEqual(it->second.second, s.v)) {
      return "expected " + Show(it->second.second) + " for " + s.metric.ToString() + " but got " + Show(s.v);
    }
  }
  return "";
}

bool CallsAtUnsafeFunction(const Expr& e) {
  if (e.kind == NodeKind::kCall) {
    static const char* kUnsafe[] = {"days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour",
                                    "minute",        "month",        "year",        "predict_linear", "time",
                                    "timestamp"};
    for (const char* n : kUnsafe) {
      if (e.func->name == n) return true;
    }
  }
  for (const auto& a : e.args) {
    if (CallsAtUnsafeFunction(*a)) return true;
  }
  return false;
}

// Pins every selector and subquery without `@` to `ts`, except inside
// subqueries that are pinned (as the reference runner does).
void PinAt(Expr* e, int64_t ts) {
  if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kSubquery) {
    if (e->at_kind == AtKind::kNone) {
      e->at_kind = AtKind::kTimestamp;
      e->at_ms = ts;
    }
    if (e->kind == NodeKind::kSubquery) return;
  }
  for (auto& a : e->args) PinAt(a.get(), ts);
}

class Runner {
 public:
  explicit Runner(const EngineOptions& options) : engine_(options) {}

  ScriptOutcome Run(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(Trim(l));
    ScriptOutcome out;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      if (l.empty() || l[0] == '#') continue;
      std::vector<std::string> words = SplitWords(l);
      std::string cmd = words[0];
      for (auto& c : cmd) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (cmd == "clear") {
        storage_.Clear();
      } else if (cmd == "load") {
        size_t end = i + 1;
        while (end < lines.size() && !lines[end].empty()) ++end;
        Status s = Load(words.size() > 1 ? words[1] : "", lines, i + 1, end);
        if (!s.ok()) {
          out.error = "line " + std::to_string(i + 1) + ": " + s.message();
          return out;
        }
        i = end;
      } else if (cmd == "eval" || cmd == "eval_fail" || cmd == "eval_ordered") {
        size_t end = i + 1;
        while (end < lines.size() && !lines[end].empty() && lines[end][0] != '#') ++end;
        EvalOutcome eo;
        eo.line = static_cast<int>(i + 1);
        eo.command = l;
        eo.failure = Eval(cmd, l, lines, i + 1, end);
        eo.passed = eo.failure.empty();
        out.evals.push_back(std::move(eo));
        i = end - 1;
      } else {
        out.error = "line " + std::to_string(i + 1) + ": unknown command " + cmd;
        return out;
      }
    }
    return out;
  }

 private:
  Status Load(const std::string& interval, const std::vector<std::string>& lines, size_t begin, size_t end) {
    auto gap = ParseDuration(interval);
    if (!gap.ok()) return gap.status();
    for (size_t i = begin; i < end; ++i) {
      std::string_view rest;
      auto labels = ParseSeriesLabels(lines[i], &rest);
      if (!labels.ok()) return labels.status();
      std::vector<std::optional<double>> values;
      for (const auto& item : SplitWords(rest)) {
        Status s = ExpandValueItem(item, &values);
        if (!s.ok()) return s;
      }
      for (size_t k = 0; k < values.size(); ++k) {
        if (values[k]) storage_.Add(*labels, static_cast<int64_t>(k) * *gap, *values[k]);
      }
    }
    return Status::Ok();
  }

  // Runs one eval command; returns "" on success or the reason it failed.
  std::string Eval(const std::string& cmd, const std::string& line, const std::vector<std::string>& lines,
                   size_t begin, size_t end) {
    const bool fail = cmd == "eval_fail", ordered = cmd == "eval_ordered";
    std::string_view rest = line;
    rest.remove_prefix(cmd.size());
    std::string r = Trim(rest);
    if (r.rfind("instant", 0) != 0) return "unsupported eval form";
    r = Trim(r.substr(7));
    int64_t t = 0;
    if (r.rfind("at ", 0) == 0) {
      r = Trim(r.substr(3));
      size_t sp = r.find_first_of(" \t");
      auto d = ParseDuration(r.substr(0, sp));
      if (!d.ok()) return "bad time: " + d.status().message();
      t = *d;
      r = sp == std::string::npos ? "" : Trim(r.substr(sp));
    }
    const std::string expr = r;
    auto parsed = ParseExpr(expr);
    if (!parsed.ok()) return "parse error: " + parsed.status().message();

    Expected want;
    for (size_t i = begin; i < end; ++i) {
      auto num = ParseNumber(lines[i]);
      if (num.ok()) {
        want.scalar = true;
        want.scalar_value = *num;
        continue;
      }
      std::string_view vrest;
      auto labels = ParseSeriesLabels(lines[i], &vrest);
      if (!labels.ok()) return "bad expectation line: " + lines[i];
      std::vector<std::optional<double>> vals;
      for (const auto& item : SplitWords(vrest)) {
        if (!ExpandValueItem(item, &vals).ok()) return "bad expectation value: " + lines[i];
      }
      if (vals.empty() || !vals[0]) return "bad expectation value: " + lines[i];
      want.series.emplace_back(*labels, *vals[0]);
    }

    // The instant query, then the @-pinned variants at other times.
    std::vector<std::pair<const Expr*, int64_t>> cases = {{parsed->get(), t}};
    std::unique_ptr<Expr> pinned;
    if (!CallsAtUnsafeFunction(**parsed)) {
      auto again = ParseExpr(expr);
      pinned = std::move(*again);
      PinAt(pinned.get(), t);
      std::vector<int64_t> times = t == 0 ? std::vector<int64_t>{-1000, 1000}
                                          : std::vector<int64_t>{-10 * t, 0, t / 5, t, 10 * t};
      for (int64_t et : times) cases.emplace_back(pinned.get(), et);
    }
    const QueryableFn queryable = storage_.Queryable();
    for (const auto& [e, et] : cases) {
      const std::string variant = e == parsed->get() ? "" : " (pinned with @, evaluated at " + std::to_string(et) + "ms)";
      QueryResult res = engine_.Exec(queryable, *e, et, et, 0);
      if (!res.ok()) {
        if (fail) continue;
        return "error evaluating" + variant + ": " + res.error().message;
      }
      if (fail) return "expected an error" + variant + " but got none";
      std::string diff = Compare(res.value(), want, ordered);
      if (!diff.empty()) return diff + variant;
      // Range mode: the point at `et` of a range query around it.
      QueryResult range = engine_.Exec(queryable, *e, et - 60000, et + 60000, 60000);
      if (!range.ok()) return "error in range mode" + variant + ": " + range.error().message;
      if (ordered) continue;
      Vector at;
      for (const auto& s : std::get<Matrix>(range.value())) {
        for (const auto& p : s.points) {
          if (p.timestamp_ms == et) {
            at.push_back(Sample{s.metric, p.timestamp_ms, p.value});
            break;
          }
        }
      }
      Value as_value = want.scalar && !at.empty() ? Value(Scalar{et, at[0].v}) : Value(std::move(at));
      diff = Compare(as_value, want, false);
      if (!diff.empty()) return "range mode" + variant + ": " + diff;
    }
    return "";
  }

  MemoryStorage storage_;
  Engine engine_;
};

}  // namespace

ScriptOutcome RunScript(const std::string& text, const EngineOptions& options) {
  Runner runner(options);
  return runner.Run(text);
}

}  // namespace vigil::promql::testing
