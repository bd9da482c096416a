#include "base/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace vigil {

namespace metrics_internal {

void Die(const std::string& message) {
  std::fprintf(stderr, "vigil: metrics: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace metrics_internal

namespace {

using metrics_internal::Die;

// A CAS loop: std::atomic<double>::fetch_add is not guaranteed lock-free
// everywhere, and this keeps the behaviour explicit. Compares bit patterns,
// so it terminates even when the value is NaN.
void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

// Sorts, de-duplicates and drops +Inf; aborts on NaN.
std::vector<double> NormalizeBounds(std::vector<double> bounds, std::string_view owner) {
  for (double b : bounds) {
    if (std::isnan(b)) Die(std::string(owner) + ": histogram bucket bound is NaN");
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  return bounds;
}

const char* TypeName(int type) {
  switch (type) {
    case 0: return "counter";
    case 1: return "gauge";
    default: return "histogram";
  }
}

// Appends `{const,labels,le="..."}` (nothing when all are empty).
void AppendLabelSet(std::string* out, std::string_view const_labels_text, const std::vector<std::string>& names,
                    const std::vector<std::string>& values, std::string_view le) {
  if (const_labels_text.empty() && names.empty() && le.empty()) return;
  out->push_back('{');
  bool first = true;
  if (!const_labels_text.empty()) {
    out->append(const_labels_text);
    first = false;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    out->append(names[i]);
    out->append("=\"");
    AppendEscapedLabelValue(out, values[i]);
    out->push_back('"');
  }
  if (!le.empty()) {
    if (!first) out->push_back(',');
    out->append("le=\"");
    out->append(le);
    out->push_back('"');
  }
  out->push_back('}');
}

struct SeriesContext {
  std::string_view name;
  std::string_view const_labels_text;
  const std::vector<std::string>* label_names;
};

void AppendSample(std::string* out, const SeriesContext& ctx, std::string_view suffix,
                  const std::vector<std::string>& values, std::string_view le, double value) {
  out->append(ctx.name);
  out->append(suffix);
  AppendLabelSet(out, ctx.const_labels_text, *ctx.label_names, values, le);
  out->push_back(' ');
  AppendPrometheusFloat(out, value);
  out->push_back('\n');
}

void AppendHistogramSamples(std::string* out, const SeriesContext& ctx, const std::vector<std::string>& values,
                            const Histogram& histogram) {
  HistogramSnapshot snap = histogram.Snapshot();
  std::string le;
  for (size_t i = 0; i < snap.upper_bounds.size(); ++i) {
    le.clear();
    AppendPrometheusFloat(&le, snap.upper_bounds[i]);
    AppendSample(out, ctx, "_bucket", values, le, static_cast<double>(snap.cumulative[i]));
  }
  AppendSample(out, ctx, "_bucket", values, "+Inf", static_cast<double>(snap.count));
  AppendSample(out, ctx, "_sum", values, {}, snap.sum);
  AppendSample(out, ctx, "_count", values, {}, static_cast<double>(snap.count));
}

void AppendFamilyHeader(std::string* out, std::string_view name, std::string_view help, int type) {
  out->append("# HELP ");
  out->append(name);
  out->push_back(' ');
  AppendEscapedHelp(out, help);
  out->append("\n# TYPE ");
  out->append(name);
  out->push_back(' ');
  out->append(TypeName(type));
  out->push_back('\n');
}

bool IsNameStart(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool IsValidName(std::string_view s, bool allow_colon) {
  if (s.empty() || !IsNameStart(s[0], allow_colon)) return false;
  for (char c : s.substr(1)) {
    if (!IsNameStart(c, allow_colon) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

// ---- formatting helpers -----------------------------------------------------

void AppendPrometheusFloat(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (v == 0) {  // also -0, which Prometheus writes as 0
    out->push_back('0');
    return;
  }
  constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53
  char buf[64];
  std::to_chars_result res;
  if (v == std::trunc(v) && std::fabs(v) <= kMaxExactInteger) {
    res = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v));
  } else {
    res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip
  }
  out->append(buf, res.ptr);
}

std::string FormatPrometheusFloat(double v) {
  std::string s;
  AppendPrometheusFloat(&s, v);
  return s;
}

void AppendEscapedLabelValue(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

void AppendEscapedHelp(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

bool IsValidMetricName(std::string_view s) { return IsValidName(s, /*allow_colon=*/true); }
bool IsValidLabelName(std::string_view s) { return IsValidName(s, /*allow_colon=*/false); }

// ---- instruments ------------------------------------------------------------

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // negative or NaN
  AtomicAdd(value_, v);
}

void Gauge::Add(double v) { AtomicAdd(value_, v); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(NormalizeBounds(std::move(upper_bounds), "Histogram")),
      bucket_counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t index = upper_bounds_.size();  // +Inf; also where NaN goes
  if (!std::isnan(v)) {
    index = static_cast<size_t>(std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v) -
                                upper_bounds_.begin());
  }
  bucket_counts_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snap;
  snap.upper_bounds = upper_bounds_;
  snap.cumulative.reserve(upper_bounds_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snap.cumulative.push_back(running);
  }
  snap.count = running + bucket_counts_[upper_bounds_.size()].load(std::memory_order_relaxed);
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

// ---- registry ---------------------------------------------------------------

struct MetricsRegistry::Entry {
  std::string name;
  std::string help;
  Type type = Type::kCounter;
  bool is_func = false;
  std::vector<std::string> label_names;
  std::vector<double> buckets;  // normalized; histograms only
  // Exactly one of these is set, chosen by type and is_func. Immutable after
  // creation, except fn, which the registry's mu_ guards.
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::shared_ptr<const std::function<double()>> fn;
};

MetricsRegistry::MetricsRegistry(std::vector<std::pair<std::string, std::string>> const_labels)
    : const_labels_(std::move(const_labels)) {
  std::set<std::string_view> seen;
  for (const auto& [name, value] : const_labels_) {
    if (!IsValidLabelName(name) || name.starts_with("__")) Die("invalid const label name \"" + name + "\"");
    if (!seen.insert(name).second) Die("duplicate const label name \"" + name + "\"");
    if (!const_labels_text_.empty()) const_labels_text_.push_back(',');
    const_labels_text_.append(name);
    const_labels_text_.append("=\"");
    AppendEscapedLabelValue(&const_labels_text_, value);
    const_labels_text_.push_back('"');
  }
}

MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry& MetricsRegistry::FindOrAddEntry(std::string name, std::string help, Type type, bool is_func,
                                                        std::vector<std::string> label_names,
                                                        std::vector<double> buckets) {
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    Entry& e = *it->second;
    if (e.type != type || e.is_func != is_func) {
      Die(name + ": already registered as a " + (e.is_func ? "func " : "") + TypeName(static_cast<int>(e.type)) +
          ", now requested as a " + (is_func ? "func " : "") + TypeName(static_cast<int>(type)));
    }
    if (e.label_names != label_names) Die(name + ": already registered with different label names");
    if (e.buckets != buckets) Die(name + ": already registered with different histogram buckets");
    return e;
  }

  if (!IsValidMetricName(name)) Die("invalid metric name \"" + name + "\"");
  std::set<std::string_view> seen;
  for (const auto& [const_name, value] : const_labels_) seen.insert(const_name);
  for (const std::string& label : label_names) {
    if (!IsValidLabelName(label) || label.starts_with("__")) {
      Die(name + ": invalid label name \"" + label + "\"");
    }
    if (type == Type::kHistogram && label == "le") Die(name + ": label name \"le\" is reserved for histograms");
    if (!seen.insert(label).second) Die(name + ": duplicate label name \"" + label + "\" (or repeats a const label)");
  }

  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->help = std::move(help);
  entry->type = type;
  entry->is_func = is_func;
  entry->label_names = std::move(label_names);
  entry->buckets = std::move(buckets);
  if (!is_func) {
    switch (type) {
      case Type::kCounter:
        entry->counters.reset(new Family<Counter>(name, entry->label_names, [] { return std::make_unique<Counter>(); }));
        break;
      case Type::kGauge:
        entry->gauges.reset(new Family<Gauge>(name, entry->label_names, [] { return std::make_unique<Gauge>(); }));
        break;
      case Type::kHistogram:
        entry->histograms.reset(new Family<Histogram>(
            name, entry->label_names, [b = entry->buckets] { return std::make_unique<Histogram>(b); }));
        break;
    }
  }
  Entry& ref = *entry;
  entries_.emplace(std::move(name), std::move(entry));
  return ref;
}

Counter& MetricsRegistry::AddCounter(std::string name, std::string help) {
  return AddCounterFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Gauge& MetricsRegistry::AddGauge(std::string name, std::string help) {
  return AddGaugeFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Histogram& MetricsRegistry::AddHistogram(std::string name, std::string help, std::vector<double> buckets) {
  return AddHistogramFamily(std::move(name), std::move(help), {}, std::move(buckets)).WithLabels({});
}

Family<Counter>& MetricsRegistry::AddCounterFamily(std::string name, std::string help,
                                                   std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  return *FindOrAddEntry(std::move(name), std::move(help), Type::kCounter, false, std::move(label_names), {})
              .counters;
}

Family<Gauge>& MetricsRegistry::AddGaugeFamily(std::string name, std::string help,
                                               std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  return *FindOrAddEntry(std::move(name), std::move(help), Type::kGauge, false, std::move(label_names), {}).gauges;
}

Family<Histogram>& MetricsRegistry::AddHistogramFamily(std::string name, std::string help,
                                                       std::vector<std::string> label_names,
                                                       std::vector<double> buckets) {
  std::vector<double> normalized = NormalizeBounds(std::move(buckets), name);
  std::lock_guard lock(mu_);
  return *FindOrAddEntry(std::move(name), std::move(help), Type::kHistogram, false, std::move(label_names),
                         std::move(normalized))
              .histograms;
}

void MetricsRegistry::AddFunc(std::string name, std::string help, Type type, std::function<double()> fn) {
  if (!fn) Die(name + ": func metric registered with an empty function");
  auto shared = std::make_shared<const std::function<double()>>(std::move(fn));
  std::lock_guard lock(mu_);
  FindOrAddEntry(std::move(name), std::move(help), type, true, {}, {}).fn = std::move(shared);
}

void MetricsRegistry::AddGaugeFunc(std::string name, std::string help, std::function<double()> fn) {
  AddFunc(std::move(name), std::move(help), Type::kGauge, std::move(fn));
}

void MetricsRegistry::AddCounterFunc(std::string name, std::string help, std::function<double()> fn) {
  AddFunc(std::move(name), std::move(help), Type::kCounter, std::move(fn));
}

void MetricsRegistry::Render(std::string* out) const {
  // Entries are never removed and only fn changes after creation, so a list
  // of pointers (plus a reference to each fn) lets rendering and func calls
  // run without the registry lock.
  struct Item {
    const Entry* entry;
    std::shared_ptr<const std::function<double()>> fn;
  };
  std::vector<Item> items;
  {
    std::lock_guard lock(mu_);
    items.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) items.push_back({entry.get(), entry->fn});
  }

  std::string body;
  for (const Item& item : items) {
    const Entry& e = *item.entry;
    SeriesContext ctx{e.name, const_labels_text_, &e.label_names};
    body.clear();
    if (e.is_func) {
      AppendSample(&body, ctx, {}, {}, {}, (*item.fn)());
    } else if (e.counters) {
      e.counters->ForEachChild([&](const std::vector<std::string>& values, const Counter& c) {
        AppendSample(&body, ctx, {}, values, {}, c.Value());
      });
    } else if (e.gauges) {
      e.gauges->ForEachChild([&](const std::vector<std::string>& values, const Gauge& g) {
        AppendSample(&body, ctx, {}, values, {}, g.Value());
      });
    } else if (e.histograms) {
      e.histograms->ForEachChild([&](const std::vector<std::string>& values, const Histogram& h) {
        AppendHistogramSamples(&body, ctx, values, h);
      });
    }
    if (body.empty()) continue;
    AppendFamilyHeader(out, e.name, e.help, static_cast<int>(e.type));
    out->append(body);
  }
}

std::string MetricsRegistry::Render() const {
  std::string out;
  Render(&out);
  return out;
}

std::vector<double> MetricsRegistry::DefaultBuckets() {
  return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
}

std::vector<double> MetricsRegistry::ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    Die("ExponentialBuckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(static_cast<size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

std::vector<double> MetricsRegistry::LinearBuckets(double start, double width, int count) {
  if (!(width > 0) || count < 1) Die("LinearBuckets needs width > 0, count >= 1");
  std::vector<double> bounds;
  bounds.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) bounds.push_back(start + width * i);
  return bounds;
}

}  // namespace vigil
