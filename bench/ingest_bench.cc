// Micro-benchmarks of the push-format parsers in src/ingest on realistic
// requests:
//   - remote_write: one WriteRequest of 10,000 node-exporter-like series with
//     one sample each and 8-9 labels (what Prometheus sends with a large
//     max_samples_per_send), decoded (Decode + Emit, and Decode alone) and
//     encoded. Reports MB/s of the uncompressed body and samples/s.
//   - influx: Telegraf-like cpu/mem/disk lines with 5-10 fields each.
//     Reports lines/s and samples/s.
//   - vmimport: /api/v1/export-like lines of 100 samples each. Reports
//     samples/s and MB/s.
// The sink only counts, so the numbers are parser cost alone.
//
// Build by hand (or cmake -DVIGIL_BENCH=ON):
//   g++ -O2 -std=c++20 -I src bench/ingest_bench.cc src/ingest/*.cc src/base/status.cc
//       -lbenchmark -lfmt -lpthread -o /tmp/ingest_bench

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ingest/influx.h"
#include "ingest/remote_write.h"
#include "ingest/vmimport.h"

namespace vigil::ingest {
namespace {

class CountingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    series += 1;
    label_bytes += labels[0].value.size();
    this->samples += samples.size();
  }
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t label_bytes = 0;
};

// Node-exporter-like series: a metric family, a device/cpu/mode style label
// or two, plus instance, job and a few target labels from relabelling.
struct NodeExporterRequest {
  std::vector<std::string> strings;
  std::vector<std::vector<LabelPair>> labels;
  std::vector<std::vector<Sample>> samples;
  std::string body;

  explicit NodeExporterRequest(size_t n_series) {
    static const char* kFamilies[] = {
        "node_cpu_seconds_total",        "node_network_receive_bytes_total", "node_disk_read_bytes_total",
        "node_filesystem_avail_bytes",   "node_memory_MemAvailable_bytes",   "node_netstat_Tcp_InSegs",
        "node_disk_io_time_seconds_total", "node_schedstat_running_seconds_total"};
    static const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
    std::mt19937_64 rng(1);
    strings.reserve(n_series * 20);
    labels.resize(n_series);
    samples.resize(n_series);
    for (size_t i = 0; i < n_series; ++i) {
      const size_t host = i / 1000;
      auto add = [&](std::string name, std::string value) {
        strings.push_back(std::move(name));
        strings.push_back(std::move(value));
      };
      const size_t first = strings.size();
      add("__name__", kFamilies[i % std::size(kFamilies)]);
      add("cls", "pg-meta");
      add("cpu", std::to_string(i % 64));
      add("ins", "pg-meta-" + std::to_string(host));
      add("instance", "10.10.10." + std::to_string(10 + host) + ":9100");
      add("ip", "10.10.10." + std::to_string(10 + host));
      add("job", "node");
      add("mode", kModes[(i / 8) % std::size(kModes)]);
      if (i % 3 == 0) add("device", "nvme0n" + std::to_string(i % 4));
      for (size_t j = first; j < strings.size(); j += 2) labels[i].push_back({strings[j], strings[j + 1]});
      samples[i].push_back({1700000000000 + static_cast<int64_t>(rng() % 15000),
                            static_cast<double>(rng() % 100000000) / 100.0});
    }
    std::vector<TimeSeriesView> views;
    for (size_t i = 0; i < n_series; ++i) views.push_back({labels[i], samples[i]});
    body = EncodeWriteRequest(views);
  }
};

const NodeExporterRequest& Request10k() {
  static const NodeExporterRequest* request = new NodeExporterRequest(10000);
  return *request;
}

void BM_RemoteWriteDecodeAndEmit(benchmark::State& state) {
  const NodeExporterRequest& req = Request10k();
  WriteRequestDecoder decoder;
  CountingSink sink;
  for (auto _ : state) {
    if (!decoder.Decode(req.body).ok()) state.SkipWithError("decode failed");
    decoder.Emit(&sink);
  }
  benchmark::DoNotOptimize(sink.label_bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * req.samples.size()));
  state.counters["body_bytes"] = static_cast<double>(req.body.size());
}
BENCHMARK(BM_RemoteWriteDecodeAndEmit);

