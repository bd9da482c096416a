// Micro-benchmarks of the PromQL engine over an in-memory querier (no
// storage cost): 1,000 counters scraped every 15 s for 24 h, queried as
// dashboards do. Build by hand:
//
//   g++ -O2 -std=c++20 -I src bench/promql_bench.cc src/promql/*.cc src/tsdb/labels.cc
//       src/tsdb/matcher.cc src/base/status.cc src/base/json.cc
//       -lbenchmark -lre2 -lpthread -o /tmp/promql_bench
//
// Reports the latency of range queries over the last hour at 15 s step,
// and of a 24 h range at 60 s step.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "promql/engine.h"

namespace vigil::promql {
namespace {

constexpr int kSeries = 1000;
constexpr int64_t kScrape = 15000;
constexpr int64_t kSpan = 24 * 3600 * 1000;

struct Stored {
  tsdb::Labels labels;
  std::vector<Point> points;
};

class Iter : public tsdb::SampleIterator {
 public:
  Iter(const std::vector<Point>* p, int64_t mint, int64_t maxt) : p_(p), maxt_(maxt) {
    while (i_ < p_->size() && (*p_)[i_].timestamp_ms < mint) ++i_;
    --i_;
  }
  bool Next() override { return ++i_ < p_->size() && (*p_)[i_].timestamp_ms <= maxt_; }
  bool Seek(int64_t t) override {
    if (i_ == SIZE_MAX) i_ = 0;
    while (i_ < p_->size() && (*p_)[i_].timestamp_ms < t) ++i_;
    return i_ < p_->size() && (*p_)[i_].timestamp_ms <= maxt_;
  }
  int64_t t() const override { return (*p_)[i_].timestamp_ms; }
  double v() const override { return (*p_)[i_].value; }
  // Bulk, as the storage's iterators read.
  void AppendRange(int64_t mint, int64_t maxt, std::vector<vigil::Sample>* out) override {
    auto lo = std::lower_bound(p_->begin(), p_->end(), mint,
                               [](const Point& p, int64_t t) { return p.timestamp_ms < t; });
    auto hi = std::upper_bound(lo, p_->end(), std::min(maxt, maxt_),
                               [](int64_t t, const Point& p) { return t < p.timestamp_ms; });
    out->insert(out->end(), lo, hi);
  }

 private:
  const std::vector<Point>* p_;
  int64_t maxt_;
  size_t i_ = 0;
};

class Set : public tsdb::SeriesSet {
 public:
  Set(std::vector<const Stored*> s, int64_t mint, int64_t maxt) : s_(std::move(s)), mint_(mint), maxt_(maxt) {}
  bool Next() override { return ++i_ < s_.size(); }
  const tsdb::Labels& labels() const override { return s_[i_]->labels; }
  std::unique_ptr<tsdb::SampleIterator> Samples() const override {
    return std::make_unique<Iter>(&s_[i_]->points, mint_, maxt_);
  }
  Status status() const override { return Status::Ok(); }

 private:
  std::vector<const Stored*> s_;
  int64_t mint_, maxt_;
  size_t i_ = SIZE_MAX;
};

class Q : public tsdb::Querier {
 public:
  Q(const std::vector<Stored>* d, int64_t mint, int64_t maxt) : d_(d), mint_(mint), maxt_(maxt) {}
  std::unique_ptr<tsdb::SeriesSet> Select(const std::vector<tsdb::Matcher>& ms) override {
    std::vector<const Stored*> out;
    for (const auto& s : *d_) {
      bool ok = true;
      for (const auto& m : ms) ok = ok && m.Matches(s.labels.Get(m.name()));
      if (ok) out.push_back(&s);
    }
    return std::make_unique<Set>(std::move(out), mint_, maxt_);
  }
  std::vector<std::string> LabelNames(const std::vector<tsdb::Matcher>&) override { return {}; }
  std::vector<std::string> LabelValues(std::string_view, const std::vector<tsdb::Matcher>&) override { return {}; }

 private:
  const std::vector<Stored>* d_;
  int64_t mint_, maxt_;
};

const std::vector<Stored>& Data() {
  static const std::vector<Stored> data = [] {
    std::vector<Stored> d;
    for (int i = 0; i < kSeries; ++i) {
      std::string inst = "host-" + std::to_string(i % 100) + ":9100";
      Stored s;
      s.labels = tsdb::Labels::FromPairs(
          {{"__name__", "http_requests_total"}, {"instance", inst}, {"code", std::to_string(200 + i / 100)}});
      double v = 0;
      for (int64_t t = 0; t <= kSpan; t += kScrape) {
        v += static_cast<double>((i + t / kScrape) % 7);
        s.points.push_back({t, v});
      }
      d.push_back(std::move(s));
    }
    std::sort(d.begin(), d.end(), [](const Stored& a, const Stored& b) { return a.labels < b.labels; });
    return d;
  }();
  return data;
}

void RunRange(benchmark::State& state, const char* query, int64_t range_ms = 3600 * 1000, int64_t step_ms = 15000) {
  const auto& data = Data();
  QueryableFn queryable = [&data](int64_t mint, int64_t maxt) { return std::make_unique<Q>(&data, mint, maxt); };
  Engine engine;
  for (auto _ : state) {
    auto r = engine.RangeQuery(queryable, query, kSpan - range_ms, kSpan, step_ms);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
}

void BM_Rate(benchmark::State& s) { RunRange(s, "rate(http_requests_total[5m])"); }
void BM_SumByRate(benchmark::State& s) { RunRange(s, "sum by (instance) (rate(http_requests_total[5m]))"); }
void BM_Topk(benchmark::State& s) { RunRange(s, "topk(10, rate(http_requests_total[5m]))"); }
void BM_Regex(benchmark::State& s) { RunRange(s, "http_requests_total{instance=~\"host-1.*\"}"); }
// The dashboard benchmark's long range: 24 h at a 60 s step.
void BM_SumByRate24h(benchmark::State& s) {
  RunRange(s, "sum by (instance) (rate(http_requests_total{code!=\"209\"}[5m]))", 24 * 3600 * 1000, 60000);
}

BENCHMARK(BM_Rate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SumByRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Topk)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Regex)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SumByRate24h)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigil::promql

BENCHMARK_MAIN();
