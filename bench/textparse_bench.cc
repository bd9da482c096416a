// Micro-benchmark of the Prometheus text / OpenMetrics parser
// (src/textparse/textparse.h) on a generated node_exporter-like payload:
// ~2,000 series of counters, gauges, a summary and histograms with the label
// shapes node_exporter emits (cpu/mode, device, mountpoint/fstype, le).
//
// Reports bytes/s (MB/s of exposition text per core) and items/s (samples/s):
//   Pull/...     TextParser::Next() over every entry, touching each sample
//   ToSink/...   ParseToSink into a RowSink that only counts
//   Fixture      the captured tests/data/textparse/node_exporter.txt, if found
//
// Build by hand (one line):
//   g++ -O2 -std=c++20 -I src -I build/<dir>/generated bench/textparse_bench.cc
//       src/textparse/*.cc src/base/*.cc -lbenchmark -lfmt -lpthread

#include <benchmark/benchmark.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "textparse/textparse.h"

namespace vigil::textparse {
namespace {

class PayloadBuilder {
 public:
  explicit PayloadBuilder(bool openmetrics) : openmetrics_(openmetrics) {}

  void Family(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, const std::string& value) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += " " + value + "\n";
    ++samples_;
  }
  std::string Counter() { return std::to_string(rng_() % 100000000000ULL); }
  std::string Seconds() {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(rng_() % 10000000) / 100.0);
    return buf;
  }
  std::string Gauge() {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6e", static_cast<double>(rng_() % 100000000) * 1.37);
    return buf;
  }
  std::string Finish() {
    if (openmetrics_) out_ += "# EOF\n";
    return out_;
  }
  int64_t samples() const { return samples_; }

 private:
  bool openmetrics_;
  std::string out_;
  int64_t samples_ = 0;
  std::mt19937_64 rng_{42};
};

// A node_exporter-like exposition of about 2,000 samples.
std::string NodeExporterPayload(bool openmetrics, int64_t* samples) {
  PayloadBuilder b(openmetrics);
  const char* counter = "counter";
  // OpenMetrics counters are declared by family name and sampled as _total.
  auto counter_family = [&](const std::string& total_name, const char* help) {
    b.Family(openmetrics ? total_name.substr(0, total_name.size() - 6) : total_name, counter, help);
  };

  b.Family("go_gc_duration_seconds", "summary", "A summary of the pause duration of garbage collection cycles.");
  for (const char* q : {"0", "0.25", "0.5", "0.75", "1"}) {
    b.Sample("go_gc_duration_seconds", std::string("quantile=\"") + q + "\"", b.Gauge());
  }
  b.Sample("go_gc_duration_seconds_sum", "", b.Seconds());
  b.Sample("go_gc_duration_seconds_count", "", b.Counter());

  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  counter_family("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.");
  for (int cpu = 0; cpu < 64; ++cpu) {
    for (const char* mode : modes) {
      b.Sample("node_cpu_seconds_total", "cpu=\"" + std::to_string(cpu) + "\",mode=\"" + mode + "\"", b.Seconds());
    }
  }

  const char* disk_metrics[] = {"node_disk_read_bytes_total",      "node_disk_written_bytes_total",
                                "node_disk_reads_completed_total", "node_disk_writes_completed_total",
                                "node_disk_io_time_seconds_total", "node_disk_read_time_seconds_total",
                                "node_disk_write_time_seconds_total", "node_disk_discards_completed_total"};
  for (const char* metric : disk_metrics) {
    counter_family(metric, "Disk statistic from /proc/diskstats.");
    for (int d = 0; d < 12; ++d) {
      std::string dev = d < 8 ? "sd" + std::string(1, static_cast<char>('a' + d)) : "nvme" + std::to_string(d - 8) + "n1";
      b.Sample(metric, "device=\"" + dev + "\"", b.Counter());
    }
  }

  const char* net_metrics[] = {"node_network_receive_bytes_total",   "node_network_transmit_bytes_total",
                               "node_network_receive_packets_total", "node_network_transmit_packets_total",
                               "node_network_receive_errs_total",    "node_network_transmit_errs_total",
                               "node_network_receive_drop_total",    "node_network_transmit_drop_total"};
  for (const char* metric : net_metrics) {
    counter_family(metric, "Network device statistic.");
    for (int n = 0; n < 16; ++n) {
      std::string dev = n == 0 ? "lo" : n < 5 ? "eth" + std::to_string(n - 1) : "veth" + std::to_string(1000 + n);
      b.Sample(metric, "device=\"" + dev + "\"", b.Counter());
    }
  }

  const char* fs_metrics[] = {"node_filesystem_avail_bytes", "node_filesystem_files", "node_filesystem_files_free",
                              "node_filesystem_free_bytes", "node_filesystem_size_bytes", "node_filesystem_readonly"};
  for (const char* metric : fs_metrics) {
    b.Family(metric, "gauge", "Filesystem statistic.");
    for (int f = 0; f < 20; ++f) {
      std::string mount = f == 0 ? "/" : "/var/lib/postgresql/data" + std::to_string(f);
      b.Sample(metric,
               "device=\"/dev/mapper/vg0-lv" + std::to_string(f) + "\",fstype=\"" + (f % 3 ? "xfs" : "ext4") +
                   "\",mountpoint=\"" + mount + "\"",
               b.Gauge());
    }
  }

  const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
  const char* handlers[] = {"/metrics", "/api/v1/query", "/api/v1/query_range", "/api/v1/series",
                            "/api/v1/labels", "/api/v1/write", "/federate", "/-/healthy",
                            "/api/v1/metadata", "/api/v1/targets"};
  for (const char* hist : {"http_request_duration_seconds", "http_response_size_bytes"}) {
    b.Family(hist, "histogram", "Histogram of HTTP handler latencies and sizes.");
    for (const char* handler : handlers) {
      for (const char* code : {"200", "400", "500"}) {
        std::string base = std::string("code=\"") + code + "\",handler=\"" + handler + "\"";
        for (const char* le : les) b.Sample(std::string(hist) + "_bucket", base + ",le=\"" + le + "\"", b.Counter());
        b.Sample(std::string(hist) + "_sum", base, b.Seconds());
        b.Sample(std::string(hist) + "_count", base, b.Counter());
      }
    }
  }

  for (int g = 0; g < 300; ++g) {
    std::string name = "node_vmstat_metric_" + std::to_string(g);
    b.Family(name, g % 2 ? "gauge" : "untyped", "/proc/vmstat information field.");
    if (openmetrics && g % 2 == 0) {
      b.Sample(name, "", b.Gauge());
    } else {
      b.Sample(name, "", g % 3 ? b.Gauge() : b.Counter());
    }
  }
  b.Family("node_uname_info", "gauge", "Labeled system information as provided by the uname system call.");
  b.Sample("node_uname_info",
           "domainname=\"(none)\",machine=\"x86_64\",nodename=\"pg-meta-1\",release=\"6.1.0-18-amd64\","
           "sysname=\"Linux\",version=\"#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\"",
           "1");
  *samples = b.samples();
  std::string body = b.Finish();
  if (openmetrics) {
    // "untyped" is spelled "unknown" in OpenMetrics.
    for (size_t pos; (pos = body.find(" untyped\n")) != std::string::npos;) body.replace(pos, 9, " unknown\n");
  }
  return body;
}

class CountingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    labels_seen += labels.size();
    sum += samples[0].value;
  }
  size_t labels_seen = 0;
  double sum = 0;
};

void RunPull(benchmark::State& state, const std::string& body, Format format, int64_t samples) {
  for (auto _ : state) {
    TextParser parser(body, format);
    size_t n = 0;
    double sum = 0;
    for (const Entry* e = &parser.Next(); e->kind != EntryKind::kEOF; e = &parser.Next()) {
      if (e->kind == EntryKind::kError) {
        state.SkipWithError(parser.status().message().c_str());
        return;
      }
      if (e->kind == EntryKind::kSeries) {
        n += e->labels_with_name.size();
        sum += e->value;
      }
    }
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.SetItemsProcessed(state.iterations() * samples);
  state.counters["payload_bytes"] = static_cast<double>(body.size());
  state.counters["samples"] = static_cast<double>(samples);
}

void RunToSink(benchmark::State& state, const std::string& body, Format format, int64_t samples) {
  for (auto _ : state) {
    CountingSink sink;
    Status s = ParseToSink(body, format, 1700000000000, sink, nullptr);
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
    benchmark::DoNotOptimize(sink.sum);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.SetItemsProcessed(state.iterations() * samples);
}

void BM_Pull_Prometheus(benchmark::State& state) {
  int64_t samples = 0;
  static const std::string body = NodeExporterPayload(false, &samples);
  static const int64_t n = samples;
  RunPull(state, body, Format::kPrometheus, n);
}
BENCHMARK(BM_Pull_Prometheus);

void BM_Pull_OpenMetrics(benchmark::State& state) {
  int64_t samples = 0;
  static const std::string body = NodeExporterPayload(true, &samples);
  static const int64_t n = samples;
  RunPull(state, body, Format::kOpenMetrics, n);
}
BENCHMARK(BM_Pull_OpenMetrics);

void BM_ToSink_Prometheus(benchmark::State& state) {
  int64_t samples = 0;
  static const std::string body = NodeExporterPayload(false, &samples);
  static const int64_t n = samples;
  RunToSink(state, body, Format::kPrometheus, n);
}
BENCHMARK(BM_ToSink_Prometheus);

void BM_ToSink_OpenMetrics(benchmark::State& state) {
  int64_t samples = 0;
  static const std::string body = NodeExporterPayload(true, &samples);
  static const int64_t n = samples;
  RunToSink(state, body, Format::kOpenMetrics, n);
}
BENCHMARK(BM_ToSink_OpenMetrics);

void BM_Fixture_NodeExporter(benchmark::State& state) {
  std::ifstream in("tests/data/textparse/node_exporter.txt", std::ios::binary);
  if (!in) {
    state.SkipWithError("run from the repository root to include the fixture");
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string body = ss.str();
  int64_t samples = 0;
  {
    TextParser parser(body, Format::kPrometheus);
    for (const Entry* e = &parser.Next(); e->kind != EntryKind::kEOF; e = &parser.Next()) {
      samples += e->kind == EntryKind::kSeries;
    }
  }
  RunToSink(state, body, Format::kPrometheus, samples);
}
BENCHMARK(BM_Fixture_NodeExporter);

}  // namespace
}  // namespace vigil::textparse

BENCHMARK_MAIN();
