// Micro-benchmark of the sample chunk codec (src/tsdb/chunk.h) on series
// shaped like node-exporter data, scraped every 15 s with occasional jitter
// of a few milliseconds.
//
// Reports samples/s (items_per_second) for encode and decode, and as counters
// the chunk's bytes per sample next to what a Prometheus-style Gorilla chunk
// (delta-of-delta timestamps with 14/17/20/64-bit buckets, XOR values) would
// take for the same samples.
//
// Build by hand until bench/ has a CMake target (one line):
//   g++ -O2 -std=c++20 -I src -I build/<dir>/generated bench/tsdb_chunk_bench.cc
//       src/tsdb/chunk.cc src/base/status.cc -lbenchmark -lpthread

#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tsdb/chunk.h"

namespace vigil::tsdb {
namespace {

struct Series {
  std::vector<int64_t> t;
  std::vector<double> v;
};

enum Dataset : int {
  kCounterSmallIncrements = 0,  // e.g. node_context_switches-like, +0..+9 a scrape
  kCounterCpuSeconds = 1,       // node_cpu_seconds_total: 2 decimals, steady rate
  kCounterBytes = 2,            // node_network_receive_bytes_total: bursty
  kGauge2Decimals = 3,          // e.g. temperature / load: random walk, 2 decimals
  kConstant = 4,                // e.g. node_boot_time_seconds, *_info
  kRandomDoubles = 5,           // worst case: no structure at all
};

const char* DatasetName(int d) {
  switch (d) {
    case kCounterSmallIncrements: return "counter_small_int";
    case kCounterCpuSeconds: return "counter_cpu_seconds";
    case kCounterBytes: return "counter_bytes";
    case kGauge2Decimals: return "gauge_2_decimals";
    case kConstant: return "constant";
    default: return "random_doubles";
  }
}

Series Generate(int dataset, size_t n) {
  std::mt19937_64 rng(42 + static_cast<uint64_t>(dataset));
  Series s;
  int64_t base = 1700000000000;
  int64_t counter = 1000000;
  int64_t centis = 123456789;
  int64_t gauge_centis = 4523;
  for (size_t i = 0; i < n; ++i) {
    base += 15000;
    // One scrape in ten lands a few ms off the grid.
    const int64_t jitter = rng() % 10 == 0 ? static_cast<int64_t>(rng() % 11) - 5 : 0;
    s.t.push_back(base + jitter);
    double v = 0;
    switch (dataset) {
      case kCounterSmallIncrements:
        counter += static_cast<int64_t>(rng() % 10);
        v = static_cast<double>(counter);
        break;
      case kCounterCpuSeconds:
        centis += 1420 + static_cast<int64_t>(rng() % 41);  // ~95% idle core, 100 Hz ticks
        v = static_cast<double>(centis) / 100;
        break;
      case kCounterBytes:
        counter += static_cast<int64_t>(rng() % 200000);
        v = static_cast<double>(counter);
        break;
      case kGauge2Decimals:
        gauge_centis += static_cast<int64_t>(rng() % 41) - 20;
        v = static_cast<double>(gauge_centis) / 100;
        break;
      case kConstant:
        v = 1699999000;
        break;
      default:
        v = std::uniform_real_distribution<double>(0, 1000)(rng);
        break;
    }
    s.v.push_back(v);
  }
  return s;
}

// Size in bits of the same samples in a Prometheus-style XOR chunk.
size_t GorillaBits(const Series& s, size_t begin, size_t end) {
  auto varint_bits = [](uint64_t u) { return 8 * (static_cast<size_t>(std::bit_width(u | 1)) + 6) / 7; };
  size_t bits = 16;  // sample count
  int64_t prev_t = 0, prev_delta = 0;
  uint64_t prev_v = 0;
  int lead = 0, trail = 0;
  bool have_window = false;
  for (size_t i = begin; i < end; ++i) {
    const int64_t t = s.t[i];
    const uint64_t v = std::bit_cast<uint64_t>(s.v[i]);
    if (i == begin) {
      bits += varint_bits(static_cast<uint64_t>(t) << 1) + 64;
    } else if (i == begin + 1) {
      bits += varint_bits(static_cast<uint64_t>(t - prev_t));
    } else {
      const int64_t dod = (t - prev_t) - prev_delta;
      const int64_t mag = dod < 0 ? -dod : dod;
      bits += dod == 0 ? 1 : mag < 8192 ? 2 + 14 : mag < 65536 ? 3 + 17 : mag < 524288 ? 4 + 20 : 4 + 64;
    }
    if (i > begin) {
      prev_delta = t - prev_t;
      const uint64_t x = v ^ prev_v;
      if (x == 0) {
        bits += 1;
      } else {
        int l = std::countl_zero(x), tr = std::countr_zero(x);
        if (l > 31) l = 31;
        if (have_window && l >= lead && tr >= trail) {
          bits += 2 + static_cast<size_t>(64 - lead - trail);
        } else {
          bits += 2 + 5 + 6 + static_cast<size_t>(64 - l - tr);
          lead = l;
          trail = tr;
          have_window = true;
        }
      }
    }
    prev_t = t;
    prev_v = v;
  }
  return bits;
}

constexpr size_t kSamples = 120 * 1024;

void BM_Encode(benchmark::State& state) {
  const int dataset = static_cast<int>(state.range(0));
  const size_t chunk_len = static_cast<size_t>(state.range(1));
  const Series s = Generate(dataset, kSamples);
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    ChunkEncoder enc;
    for (size_t i = 0; i < kSamples; ++i) {
      enc.Append(s.t[i], s.v[i]);
      if (enc.num_samples() == chunk_len) {
        bytes += enc.size_bytes();
        benchmark::DoNotOptimize(enc.Finish());
      }
    }
    bytes += enc.size_bytes();
  }
  size_t gorilla_bits = 0;
  for (size_t i = 0; i < kSamples; i += chunk_len) {
    gorilla_bits += (GorillaBits(s, i, std::min(kSamples, i + chunk_len)) + 7) / 8 * 8;
  }
  state.SetLabel(DatasetName(dataset));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSamples));
  state.counters["B/sample"] = static_cast<double>(bytes) / kSamples;
  state.counters["gorilla_B/sample"] = static_cast<double>(gorilla_bits) / 8 / kSamples;
}

