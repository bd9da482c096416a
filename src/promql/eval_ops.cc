// Binary operators and aggregations, one evaluation step at a time, with
// Prometheus 2.42's matching, name-dropping and error rules.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "promql/evaluator.h"

namespace vigil::promql::internal {

tsdb::Labels DropMetricName(const tsdb::Labels& metric) {
  if (!metric.Has(tsdb::kMetricNameLabel)) return metric;
  return tsdb::LabelsBuilder(metric).Del(tsdb::kMetricNameLabel).Build();
}

bool HasDuplicateLabels(const Vector& v) {
  std::vector<std::pair<uint64_t, size_t>> hashes;
  hashes.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) hashes.emplace_back(v[i].metric.Hash(), i);
  std::sort(hashes.begin(), hashes.end());
  for (size_t i = 1; i < hashes.size(); ++i) {
    if (hashes[i].first == hashes[i - 1].first && v[hashes[i].second].metric == v[hashes[i - 1].second].metric) {
      return true;
    }
  }
  return false;
}

Status ExecutionError(std::string msg) { return Status::Internal(std::move(msg)); }

namespace {

bool Contains(const std::vector<std::string>& names, std::string_view n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

// The matching key of `m`: the `on` labels, or all but the `ignoring` ones
// and __name__.
std::string Signature(const tsdb::Labels& m, bool on, const std::vector<std::string>& names) {
  std::string key;
  for (const auto& l : m) {
    bool keep = on ? Contains(names, l.name) : (l.name != tsdb::kMetricNameLabel && !Contains(names, l.name));
    if (!keep) continue;
    key.append(l.name);
    key.push_back('\xff');
    key.append(l.value);
    key.push_back('\xff');
  }
  return key;
}

tsdb::Labels MatchedLabels(const tsdb::Labels& m, bool on, const std::vector<std::string>& names) {
  tsdb::LabelsBuilder b;
  for (const auto& l : m) {
    bool keep = on ? Contains(names, l.name) : (l.name != tsdb::kMetricNameLabel && !Contains(names, l.name));
    if (keep) b.Set(l.name, l.value);
  }
  return b.Build();
}

// Prometheus' vectorElemBinop: the value and whether to keep the element.
std::pair<double, bool> ElemBinop(Op op, double l, double r) {
  switch (op) {
    case Op::kAdd: return {l + r, true};
    case Op::kSub: return {l - r, true};
    case Op::kMul: return {l * r, true};
    case Op::kDiv: return {l / r, true};
    case Op::kPow: return {std::pow(l, r), true};
    case Op::kMod: return {std::fmod(l, r), true};
    case Op::kEql: return {l, l == r};
    case Op::kNeq: return {l, l != r};
    case Op::kGtr: return {l, l > r};
    case Op::kLss: return {l, l < r};
    case Op::kGte: return {l, l >= r};
    case Op::kLte: return {l, l <= r};
    case Op::kAtan2: return {std::atan2(l, r), true};
    default: return {0, false};
  }
}

tsdb::Labels ResultMetric(const tsdb::Labels& lhs, const tsdb::Labels& rhs, const Expr& e) {
  tsdb::LabelsBuilder b(lhs);
  if (DropsMetricName(e.op)) b.Del(tsdb::kMetricNameLabel);
  if (e.card == Cardinality::kOneToOne) {
    if (e.matching_on) {
      for (const auto& l : lhs) {
        if (!Contains(e.matching_labels, l.name)) b.Del(l.name);
      }
    } else {
      for (const auto& n : e.matching_labels) b.Del(n);
    }
  }
  for (const auto& n : e.include_labels) {
    std::string_view v = rhs.Get(n);
    if (v.empty()) {
      b.Del(n);
    } else {
      b.Set(n, v);
    }
  }
  return b.Build();
}

Status VectorBinop(const Expr& e, Vector& lhs_in, Vector& rhs_in, Vector* out) {
  if (lhs_in.empty() || rhs_in.empty()) return Status::Ok();
  const bool swap = e.card == Cardinality::kOneToMany;
  Vector& lhs = swap ? rhs_in : lhs_in;
  Vector& rhs = swap ? lhs_in : rhs_in;
  std::unordered_map<std::string, size_t> right_sigs;
  right_sigs.reserve(rhs.size());
  for (size_t i = 0; i < rhs.size(); ++i) {
    auto [it, inserted] = right_sigs.emplace(Signature(rhs[i].metric, e.matching_on, e.matching_labels), i);
    if (!inserted) {
      return ExecutionError(
          "found duplicate series for the match group " +
          MatchedLabels(rhs[i].metric, e.matching_on, e.matching_labels).ToString() + " on the " +
          (swap ? "left" : "right") + " hand-side of the operation: [" + rhs[i].metric.ToString() + ", " +
          rhs[it->second].metric.ToString() +
          "];many-to-many matching not allowed: matching labels must be unique on one side");
    }
  }
  std::unordered_map<std::string, std::unordered_set<uint64_t>> matched;
  for (auto& ls : lhs) {
    std::string sig = Signature(ls.metric, e.matching_on, e.matching_labels);
    auto found = right_sigs.find(sig);
    if (found == right_sigs.end()) continue;
    const Sample& rs = rhs[found->second];
    double vl = ls.v, vr = rs.v;
    if (swap) std::swap(vl, vr);
    auto [value, keep] = ElemBinop(e.op, vl, vr);
    if (e.return_bool) {
      value = keep ? 1.0 : 0.0;
    } else if (!keep) {
      continue;
    }
    tsdb::Labels metric = ResultMetric(ls.metric, rs.metric, e);
    if (e.return_bool) metric = DropMetricName(metric);
    auto [mit, first_match] = matched.try_emplace(sig);
    if (e.card == Cardinality::kOneToOne) {
      if (!first_match) {
        return ExecutionError(
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
      }
    } else if (!mit->second.insert(metric.Hash()).second) {
      return ExecutionError("multiple matches for labels: grouping labels must ensure unique matches");
    }
    out->push_back(Sample{std::move(metric), ls.t, value});
  }
  return Status::Ok();
}

void SetOp(const Expr& e, Vector& lhs, Vector& rhs, Vector* out) {
  auto sig = [&](const Sample& s) { return Signature(s.metric, e.matching_on, e.matching_labels); };
  switch (e.op) {
    case Op::kAnd: {
      if (lhs.empty() || rhs.empty()) return;
      std::unordered_set<std::string> right;
      for (const auto& s : rhs) right.insert(sig(s));
      for (auto& s : lhs) {
        if (right.count(sig(s))) out->push_back(std::move(s));
      }
      return;
    }
    case Op::kOr: {
      std::unordered_set<std::string> left;
      for (auto& s : lhs) {
        if (!rhs.empty()) left.insert(sig(s));
        out->push_back(std::move(s));
      }
      for (auto& s : rhs) {
        if (lhs.empty() || !left.count(sig(s))) out->push_back(std::move(s));
      }
      return;
    }
    default: {  // unless
      if (lhs.empty() || rhs.empty()) {
        for (auto& s : lhs) out->push_back(std::move(s));
        return;
      }
      std::unordered_set<std::string> right;
      for (const auto& s : rhs) right.insert(sig(s));
      for (auto& s : lhs) {
        if (!right.count(sig(s))) out->push_back(std::move(s));
      }
      return;
    }
  }
}

}  // namespace

double ScalarBinop(Op op, double l, double r) {
  auto [v, keep] = ElemBinop(op, l, r);
  if (IsComparisonOp(op)) return keep ? 1.0 : 0.0;
  return v;
}

Status BinaryStep(const Expr& e, StepArg& lhs, StepArg& rhs, Vector* out) {
  if (!lhs.is_scalar && !rhs.is_scalar) {
    if (IsSetOp(e.op)) {
      SetOp(e, lhs.vec, rhs.vec, out);
      return Status::Ok();
    }
    return VectorBinop(e, lhs.vec, rhs.vec, out);
  }
  const bool swap = lhs.is_scalar;
  Vector& vec = swap ? rhs.vec : lhs.vec;
  const double scalar = swap ? lhs.scalar : rhs.scalar;
  for (auto& s : vec) {
    double lv = s.v, rv = scalar;
    if (swap) std::swap(lv, rv);
    auto [value, keep] = ElemBinop(e.op, lv, rv);
    // A comparison keeps the vector element's value even when it is on the right.
    if (IsComparisonOp(e.op) && swap) value = rv;
    if (e.return_bool) {
      value = keep ? 1.0 : 0.0;
      keep = true;
    }
    if (!keep) continue;
    if (DropsMetricName(e.op) || e.return_bool) s.metric = DropMetricName(s.metric);
    s.v = value;
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return std::nan("");
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), [](double a, double b) { return std::isnan(a) ? !std::isnan(b) : a < b; });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

namespace {

// A binary heap with Go's container/heap algorithms, so that ties resolve as
// in Prometheus. `less(a, b)` orders the heap (smallest on top).
template <typename Less>
struct GoHeap {
  std::vector<Sample> items;
  Less less;
  void Up(size_t j) {
    while (j > 0) {
      size_t i = (j - 1) / 2;
      if (!less(items[j], items[i])) break;
      std::swap(items[i], items[j]);
      j = i;
    }
  }
  void Down(size_t i, size_t n) {
    for (;;) {
      size_t j1 = 2 * i + 1;
      if (j1 >= n) break;
      size_t j = j1;
      if (j1 + 1 < n && less(items[j1 + 1], items[j1])) j = j1 + 1;
      if (!less(items[j], items[i])) break;
      std::swap(items[i], items[j]);
      i = j;
    }
  }
  void Push(Sample s) {
    items.push_back(std::move(s));
    Up(items.size() - 1);
  }
  void Pop() {
    size_t n = items.size() - 1;
    std::swap(items[0], items[n]);
    Down(0, n);
    items.pop_back();
  }
  // Sorts by `less` reversed (largest first), stable like Go's insertion
  // sort for small inputs.
  void SortReverse() {
    std::stable_sort(items.begin(), items.end(), [&](const Sample& a, const Sample& b) { return less(b, a); });
  }
};

struct ByValue {
  bool operator()(const Sample& a, const Sample& b) const { return std::isnan(a.v) || a.v < b.v; }
};
struct ByReverseValue {
  bool operator()(const Sample& a, const Sample& b) const { return std::isnan(a.v) || a.v > b.v; }
};

struct Group {
  tsdb::Labels labels;
  double value = 0;
  double mean = 0;
  int64_t count = 0;
  GoHeap<ByValue> top;
  GoHeap<ByReverseValue> bottom;
  std::vector<double> values;
};

std::string GroupKey(const tsdb::Labels& m, const Expr& e, const std::vector<std::string>& grouping) {
  std::string key;
  for (const auto& l : m) {
    bool keep = e.without ? (l.name != tsdb::kMetricNameLabel && !Contains(grouping, l.name))
                          : Contains(grouping, l.name);
    if (!keep) continue;
    key.append(l.name);
    key.push_back('\xff');
    key.append(l.value);
    key.push_back('\xff');
  }
  return key;
}

}  // namespace

Status AggregateStep(const Expr& e, double param, const std::string& label, Vector& in, Vector* out) {
  const Op op = e.op;
  int64_t k = 0;
  if (op == Op::kTopk || op == Op::kBottomk) {
    if (!(param >= -9.2e18 && param <= 9.2e18)) {
      return ExecutionError("Scalar value " + FormatGoFloat(param) + " overflows int64");
    }
    k = static_cast<int64_t>(param);
    if (k < 1) return Status::Ok();
  }
  std::vector<std::string> grouping = e.grouping;
  if (op == Op::kCountValues && !e.without) grouping.push_back(label);
  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  for (auto& s : in) {
    if (op == Op::kCountValues) {
      char buf[64];
      std::string formatted;
      if (std::isnan(s.v)) {
        formatted = "NaN";
      } else if (std::isinf(s.v)) {
        formatted = s.v > 0 ? "+Inf" : "-Inf";
      } else {
        auto r = std::to_chars(buf, buf + sizeof(buf), s.v, std::chars_format::fixed);
        formatted.assign(buf, r.ptr);
      }
      s.metric = tsdb::LabelsBuilder(s.metric).Set(label, formatted).Build();
    }
    auto [it, is_new] = index.try_emplace(GroupKey(s.metric, e, grouping), groups.size());
    if (is_new) {
      Group g;
      tsdb::LabelsBuilder b;
      if (e.without) {
        b.Reset(s.metric);
        for (const auto& n : grouping) b.Del(n);
        b.Del(tsdb::kMetricNameLabel);
      } else {
        for (const auto& n : grouping) b.Set(n, s.metric.Get(n));
      }
      g.labels = b.Build();
      g.value = s.v;
      g.mean = s.v;
      g.count = 1;
      switch (op) {
        case Op::kStddev:
        case Op::kStdvar: g.value = 0; break;
        case Op::kTopk: g.top.Push(s); break;
        case Op::kBottomk: g.bottom.Push(s); break;
        case Op::kQuantile: g.values.push_back(s.v); break;
        case Op::kGroup: g.value = 1; break;
        default: break;
      }
      groups.push_back(std::move(g));
      continue;
    }
    Group& g = groups[it->second];
    switch (op) {
      case Op::kSum: g.value += s.v; break;
      case Op::kAvg: {
        ++g.count;
        if (std::isinf(g.mean)) {
          if (std::isinf(s.v) && (g.mean > 0) == (s.v > 0)) break;
          if (!std::isinf(s.v) && !std::isnan(s.v)) break;
        }
        const double n = static_cast<double>(g.count);
        g.mean += s.v / n - g.mean / n;
        break;
      }
      case Op::kMax:
        if (g.value < s.v || std::isnan(g.value)) g.value = s.v;
        break;
      case Op::kMin:
        if (g.value > s.v || std::isnan(g.value)) g.value = s.v;
        break;
      case Op::kCount:
      case Op::kCountValues: ++g.count; break;
      case Op::kStddev:
      case Op::kStdvar: {
        ++g.count;
        double delta = s.v - g.mean;
        g.mean += delta / static_cast<double>(g.count);
        g.value += delta * (s.v - g.mean);
        break;
      }
      case Op::kTopk:
        if (static_cast<int64_t>(g.top.items.size()) < k || g.top.items[0].v < s.v || std::isnan(g.top.items[0].v)) {
          if (static_cast<int64_t>(g.top.items.size()) == k) {
            if (k == 1) {
              g.top.items[0] = s;
              break;
            }
            g.top.Pop();
          }
          g.top.Push(s);
        }
        break;
      case Op::kBottomk:
        if (static_cast<int64_t>(g.bottom.items.size()) < k || g.bottom.items[0].v > s.v ||
            std::isnan(g.bottom.items[0].v)) {
          if (static_cast<int64_t>(g.bottom.items.size()) == k) {
            if (k == 1) {
              g.bottom.items[0] = s;
              break;
            }
            g.bottom.Pop();
          }
          g.bottom.Push(s);
        }
        break;
      case Op::kQuantile: g.values.push_back(s.v); break;
      default: break;
    }
  }
  for (auto& g : groups) {
    switch (op) {
      case Op::kAvg: g.value = g.mean; break;
      case Op::kCount:
      case Op::kCountValues: g.value = static_cast<double>(g.count); break;
      case Op::kStdvar: g.value = g.value / static_cast<double>(g.count); break;
      case Op::kStddev: g.value = std::sqrt(g.value / static_cast<double>(g.count)); break;
      case Op::kTopk:
        g.top.SortReverse();
        for (auto& s : g.top.items) out->push_back(std::move(s));
        continue;
      case Op::kBottomk:
        g.bottom.SortReverse();
        for (auto& s : g.bottom.items) out->push_back(std::move(s));
        continue;
      case Op::kQuantile: g.value = Quantile(param, g.values); break;
      default: break;
    }
    out->push_back(Sample{std::move(g.labels), 0, g.value});
  }
  return Status::Ok();
}

}  // namespace vigil::promql::internal

namespace vigil::promql::internal {

bool AggregateMatrixSupported(Op op) {
  switch (op) {
    case Op::kSum: case Op::kAvg: case Op::kCount: case Op::kMin: case Op::kMax: case Op::kGroup:
    case Op::kStddev: case Op::kStdvar: return true;
    default: return false;
  }
}

Matrix AggregateMatrix(const Expr& e, Matrix& in, int64_t start, int64_t interval, size_t steps) {
  // Each input series belongs to one group for all steps, so its group is
  // found once; accumulators are per (group, step). Samples are added in
  // input order per step, as the per-step evaluation would.
  struct Acc {
    double value = 0, mean = 0;
    int64_t count = 0;
  };
  std::unordered_map<std::string, size_t> index;
  std::vector<tsdb::Labels> group_labels;
  std::vector<std::vector<Acc>> acc;
  const Op op = e.op;
  for (auto& s : in) {
    auto [it, is_new] = index.try_emplace(GroupKey(s.metric, e, e.grouping), group_labels.size());
    if (is_new) {
      tsdb::LabelsBuilder b;
      if (e.without) {
        b.Reset(s.metric);
        for (const auto& n : e.grouping) b.Del(n);
        b.Del(tsdb::kMetricNameLabel);
      } else {
        for (const auto& n : e.grouping) b.Set(n, s.metric.Get(n));
      }
      group_labels.push_back(b.Build());
      acc.emplace_back(steps);
    }
    std::vector<Acc>& g = acc[it->second];
    for (const Point& p : s.points) {
      Acc& a = g[static_cast<size_t>((p.timestamp_ms - start) / interval)];
      const double v = p.value;
      if (a.count == 0) {
        a.count = 1;
        a.value = (op == Op::kStddev || op == Op::kStdvar) ? 0 : (op == Op::kGroup ? 1 : v);
        a.mean = v;
        continue;
      }
      switch (op) {
        case Op::kSum: a.value += v; ++a.count; break;
        case Op::kAvg: {
          ++a.count;
          if (std::isinf(a.mean)) {
            if (std::isinf(v) && (a.mean > 0) == (v > 0)) break;
            if (!std::isinf(v) && !std::isnan(v)) break;
          }
          const double n = static_cast<double>(a.count);
          a.mean += v / n - a.mean / n;
          break;
        }
        case Op::kMax:
          ++a.count;
          if (a.value < v || std::isnan(a.value)) a.value = v;
          break;
        case Op::kMin:
          ++a.count;
          if (a.value > v || std::isnan(a.value)) a.value = v;
          break;
        case Op::kStddev:
        case Op::kStdvar: {
          ++a.count;
          double delta = v - a.mean;
          a.mean += delta / static_cast<double>(a.count);
          a.value += delta * (v - a.mean);
          break;
        }
        default: ++a.count; break;
      }
    }
  }
  Matrix out;
  out.reserve(group_labels.size());
  for (size_t g = 0; g < group_labels.size(); ++g) {
    Series s{std::move(group_labels[g]), {}};
    for (size_t i = 0; i < steps; ++i) {
      const Acc& a = acc[g][i];
      if (a.count == 0) continue;
      double v = a.value;
      const double n = static_cast<double>(a.count);
      switch (op) {
        case Op::kAvg: v = a.mean; break;
        case Op::kCount: v = n; break;
        case Op::kStdvar: v = a.value / n; break;
        case Op::kStddev: v = std::sqrt(a.value / n); break;
        default: break;
      }
      s.points.push_back({start + static_cast<int64_t>(i) * interval, v});
    }
    if (!s.points.empty()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vigil::promql::internal