void BM_RemoteWriteDecodeOnly(benchmark::State& state) {
  const NodeExporterRequest& req = Request10k();
  WriteRequestDecoder decoder;
  for (auto _ : state) {
    if (!decoder.Decode(req.body).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoder.sample_count());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * req.samples.size()));
}
BENCHMARK(BM_RemoteWriteDecodeOnly);

void BM_RemoteWriteEncode(benchmark::State& state) {
  const NodeExporterRequest& req = Request10k();
  std::vector<TimeSeriesView> views;
  for (size_t i = 0; i < req.labels.size(); ++i) views.push_back({req.labels[i], req.samples[i]});
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendWriteRequest(views, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * req.samples.size()));
}
BENCHMARK(BM_RemoteWriteEncode);

// Telegraf-like lines: cpu (10 fields), mem (6), disk (5), with a string field now and then.
std::string InfluxBody(size_t n_lines, size_t* n_samples) {
  std::string body;
  *n_samples = 0;
  std::mt19937_64 rng(2);
  for (size_t i = 0; i < n_lines; ++i) {
    const std::string ts = std::to_string(1700000000000000000 + static_cast<int64_t>(i) * 1000000);
    const std::string host = "host=server" + std::to_string(i % 100) + ",region=us-west";
    switch (i % 3) {
      case 0:
        body += "cpu,cpu=cpu" + std::to_string(i % 16) + "," + host + " ";
        for (const char* f : {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq",
                              "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}) {
          body += std::string(f) + "=" + std::to_string(static_cast<double>(rng() % 10000) / 100.0) + ",";
        }
        body.back() = ' ';
        *n_samples += 10;
        break;
      case 1:
        body += "mem," + host + " total=16777216000i,available=" + std::to_string(rng() % 16777216000) +
                "i,used_percent=" + std::to_string(static_cast<double>(rng() % 10000) / 100.0) +
                ",free=123456789i,cached=987654321i,active=true ";
        *n_samples += 6;
        break;
      default:
        body += "disk,device=nvme0n1,fstype=ext4,mode=rw,path=/data," + host + " total=1000000000000i,free=" +
                std::to_string(rng() % 1000000000000) + "i,used_percent=42.5,inodes_free=1234567u,label=\"data vol\" ";
        *n_samples += 4;
        break;
    }
    body += ts + "\n";
  }
  return body;
}

void BM_InfluxParse(benchmark::State& state) {
  const size_t n_lines = 10000;
  size_t n_samples;
  const std::string body = InfluxBody(n_lines, &n_samples);
  InfluxOptions options;
  options.db = "telegraf";
  CountingSink sink;
  for (auto _ : state) {
    IngestStats stats;
    if (!ParseInfluxLines(body, options, &sink, &stats).ok() || stats.invalid_lines != 0) {
      state.SkipWithError("parse failed");
    }
  }
  benchmark::DoNotOptimize(sink.label_bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n_samples));
  state.counters["lines_per_second"] =
      benchmark::Counter(static_cast<double>(n_lines), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_InfluxParse);

void BM_VmImportParse(benchmark::State& state) {
  const size_t n_lines = 1000;
  const size_t per_line = 100;
  std::mt19937_64 rng(3);
  std::string body;
  for (size_t i = 0; i < n_lines; ++i) {
    body += R"({"metric":{"__name__":"node_cpu_seconds_total","cpu":")" + std::to_string(i % 64) +
            R"(","instance":"10.10.10.10:9100","job":"node","mode":"idle"},"values":[)";
    for (size_t j = 0; j < per_line; ++j) {
      body += std::to_string(static_cast<double>(rng() % 100000000) / 100.0) + (j + 1 < per_line ? "," : "");
    }
    body += R"(],"timestamps":[)";
    for (size_t j = 0; j < per_line; ++j) {
      body += std::to_string(1700000000000 + static_cast<int64_t>(j) * 15000) + (j + 1 < per_line ? "," : "");
    }
    body += "]}\n";
  }
  VmImportOptions options;
  CountingSink sink;
  for (auto _ : state) {
    IngestStats stats;
    if (!ParseVmImportLines(body, options, &sink, &stats).ok() || stats.invalid_lines != 0) {
      state.SkipWithError("parse failed");
    }
  }
  benchmark::DoNotOptimize(sink.label_bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n_lines * per_line));
}
BENCHMARK(BM_VmImportParse);

}  // namespace
}  // namespace vigil::ingest

BENCHMARK_MAIN();
