// Micro-benchmarks of the series index on a node-exporter-like data set of
// 100,000 series (500 hosts x 200 series). Build by hand:
//
//   g++ -O2 -std=c++20 -I src bench/tsdb_index_bench.cc src/tsdb/labels.cc
//       src/tsdb/matcher.cc src/tsdb/postings.cc src/tsdb/series_index.cc
//       src/base/status.cc -lbenchmark -lre2 -lpthread -o /tmp/tsdb_index_bench
//
// Reports Select latency per selector shape, ingestion (series created per
// second) and the index's bytes per series.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "tsdb/series_index.h"

namespace vigil::tsdb {
namespace {

constexpr int kHosts = 500;

std::string Host(int h) { return "10.0." + std::to_string(h / 100) + "." + std::to_string(h % 100) + ":9100"; }

// 200 series per host: cpu modes, filesystems, network, disks, a histogram
// and plain gauges, with the label shapes node_exporter produces.
std::vector<Labels> NodeExporterSeries() {
  static const char* kModes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
  static const char* kMounts[] = {"/", "/boot", "/data", "/var/lib/postgresql"};
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                              "0.5", "1", "2.5", "5", "10", "+Inf"};
  std::vector<Labels> out;
  out.reserve(kHosts * 200);
  LabelsBuilder b;
  for (int h = 0; h < kHosts; ++h) {
    const std::string instance = Host(h);
    const char* job = h % 10 == 0 ? "pg" : "node";
    auto start = [&](const std::string& name) {
      b.Reset();
      b.Set("__name__", name).Set("instance", instance).Set("job", job);
    };
    for (int cpu = 0; cpu < 8; ++cpu) {
      for (const char* mode : kModes) {
        start("node_cpu_seconds_total");
        b.Set("cpu", std::to_string(cpu)).Set("mode", mode);
        out.push_back(b.Build());
      }
    }
    for (const char* metric : {"node_filesystem_avail_bytes", "node_filesystem_size_bytes",
                               "node_filesystem_free_bytes"}) {
      for (int m = 0; m < 4; ++m) {
        start(metric);
        b.Set("device", "/dev/sd" + std::string(1, static_cast<char>('a' + m)) + "1")
            .Set("mountpoint", kMounts[m])
            .Set("fstype", m == 1 ? "ext4" : "xfs");
        out.push_back(b.Build());
      }
    }
    for (const char* metric : {"node_network_receive_bytes_total", "node_network_transmit_bytes_total",
                               "node_network_receive_packets_total", "node_network_transmit_packets_total"}) {
      for (int d = 0; d < 4; ++d) {
        start(metric);
        b.Set("device", "eth" + std::to_string(d));
        out.push_back(b.Build());
      }
    }
    for (const char* metric : {"node_disk_read_bytes_total", "node_disk_written_bytes_total",
                               "node_disk_reads_completed_total", "node_disk_writes_completed_total",
                               "node_disk_io_time_seconds_total", "node_disk_io_now"}) {
      for (int d = 0; d < 4; ++d) {
        start(metric);
        b.Set("device", "sd" + std::string(1, static_cast<char>('a' + d)));
        out.push_back(b.Build());
      }
    }
    for (int handler = 0; handler < 4; ++handler) {
      for (const char* le : kLe) {
        start("http_request_duration_seconds_bucket");
        b.Set("handler", "/api/v" + std::to_string(handler)).Set("le", le);
        out.push_back(b.Build());
      }
    }
    for (int g = 0; g < 36; ++g) {
      start("node_misc_gauge_" + std::to_string(g));
      out.push_back(b.Build());
    }
  }
  return out;
}

const std::vector<Labels>& Series() {
  static const std::vector<Labels> series = NodeExporterSeries();
  return series;
}

SeriesIndex& Index() {
  static SeriesIndex* index = [] {
    auto* idx = new SeriesIndex();
    for (const Labels& l : Series()) idx->GetOrCreate(l);
    return idx;
  }();
  return *index;
}

Matcher Make(std::string_view name, MatchType type, std::string_view value) {
  return std::move(Matcher::Make(type, name, value)).value();
}

void RunSelect(benchmark::State& state, const std::vector<Matcher>& matchers) {
  SeriesIndex& index = Index();
  size_t selected = 0;
  for (auto _ : state) {
    auto refs = index.Select(matchers);
    selected = refs.size();
    benchmark::DoNotOptimize(refs.data());
  }
  state.counters["series_selected"] = static_cast<double>(selected);
  state.counters["series_total"] = static_cast<double>(index.NumSeries());
}

void BM_SelectEqual(benchmark::State& state) {
  RunSelect(state, {Make("__name__", MatchType::kEqual, "node_network_receive_bytes_total")});
}
BENCHMARK(BM_SelectEqual);

// A general regex (RE2) over the 500 distinct instance values.
void BM_SelectRegexInstances(benchmark::State& state) {
  RunSelect(state, {Make("instance", MatchType::kRegexMatch, "10\\.0\\.[12]\\.[0-9]+:9100")});
}
BENCHMARK(BM_SelectRegexInstances);

// Regex on the metric name (prefix fast path + RE2 alternation).
void BM_SelectRegexMetricNames(benchmark::State& state) {
  RunSelect(state, {Make("__name__", MatchType::kRegexMatch, "node_(disk|network)_.*")});
}
BENCHMARK(BM_SelectRegexMetricNames);

// A dashboard-style selector: name, instance regex, negative mode.
void BM_SelectDashboard(benchmark::State& state) {
  RunSelect(state, {Make("__name__", MatchType::kEqual, "node_cpu_seconds_total"),
                    Make("instance", MatchType::kRegexMatch, "10\\.0\\.1\\..*"),
                    Make("mode", MatchType::kNotEqual, "idle")});
}
BENCHMARK(BM_SelectDashboard);

// Grafana's multi-value variable: an alternation of regex-escaped literals
// (a set lookup, no RE2).
void BM_SelectInstanceSet(benchmark::State& state) {
  std::string set;
  for (int h = 0; h < 20; ++h) {
    if (h) set += "|";
    for (char c : Host(h * 7)) {
      if (c == '.') set += '\\';
      set += c;
    }
  }
  RunSelect(state, {Make("instance", MatchType::kRegexMatch, set),
                    Make("__name__", MatchType::kRegexMatch, "node_cpu_seconds_total|node_disk_io_now")});
}
BENCHMARK(BM_SelectInstanceSet);

// Only negative / empty-matching matchers: starts from all series.
void BM_SelectNegativeOnly(benchmark::State& state) {
  RunSelect(state, {Make("job", MatchType::kNotEqual, "pg"), Make("le", MatchType::kEqual, ""),
                    Make("mode", MatchType::kRegexNoMatch, "idle|iowait")});
}
BENCHMARK(BM_SelectNegativeOnly);

// A regex that matches most of the index: a large union.
void BM_SelectRegexHugeUnion(benchmark::State& state) {
  RunSelect(state, {Make("__name__", MatchType::kRegexMatch, ".+_total")});
}
BENCHMARK(BM_SelectRegexHugeUnion);

void BM_LabelValuesWithMatcher(benchmark::State& state) {
  SeriesIndex& index = Index();
  const std::vector<Matcher> ms = {Make("job", MatchType::kEqual, "pg")};
  for (auto _ : state) {
    auto values = index.LabelValues("instance", ms);
    benchmark::DoNotOptimize(values.data());
  }
}
BENCHMARK(BM_LabelValuesWithMatcher);

// The ingestion fast path: the series already exists.
void BM_GetOrCreateExisting(benchmark::State& state) {
  SeriesIndex& index = Index();
  const auto& series = Series();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.GetOrCreate(series[i]));
    if (++i == series.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetOrCreateExisting);

// Building the whole index from scratch; reports memory per series.
void BM_BuildIndex(benchmark::State& state) {
  const auto& series = Series();
  double bytes_per_series = 0;
  for (auto _ : state) {
    SeriesIndex index;
    for (const Labels& l : series) index.GetOrCreate(l);
    bytes_per_series = static_cast<double>(index.MemoryBytes()) / static_cast<double>(index.NumSeries());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(series.size()));
  state.counters["index_bytes_per_series"] = bytes_per_series;
  size_t label_bytes = 0;
  for (const Labels& l : series) label_bytes += l.EncodedSize();
  state.counters["label_text_bytes_per_series"] =
      static_cast<double>(label_bytes) / static_cast<double>(series.size());
}
BENCHMARK(BM_BuildIndex)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigil::tsdb

BENCHMARK_MAIN();