void BM_Decode(benchmark::State& state) {
  const int dataset = static_cast<int>(state.range(0));
  const size_t chunk_len = static_cast<size_t>(state.range(1));
  const Series s = Generate(dataset, kSamples);
  std::vector<std::string> chunks;
  ChunkEncoder enc;
  for (size_t i = 0; i < kSamples; ++i) {
    enc.Append(s.t[i], s.v[i]);
    if (enc.num_samples() == chunk_len) chunks.push_back(enc.Finish());
  }
  if (enc.num_samples() > 0) chunks.push_back(enc.Finish());
  for (auto _ : state) {
    int64_t tsum = 0;
    double vsum = 0;
    for (const std::string& c : chunks) {
      ChunkDecoder dec(c);
      while (dec.Next()) {
        tsum += dec.t();
        vsum += dec.v();
      }
      if (!dec.status().ok()) state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(tsum);
    benchmark::DoNotOptimize(vsum);
  }
  state.SetLabel(DatasetName(dataset));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSamples));
}

void BM_DecodeBatch(benchmark::State& state) {
  const int dataset = static_cast<int>(state.range(0));
  const size_t chunk_len = static_cast<size_t>(state.range(1));
  const auto layout = static_cast<ChunkLayout>(state.range(2));
  const Series s = Generate(dataset, kSamples);
  std::vector<std::string> chunks;
  ChunkEncoder enc(layout);
  for (size_t i = 0; i < kSamples; ++i) {
    enc.Append(s.t[i], s.v[i]);
    if (enc.num_samples() == chunk_len) chunks.push_back(enc.Finish());
  }
  if (enc.num_samples() > 0) chunks.push_back(enc.Finish());
  size_t bytes = 0;
  for (const std::string& c : chunks) bytes += c.size();
  std::vector<Sample> out(chunk_len);
  for (auto _ : state) {
    size_t total = 0;
    for (const std::string& c : chunks) {
      ChunkDecoder dec(c);
      total += dec.NextSamples(out);
      benchmark::DoNotOptimize(out.data());
    }
    if (total != kSamples) state.SkipWithError("decode failed");
  }
  static const char* const kLayoutSuffix[] = {"", "/split", "/blocks"};
  state.SetLabel(std::string(DatasetName(dataset)) + kLayoutSuffix[static_cast<int>(layout)]);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSamples));
  state.counters["B/sample"] = static_cast<double>(bytes) / kSamples;
}

void Args(benchmark::internal::Benchmark* b) {
  for (int d = kCounterSmallIncrements; d <= kRandomDoubles; ++d) {
    for (int len : {120, 1024}) b->Args({d, len});
  }
}

BENCHMARK(BM_Encode)->Apply(Args);
BENCHMARK(BM_Decode)->Apply(Args);
// DecodeBatch (NextSamples) over each layout (third argument): the head's
// interleaved chunks, the older split parts, and block chunks.
void LayoutArgs(benchmark::internal::Benchmark* b) {
  for (int d = kCounterSmallIncrements; d <= kRandomDoubles; ++d) {
    for (int len : {120, 480}) {
      for (ChunkLayout layout : {ChunkLayout::kInterleaved, ChunkLayout::kSplit, ChunkLayout::kBlocks}) b->Args({d, len, static_cast<int>(layout)});
    }
  }
}

BENCHMARK(BM_DecodeBatch)->Apply(LayoutArgs);

}  // namespace
}  // namespace vigil::tsdb

BENCHMARK_MAIN();
