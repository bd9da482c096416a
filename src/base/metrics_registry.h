#pragma once
// Self-monitoring metrics: counters, gauges and histograms, optionally split
// by labels, rendered in the Prometheus text exposition format 0.0.4 for a
// component's /metrics endpoint.
//
//   MetricsRegistry registry({{"component", "metrics"}});
//   auto& requests = registry.AddCounterFamily(
//       "vigil_http_requests_total", "HTTP requests served.", {"code"});
//   requests.WithLabels({"200"}).Inc();
//   std::string body = registry.Render();
//
// Updating a metric is lock-free. Registering the same name twice with the
// same kind, label names (and buckets) returns the existing object; anything
// else is a programming error and aborts the process with a message naming
// the metric.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

// A monotonically increasing value (requests served, bytes written).
// Thread-safe and lock-free: any thread may call any method at any time.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds v. A negative or NaN v is ignored, so the value never decreases.
  void Inc(double v = 1);
  // The current total; starts at 0.
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (queue length, bytes in use).
// Thread-safe and lock-free: any thread may call any method at any time.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  // Replaces the value with v.
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  // Adds v (which may be negative) atomically.
  void Add(double v);
  // Shorthands for Add(v) and Add(-v).
  void Inc(double v = 1) { Add(v); }
  void Dec(double v = 1) { Add(-v); }
  // The current value; starts at 0.
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A point-in-time copy of a histogram, as rendered.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;     // finite bounds, strictly increasing
  std::vector<uint64_t> cumulative;     // cumulative[i] = observations <= upper_bounds[i]
  uint64_t count = 0;                   // all observations (the +Inf bucket)
  double sum = 0;                       // sum of all observed values
};

// Counts observations into buckets by upper bound ("le"), plus their sum and
// count. Thread-safe and lock-free: any thread may call any method at any time.
class Histogram {
 public:
  // Uses the given finite upper bounds; they are sorted and de-duplicated, an
  // explicit +Inf is dropped (the +Inf bucket always exists).
  // REQUIRES: no bound is NaN (aborts otherwise).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one observation of v. v lands in the first bucket whose bound is
  // >= v; NaN lands only in the +Inf bucket (and makes the sum NaN).
  void Observe(double v);
  // The normalized finite upper bounds.
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // A copy of the current state. Bucket counts and count are consistent with
  // each other; the sum may lag by observations that are in flight.
  HistogramSnapshot Snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  // Per-bucket (non-cumulative) counts; the last slot is the +Inf bucket.
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;
  std::atomic<double> sum_{0};
};

namespace metrics_internal {
// Orders label-value tuples; transparent so a lookup by string_views does not
// allocate.
struct LabelValuesLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    auto ai = std::begin(a);
    auto bi = std::begin(b);
    for (; ai != std::end(a) && bi != std::end(b); ++ai, ++bi) {
      int c = std::string_view(*ai).compare(std::string_view(*bi));
      if (c != 0) return c < 0;
    }
    return ai == std::end(a) && bi != std::end(b);
  }
};
// Aborts with "vigil: metrics: <message>". For programming errors only.
[[noreturn]] void Die(const std::string& message);
}  // namespace metrics_internal

class MetricsRegistry;

// Metrics of one name split by label values: one child per distinct tuple of
// values. Children are created on first use and never removed, so every
// returned reference stays valid for the family's (the registry's) lifetime.
// Thread-safe: WithLabels may be called from any thread; finding an existing
// child takes a shared lock only.
template <typename M>
class Family {
 public:
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // Returns the child for these label values, given in the same order as the
  // label names at registration, creating it on first use.
  // REQUIRES: values.size() == label_names().size() (aborts otherwise).
  M& WithLabels(std::initializer_list<std::string_view> values) {
    return FindOrCreate(std::span<const std::string_view>(values.begin(), values.size()));
  }
  M& WithLabels(const std::vector<std::string>& values) { return FindOrCreate(values); }

  // The label names given at registration.
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls fn(const std::vector<std::string>& values, const M& child) for
  // every child in ascending order of values. Holds a shared lock meanwhile.
  // REQUIRES: fn does not call WithLabels on this family.
  template <typename Fn>
  void ForEachChild(Fn&& fn) const {
    std::shared_lock lock(mu_);
    for (const auto& [values, child] : children_) fn(values, *child);
  }

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::vector<std::string> label_names,
         std::function<std::unique_ptr<M>()> make_child)
      : name_(std::move(name)), label_names_(std::move(label_names)), make_child_(std::move(make_child)) {}

  template <typename Values>
  M& FindOrCreate(const Values& values) {
    if (values.size() != label_names_.size()) {
      metrics_internal::Die(name_ + ": WithLabels got " + std::to_string(values.size()) +
                            " label values, the family has " + std::to_string(label_names_.size()) +
                            " label names");
    }
    {
      std::shared_lock lock(mu_);
      auto it = children_.find(values);
      if (it != children_.end()) return *it->second;
    }
    std::unique_lock lock(mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
    std::vector<std::string> key(values.begin(), values.end());
    return *children_.emplace(std::move(key), make_child_()).first->second;
  }

  const std::string name_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<M>()> make_child_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>, metrics_internal::LabelValuesLess> children_;
};

