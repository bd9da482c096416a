// PromQL functions (Prometheus 2.42 functions.go semantics): functions over
// range windows (rate, *_over_time, ...) and per-step instant functions.

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>

#include "promql/evaluator.h"

namespace vigil::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Neumaier-compensated addition, as Prometheus' kahanSumInc.
void KahanAdd(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// Go's math.Max / math.Min: NaN wins, +0 > -0.
double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// ---- range-window functions ------------------------------------------------

// Prometheus' extrapolatedRate: the increase over the window, extrapolated
// towards its edges (at most half an average sample interval beyond the
// outermost samples, and for counters not below zero).
bool ExtrapolatedRate(const RangeWindow& w, bool is_counter, bool is_rate, double* out) {
  const auto& p = w.points;
  if (p.size() < 2) return false;
  double result = p.back().value - p.front().value;
  if (is_counter && w.may_have_counter_reset) {
    double last = 0;
    for (const auto& s : p) {
      if (s.value < last) result += last;
      last = s.value;
    }
  }
  double to_start = static_cast<double>(p.front().timestamp_ms - w.range_start) / 1000;
  double to_end = static_cast<double>(w.range_end - p.back().timestamp_ms) / 1000;
  double sampled = static_cast<double>(p.back().timestamp_ms - p.front().timestamp_ms) / 1000;
  double avg_between = sampled / static_cast<double>(p.size() - 1);
  if (is_counter && result > 0 && p.front().value >= 0) {
    double to_zero = sampled * (p.front().value / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  result = result * (interval / sampled);
  if (is_rate) result /= static_cast<double>(w.range_ms) / 1000;
  *out = result;
  return true;
}

bool FnRate(const RangeWindow& w, double* out) { return ExtrapolatedRate(w, true, true, out); }
bool FnIncrease(const RangeWindow& w, double* out) { return ExtrapolatedRate(w, true, false, out); }
bool FnDelta(const RangeWindow& w, double* out) { return ExtrapolatedRate(w, false, false, out); }

bool InstantValue(const RangeWindow& w, bool is_rate, double* out) {
  const auto& p = w.points;
  if (p.size() < 2) return false;
  const Point& last = p[p.size() - 1];
  const Point& prev = p[p.size() - 2];
  double result = (is_rate && last.value < prev.value) ? last.value : last.value - prev.value;
  int64_t interval = last.timestamp_ms - prev.timestamp_ms;
  if (interval == 0) return false;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  *out = result;
  return true;
}
bool FnIrate(const RangeWindow& w, double* out) { return InstantValue(w, true, out); }
bool FnIdelta(const RangeWindow& w, double* out) { return InstantValue(w, false, out); }

// Least-squares fit of value over (t - intercept_time) in seconds.
void LinearRegression(std::span<const Point> p, int64_t intercept_time, double* slope, double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  const double init_y = p[0].value;
  bool const_y = true;
  for (size_t i = 0; i < p.size(); ++i) {
    if (const_y && i > 0 && p[i].value != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(p[i].timestamp_ms - intercept_time) / 1e3;
    KahanAdd(x, &sx, &cx);
    KahanAdd(p[i].value, &sy, &cy);
    KahanAdd(x * p[i].value, &sxy, &cxy);
    KahanAdd(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = *intercept = kNaN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  double cov = sxy - sx * sy / n;
  double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

bool FnDeriv(const RangeWindow& w, double* out) {
  if (w.points.size() < 2) return false;
  double slope, intercept;
  LinearRegression(w.points, w.points[0].timestamp_ms, &slope, &intercept);
  *out = slope;
  return true;
}

bool FnPredictLinear(const RangeWindow& w, double* out) {
  if (w.points.size() < 2) return false;
  double slope, intercept;
  LinearRegression(w.points, w.ts, &slope, &intercept);
  *out = slope * w.scalars[0] + intercept;
  return true;
}

bool FnHoltWinters(const RangeWindow& w, double* out) {
  const auto& p = w.points;
  if (p.size() < 2) return false;
  const double sf = w.scalars[0], tf = w.scalars[1];
  double s0 = 0, s1 = p[0].value, b = p[1].value - p[0].value;
  for (size_t i = 1; i < p.size(); ++i) {
    double x = sf * p[i].value;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  *out = s1;
  return true;
}

bool FnChanges(const RangeWindow& w, double* out) {
  double changes = 0;
  for (size_t i = 1; i < w.points.size(); ++i) {
    double cur = w.points[i].value, prev = w.points[i - 1].value;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++changes;
  }
  *out = changes;
  return true;
}

bool FnResets(const RangeWindow& w, double* out) {
  double resets = 0;
  for (size_t i = 1; i < w.points.size(); ++i) {
    if (w.points[i].value < w.points[i - 1].value) ++resets;
  }
  *out = resets;
  return true;
}

bool FnAvgOverTime(const RangeWindow& w, double* out) {
  double mean = 0, c = 0, count = 0;
  for (const auto& p : w.points) {
    ++count;
    if (std::isinf(mean)) {
      if (std::isinf(p.value) && (mean > 0) == (p.value > 0)) continue;
      if (!std::isinf(p.value) && !std::isnan(p.value)) continue;
    }
    KahanAdd(p.value / count - mean / count, &mean, &c);
  }
  *out = std::isinf(mean) ? mean : mean + c;
  return true;
}

bool FnCountOverTime(const RangeWindow& w, double* out) {
  *out = static_cast<double>(w.points.size());
  return true;
}

bool FnMaxOverTime(const RangeWindow& w, double* out) {
  double m = w.points[0].value;
  for (const auto& p : w.points) {
    if (p.value > m || std::isnan(m)) m = p.value;
  }
  *out = m;
  return true;
}

bool FnMinOverTime(const RangeWindow& w, double* out) {
  double m = w.points[0].value;
  for (const auto& p : w.points) {
    if (p.value < m || std::isnan(m)) m = p.value;
  }
  *out = m;
  return true;
}

bool FnSumOverTime(const RangeWindow& w, double* out) {
  double sum = 0, c = 0;
  for (const auto& p : w.points) KahanAdd(p.value, &sum, &c);
  *out = std::isinf(sum) ? sum : sum + c;
  return true;
}

bool FnQuantileOverTime(const RangeWindow& w, double* out) {
  std::vector<double> values;
  values.reserve(w.points.size());
  for (const auto& p : w.points) values.push_back(p.value);
  *out = Quantile(w.scalars[0], values);
  return true;
}

double StdvarOverTime(const RangeWindow& w) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const auto& p : w.points) {
    ++count;
    double delta = p.value - (mean + c_mean);
    KahanAdd(delta / count, &mean, &c_mean);
    KahanAdd(delta * (p.value - (mean + c_mean)), &aux, &c_aux);
  }
  return (aux + c_aux) / count;
}
bool FnStdvarOverTime(const RangeWindow& w, double* out) {
  *out = StdvarOverTime(w);
  return true;
}
bool FnStddevOverTime(const RangeWindow& w, double* out) {
  *out = std::sqrt(StdvarOverTime(w));
  return true;
}

bool FnLastOverTime(const RangeWindow& w, double* out) {
  *out = w.points.back().value;
  return true;
}

bool FnPresentOverTime(const RangeWindow&, double* out) {
  *out = 1;
  return true;
}

// ---- instant functions -----------------------------------------------------

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == NodeKind::kParen) p = p->args[0].get();
  return *p;
}

const std::string& StringArg(const Expr& call, size_t i) { return Unparen(*call.args[i]).text; }

// Go's strconv.ParseFloat for bucket bounds ("+Inf", "0.5", "1e3").
bool ParseGoFloat(std::string_view s, double* out) {
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  std::string_view body = lower;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") {
    *out = neg ? -kInf : kInf;
    return true;
  }
  if (body == "nan") {
    *out = kNaN;
    return true;
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  if (r.ptr != body.data() + body.size()) return false;
  if (r.ec == std::errc::result_out_of_range) v = std::strtod(std::string(body).c_str(), nullptr);
  else if (r.ec != std::errc()) return false;
  *out = neg ? -v : v;
  return true;
}

struct Bucket {
  double upper;
  double count;
};

// Prometheus' bucketQuantile for classic histograms.
double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::stable_sort(buckets.begin(), buckets.end(), [](const Bucket& a, const Bucket& b) { return a.upper < b.upper; });
  if (!(std::isinf(buckets.back().upper) && buckets.back().upper > 0)) return kNaN;
  // Merge buckets with the same bound, then force monotonic counts.
  size_t n = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (n > 0 && buckets[n - 1].upper == buckets[i].upper) {
      buckets[n - 1].count += buckets[i].count;
    } else {
      buckets[n++] = buckets[i];
    }
  }
  buckets.resize(n);
  double max = -kInf;
  for (auto& b : buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
  if (buckets.size() < 2) return kNaN;
  double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  while (b < buckets.size() - 1 && !(buckets[b].count >= rank)) ++b;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper;
  if (b == 0 && buckets[0].upper <= 0) return buckets[0].upper;
  double start = 0, end = buckets[b].upper, count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

Status HistogramQuantile(double q, Vector& in, Vector* out) {
  std::vector<std::pair<tsdb::Labels, std::vector<Bucket>>> groups;
  std::unordered_map<std::string, size_t> index;
  for (auto& s : in) {
    double upper;
    if (!ParseGoFloat(s.metric.Get("le"), &upper)) continue;
    std::string key;
    for (const auto& l : s.metric) {
      if (l.name == "le") continue;
      key.append(l.name);
      key.push_back('\xff');
      key.append(l.value);
      key.push_back('\xff');
    }
    auto [it, is_new] = index.try_emplace(std::move(key), groups.size());
    if (is_new) {
      groups.emplace_back(tsdb::LabelsBuilder(s.metric).Del("le").Del(tsdb::kMetricNameLabel).Build(),
                          std::vector<Bucket>{});
    }
    groups[it->second].second.push_back(Bucket{upper, s.v});
  }
  for (auto& [labels, buckets] : groups) out->push_back(Sample{std::move(labels), 0, BucketQuantile(q, buckets)});
  return Status::Ok();
}

// Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$.
std::string ExpandTemplate(const RE2& re, std::string_view tmpl, const std::vector<re2::StringPiece>& groups) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c != '$') {
      out.push_back(c);
      ++i;
      continue;
    }
    ++i;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    size_t j = i;
    bool brace = j < tmpl.size() && tmpl[j] == '{';
    if (brace) ++j;
    size_t name_start = j;
    while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) ++j;
    std::string_view name = tmpl.substr(name_start, j - name_start);
    if (name.empty() || (brace && (j >= tmpl.size() || tmpl[j] != '}'))) {
      out.push_back('$');  // malformed: keep the '$' as text
      continue;
    }
    if (brace) ++j;
    i = j;
    int num = 0;
    for (char d : name) {
      if (d < '0' || d > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (d - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num < 0) {
      auto it = names.find(std::string(name));
      if (it != names.end()) num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
      out.append(groups[num].data(), groups[num].size());
    }
  }
  return out;
}

Status LabelReplace(const Expr& call, Vector& in, Vector* out) {
  const std::string& dst = StringArg(call, 1);
  const std::string& repl = StringArg(call, 2);
  const std::string& src = StringArg(call, 3);
  const std::string& regex = StringArg(call, 4);
  thread_local std::string cached_pattern;
  thread_local std::unique_ptr<RE2> cached;
  if (!cached || cached_pattern != regex) {
    RE2::Options opts;
    opts.set_log_errors(false);
    cached = std::make_unique<RE2>("^(?:" + regex + ")$", opts);
    cached_pattern = regex;
  }
  if (!cached->ok()) return ExecutionError("invalid regular expression in label_replace(): " + regex);
  if (!tsdb::IsValidLabelName(dst)) return ExecutionError("invalid destination label name in label_replace(): " + dst);
  const RE2& re = *cached;
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  for (auto& s : in) {
    std::string_view value = s.metric.Get(src);
    re2::StringPiece input(value.data(), value.size());
    if (re.Match(input, 0, input.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
      std::string res = ExpandTemplate(re, repl, groups);
      tsdb::LabelsBuilder b(s.metric);
      b.Del(dst);
      if (!res.empty()) b.Set(dst, res);
      s.metric = b.Build();
    }
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

Status LabelJoin(const Expr& call, Vector& in, Vector* out) {
  const std::string& dst = StringArg(call, 1);
  const std::string& sep = StringArg(call, 2);
  std::vector<std::string> srcs;
  for (size_t i = 3; i < call.args.size(); ++i) {
    const std::string& s = StringArg(call, i);
    if (!tsdb::IsValidLabelName(s)) return ExecutionError("invalid source label name in label_join(): " + s);
    srcs.push_back(s);
  }
  if (!tsdb::IsValidLabelName(dst)) return ExecutionError("invalid destination label name in label_join(): " + dst);
  for (auto& s : in) {
    std::string joined;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (i) joined += sep;
      joined += s.metric.Get(srcs[i]);
    }
    s.metric = tsdb::LabelsBuilder(s.metric).Set(dst, joined).Build();
    out->push_back(std::move(s));
  }
  return Status::Ok();
}

// Civil date of a Unix time (seconds), UTC.
struct Civil {
  int64_t year;
  int month, day, hour, minute, wday, yday;
};

Civil ToCivil(double seconds) {
  int64_t t = static_cast<int64_t>(seconds);
  int64_t days = t / 86400, rem = t % 86400;
  if (rem < 0) rem += 86400, --days;
  Civil c{};
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  static constexpr int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  c.yday = kCum[c.month - 1] + c.day + (leap && c.month > 2 ? 1 : 0);
  return c;
}

double DaysInMonth(const Civil& c) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  return kDays[c.month - 1] + (c.month == 2 && leap ? 1 : 0);
}

double MathFn(std::string_view name, double v, bool* found) {
  *found = true;
  if (name == "abs") return std::fabs(v);
  if (name == "ceil") return std::ceil(v);
  if (name == "floor") return std::floor(v);
  if (name == "exp") return std::exp(v);
  if (name == "sqrt") return std::sqrt(v);
  if (name == "ln") return std::log(v);
  if (name == "log2") return std::log2(v);
  if (name == "log10") return std::log10(v);
  if (name == "sin") return std::sin(v);
  if (name == "cos") return std::cos(v);
  if (name == "tan") return std::tan(v);
  if (name == "asin") return std::asin(v);
  if (name == "acos") return std::acos(v);
  if (name == "atan") return std::atan(v);
  if (name == "sinh") return std::sinh(v);
  if (name == "cosh") return std::cosh(v);
  if (name == "tanh") return std::tanh(v);
  if (name == "asinh") return std::asinh(v);
  if (name == "acosh") return std::acosh(v);
  if (name == "atanh") return std::atanh(v);
  if (name == "deg") return v * 180 / M_PI;
  if (name == "rad") return v * M_PI / 180;
  if (name == "sgn") return v < 0 ? -1 : (v > 0 ? 1 : v);
  *found = false;
  return 0;
}

bool DateFn(std::string_view name, double v, double* out) {
  if (std::isnan(v) || std::isinf(v)) {
    *out = kNaN;
    return name == "day_of_month" || name == "day_of_week" || name == "day_of_year" || name == "days_in_month" ||
           name == "hour" || name == "minute" || name == "month" || name == "year";
  }
  Civil c = ToCivil(v);
  if (name == "day_of_month") *out = c.day;
  else if (name == "day_of_week") *out = c.wday;
  else if (name == "day_of_year") *out = c.yday;
  else if (name == "days_in_month") *out = DaysInMonth(c);
  else if (name == "hour") *out = c.hour;
  else if (name == "minute") *out = c.minute;
  else if (name == "month") *out = c.month;
  else if (name == "year") *out = static_cast<double>(c.year);
  else return false;
  return true;
}

}  // namespace

Status CheckHoltWintersFactors(std::span<const double> factors) {
  static constexpr const char* kNames[] = {"smoothing factor. Expected: 0 < sf < 1",
                                           "trend factor. Expected: 0 < tf < 1"};
  for (size_t i = 0; i < 2 && i < factors.size(); ++i) {
    const double f = factors[i];
    if (f <= 0 || f >= 1) {
      char buf[400];  // Go's %f: six decimals, infinities as +Inf/-Inf
      if (std::isinf(f)) std::snprintf(buf, sizeof(buf), "%s", f > 0 ? "+Inf" : "-Inf");
      else std::snprintf(buf, sizeof(buf), "%f", f);
      return ExecutionError(std::string("invalid ") + kNames[i] + ", got: " + buf);
    }
  }
  return Status::Ok();
}

RangeFunction LookupRangeFunction(std::string_view name) {
  static constexpr std::pair<std::string_view, RangeFunction> kFns[] = {
      {"rate", FnRate},
      {"increase", FnIncrease},
      {"delta", FnDelta},
      {"irate", FnIrate},
      {"idelta", FnIdelta},
      {"deriv", FnDeriv},
      {"predict_linear", FnPredictLinear},
      {"holt_winters", FnHoltWinters},
      {"changes", FnChanges},
      {"resets", FnResets},
      {"avg_over_time", FnAvgOverTime},
      {"count_over_time", FnCountOverTime},
      {"max_over_time", FnMaxOverTime},
      {"min_over_time", FnMinOverTime},
      {"sum_over_time", FnSumOverTime},
      {"quantile_over_time", FnQuantileOverTime},
      {"stddev_over_time", FnStddevOverTime},
      {"stdvar_over_time", FnStdvarOverTime},
      {"last_over_time", FnLastOverTime},
      {"present_over_time", FnPresentOverTime},
  };
  for (const auto& [n, fn] : kFns) {
    if (n == name) return fn;
  }
  return nullptr;
}

tsdb::Labels AbsentLabels(const Expr& arg) {
  const Expr* vs = &Unparen(arg);
  if (vs->kind == NodeKind::kMatrixSelector) vs = vs->args[0].get();
  if (vs->kind != NodeKind::kVectorSelector) return {};
  tsdb::LabelsBuilder b;
  std::vector<std::string> drop;
  for (const auto& m : vs->matchers) {
    if (m.name() == tsdb::kMetricNameLabel) continue;
    if (m.type() == tsdb::MatchType::kEqual && b.Get(m.name()).empty()) {
      b.Set(m.name(), m.value());
    } else {
      drop.push_back(m.name());
    }
  }
  for (const auto& d : drop) b.Del(d);
  return b.Build();
}

Status CallInstantFunction(const Expr& call, std::vector<StepArg>& args, int64_t ts, Vector* out) {
  const std::string_view name = call.func->name;
  const double now = static_cast<double>(ts) / 1000;
  if (name == "time") return out->push_back(Sample{{}, ts, now}), Status::Ok();
  if (name == "pi") return out->push_back(Sample{{}, ts, M_PI}), Status::Ok();
  if (name == "vector") return out->push_back(Sample{{}, ts, args[0].scalar}), Status::Ok();
  if (name == "scalar") {
    out->push_back(Sample{{}, ts, args[0].vec.size() == 1 ? args[0].vec[0].v : kNaN});
    return Status::Ok();
  }
  double date;
  if (DateFn(name, 0, &date)) {
    if (args.empty()) {
      DateFn(name, now, &date);
      out->push_back(Sample{{}, ts, date});
      return Status::Ok();
    }
    for (auto& s : args[0].vec) {
      DateFn(name, s.v, &date);
      out->push_back(Sample{DropMetricName(s.metric), ts, date});
    }
    return Status::Ok();
  }
  Vector& in = args[0].vec;
  bool found;
  MathFn(name, 0, &found);
  if (found) {
    for (auto& s : in) out->push_back(Sample{DropMetricName(s.metric), ts, MathFn(name, s.v, &found)});
    return Status::Ok();
  }
  if (name == "timestamp") {
    for (auto& s : in) out->push_back(Sample{DropMetricName(s.metric), ts, now});
    return Status::Ok();
  }
  if (name == "clamp" || name == "clamp_min" || name == "clamp_max") {
    double lo = -kInf, hi = kInf;
    if (name == "clamp") lo = args[1].scalar, hi = args[2].scalar;
    if (name == "clamp_min") lo = args[1].scalar;
    if (name == "clamp_max") hi = args[1].scalar;
    if (name == "clamp" && hi < lo) return Status::Ok();
    for (auto& s : in) {
      double v = s.v;
      if (name != "clamp_min") v = GoMin(hi, v);
      if (name != "clamp_max") v = GoMax(lo, v);
      out->push_back(Sample{DropMetricName(s.metric), ts, v});
    }
    return Status::Ok();
  }
  if (name == "round") {
    double to_nearest = args.size() > 1 ? args[1].scalar : 1;
    double inverse = 1.0 / to_nearest;
    for (auto& s : in) {
      out->push_back(Sample{DropMetricName(s.metric), ts, std::floor(s.v * inverse + 0.5) / inverse});
    }
    return Status::Ok();
  }
  if (name == "sort" || name == "sort_desc") {
    const bool desc = name == "sort_desc";
    std::stable_sort(in.begin(), in.end(), [desc](const Sample& a, const Sample& b) {
      if (std::isnan(a.v) || std::isnan(b.v)) return !std::isnan(a.v) && std::isnan(b.v);
      return desc ? a.v > b.v : a.v < b.v;
    });
    for (auto& s : in) out->push_back(std::move(s));
    return Status::Ok();
  }
  if (name == "absent") {
    if (in.empty()) out->push_back(Sample{AbsentLabels(*call.args[0]), ts, 1});
    return Status::Ok();
  }
  if (name == "label_replace") return LabelReplace(call, in, out);
  if (name == "label_join") return LabelJoin(call, in, out);
  if (name == "histogram_quantile") return HistogramQuantile(args[0].scalar, args[1].vec, out);
  if (name == "histogram_count" || name == "histogram_sum" || name == "histogram_fraction") {
    return Status::Ok();  // native histograms only; float series yield nothing
  }
  return ExecutionError("function " + std::string(name) + " is not implemented");
}

}  // namespace vigil::promql::internal