// Owns every metric of one component and renders them all.
// Thread-safe: registration, rendering and updates may run concurrently from
// any threads. Objects it returns live as long as the registry.
class MetricsRegistry {
 public:
  // const_labels are added to every series rendered from this registry, before
  // the series' own labels (e.g. {{"component","metrics"}}).
  // REQUIRES: valid, distinct label names not starting with "__" (aborts otherwise).
  explicit MetricsRegistry(std::vector<std::pair<std::string, std::string>> const_labels = {});
  // Same as above; exists so that `MetricsRegistry r({{"component", "x"}});`
  // is not ambiguous with the (deleted) copy constructor.
  explicit MetricsRegistry(std::initializer_list<std::pair<std::string, std::string>> const_labels)
      : MetricsRegistry(std::vector<std::pair<std::string, std::string>>(const_labels)) {}
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registration. For all Add* methods:
  // REQUIRES: name matches [a-zA-Z_:][a-zA-Z0-9_:]*; label names match
  //   [a-zA-Z_][a-zA-Z0-9_]*, do not start with "__", are distinct and do not
  //   repeat a const label ("le" is also reserved for histograms).
  // REQUIRES: if the name is already registered, it is with the same kind
  //   (type, plain/labeled vs func), label names and buckets.
  // Violations abort with a message naming the metric.

  // An unlabeled counter. Same object as AddCounterFamily(name, help, {}).WithLabels({}).
  Counter& AddCounter(std::string name, std::string help);
  // An unlabeled gauge.
  Gauge& AddGauge(std::string name, std::string help);
  // An unlabeled histogram with the given finite bucket upper bounds.
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> buckets);
  // Labeled families. A family with no children yet renders nothing.
  Family<Counter>& AddCounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
  Family<Gauge>& AddGaugeFamily(std::string name, std::string help, std::vector<std::string> label_names);
  Family<Histogram>& AddHistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                        std::vector<double> buckets);

  // A gauge (or counter, with AddCounterFunc) whose value is fn() at render
  // time. Registering the same name again as the same kind replaces fn, so a
  // re-created component can re-bind. fn runs on the rendering thread without
  // any registry lock held, so it may be slow-ish but must be thread-safe.
  void AddGaugeFunc(std::string name, std::string help, std::function<double()> fn);
  void AddCounterFunc(std::string name, std::string help, std::function<double()> fn);

  // Appends the text exposition (# HELP, # TYPE, samples) of every family,
  // sorted by name, to *out. Families without series are omitted.
  void Render(std::string* out) const;
  std::string Render() const;

  // The Prometheus default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
  static std::vector<double> DefaultBuckets();
  // count bounds: start, start*factor, start*factor^2, ...
  // REQUIRES: start > 0, factor > 1, count >= 1 (aborts otherwise).
  static std::vector<double> ExponentialBuckets(double start, double factor, int count);
  // count bounds: start, start+width, start+2*width, ...
  // REQUIRES: width > 0, count >= 1 (aborts otherwise).
  static std::vector<double> LinearBuckets(double start, double width, int count);

 private:
  struct Entry;
  enum class Type { kCounter, kGauge, kHistogram };

  // Finds or creates the entry for name; aborts on a kind/labels/buckets
  // mismatch. REQUIRES: mu_ held.
  Entry& FindOrAddEntry(std::string name, std::string help, Type type, bool is_func,
                        std::vector<std::string> label_names, std::vector<double> buckets);
  void AddFunc(std::string name, std::string help, Type type, std::function<double()> fn);

  std::vector<std::pair<std::string, std::string>> const_labels_;
  std::string const_labels_text_;  // `a="x",b="y"`, escaped; empty if none
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

// Appends v as Prometheus writes sample values: "NaN", "+Inf", "-Inf";
// integers up to 2^53 without exponent or decimal point; otherwise the
// shortest representation that reads back as the same double.
void AppendPrometheusFloat(std::string* out, double v);
std::string FormatPrometheusFloat(double v);
// Appends s escaped for a label value: backslash, double quote, newline.
void AppendEscapedLabelValue(std::string* out, std::string_view s);
// Appends s escaped for a HELP line: backslash, newline.
void AppendEscapedHelp(std::string* out, std::string_view s);
// Whether s is a valid metric name / label name.
bool IsValidMetricName(std::string_view s);
bool IsValidLabelName(std::string_view s);

}  // namespace vigil
