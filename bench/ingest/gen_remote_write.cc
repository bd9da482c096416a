// gen_remote_write: writes the ingestion benchmark's data set as pre-encoded
// Prometheus remote_write request bodies (snappy block format over a prompb
// WriteRequest), so every system under test receives exactly the same bytes.
//
// The data imitate node_exporter scrapes of many hosts at a 15 s interval:
//   - CPU seconds counters in 1/100 s ticks (USER_HZ), split across modes;
//   - byte/packet/operation counters with bursty integer increments;
//   - gauges with few significant digits (memory in 4 KiB pages, load averages
//     with 2 decimals, filesystem bytes), a few constant ones, and a few
//     full-precision noisy ones (node_time_seconds, node_timex_offset_seconds,
//     scrape_duration_seconds) that compress badly, as in real life;
//   - classic histograms (_bucket{le} cumulative counters, _sum, _count);
//   - churn: per-host "pod" series whose pod name changes every 2-12 h; when a
//     pod goes away its series get one staleness marker, as Prometheus sends.
// Every host is scraped once per interval at its own offset plus a few ms of
// jitter; all samples of one scrape share one timestamp.
//
// Requests are cut as Prometheus' remote_write queue cuts them: every series
// belongs to one of --shards shards (a hash of its labels), each shard fills
// its own request with --batch samples (one sample per TimeSeries entry,
// labels repeated) in scrape-time order and is sent over its own connection.
// So per series the stream is in time order whatever the interleaving of the
// shards, and Prometheus (which rejects out-of-order samples by default)
// accepts it.
//
// Output, in --out:
//   requests.bin   a sequence of records: u32le body_len, u32le samples,
//                  u32le shard, u32le 0, i64le first sample timestamp (ms),
//                  body; each shard's records in send order
//   manifest.json  sizes, time range, and expected contents of a few series
//                  (sample count, first/last timestamp, sum of values) used
//                  by verify.py to check each system stored the data.
//
// Standalone on purpose (only libsnappy): build with
//   g++ -O2 -std=c++20 gen_remote_write.cc -lsnappy -o gen_remote_write

#include <snappy.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ---- protobuf wire writer (the few pieces a WriteRequest needs) ----

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutLengthDelimited(std::string* out, int field, std::string_view bytes) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

using LabelSet = std::vector<std::pair<std::string, std::string>>;

// Encodes the repeated `Label labels = 1` fields of a TimeSeries, sorted by
// name as Prometheus sends them.
std::string EncodeLabels(LabelSet labels) {
  std::sort(labels.begin(), labels.end());
  std::string out, label;
  for (const auto& [name, value] : labels) {
    label.clear();
    PutLengthDelimited(&label, 1, name);
    PutLengthDelimited(&label, 2, value);
    PutLengthDelimited(&out, 1, label);
  }
  return out;
}

// Appends one `TimeSeries timeseries = 1` entry with a single sample.
// Proto3 defaults (value +0.0) are omitted, as gogo-protobuf does.
void AppendTimeSeries(std::string* out, std::string_view encoded_labels, double value,
                      int64_t ts_ms) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const bool write_value = bits != 0;
  const size_t sample_len = (write_value ? 9 : 0) + 1 + VarintSize(static_cast<uint64_t>(ts_ms));
  const size_t series_len = encoded_labels.size() + 1 + VarintSize(sample_len) + sample_len;
  out->push_back(0x0a);  // field 1, length-delimited
  PutVarint(out, series_len);
  out->append(encoded_labels);
  out->push_back(0x12);  // Sample samples = 2
  PutVarint(out, sample_len);
  if (write_value) {
    out->push_back(0x09);  // double value = 1
    PutFixed64(out, bits);
  }
  out->push_back(0x10);  // int64 timestamp = 2
  PutVarint(out, static_cast<uint64_t>(ts_ms));
}

// The remote_write shard a series is sent on (FNV-1a of its labels).
uint32_t ShardOf(std::string_view encoded_labels, int shards) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : encoded_labels) h = (h ^ c) * 0x100000001b3ULL;
  return static_cast<uint32_t>(h % static_cast<uint64_t>(shards));
}

// ---- deterministic randomness ----

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Range(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Normal() {  // Box-Muller, one value
    double u1 = std::max(Uniform(), 1e-300);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * Uniform());
  }

 private:
  uint64_t state_;
};

// Rounds v to a multiple of step. For decimal steps (0.01, 0.001) the result
// is the double nearest to the decimal, i.e. what parsing the exposition text
// "0.69" gives, not 69 * 0.01 (= 0.6900000000000001).
double Quantize(double v, double step) {
  if (step < 1) {
    const double inv = std::round(1 / step);
    return std::round(v * inv) / inv;
  }
  return std::round(v / step) * step;
}

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
double StaleNaN() {
  double d;
  std::memcpy(&d, &kStaleNaNBits, sizeof d);
  return d;
}

// ---- one simulated host ----

struct Series {
  std::string encoded_labels;
  LabelSet labels;  // kept for the manifest
  double value = 0;
  bool present = true;     // scraped this round
  bool send_stale = false;  // send a staleness marker this round
};

constexpr int kCpus = 4;
constexpr int kModes = 8;
const char* const kModeNames[kModes] = {"idle",    "iowait", "irq",   "nice",
                                         "softirq", "steal",  "system", "user"};
constexpr int kPods = 4;
const double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
constexpr int kBucketCount = sizeof(kBuckets) / sizeof(kBuckets[0]);
const char* const kHandlers[] = {"/api/v1/query", "/api/v1/write", "/metrics"};
constexpr int kHandlerCount = 3;

class Host {
 public:
  Host(int index, uint64_t seed, int64_t start_ms) : rng_(seed), index_(index) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "host-%05d:9100", index);
    instance_ = buf;
    offset_ms_ = rng_.Int(0, 14'999);
    boot_time_ = std::floor(start_ms / 1000.0) - rng_.Int(3600, 90LL * 86400);
    mem_total_ = 4096.0 * rng_.Int(1, 16) * 262144;  // 1..16 GiB
    Build(start_ms);
  }

  int64_t offset_ms() const { return offset_ms_; }
  std::vector<Series>& series() { return series_; }
  const std::string& instance() const { return instance_; }
  // Distinct label sets this host has produced so far (pod churn adds some).
  size_t unique_series() const { return series_.size() + 2 * (pods_created_ - kPods); }

  // Advances every series by one 15 s scrape taken at ts_ms.
  void Scrape(int64_t ts_ms);

 private:
  size_t Add(const std::string& name, LabelSet extra, double initial) {
    Series s;
    s.labels = {{"__name__", name}, {"instance", instance_}, {"job", "node"}};
    for (auto& kv : extra) s.labels.push_back(std::move(kv));
    s.encoded_labels = EncodeLabels(s.labels);
    s.value = initial;
    series_.push_back(std::move(s));
    return series_.size() - 1;
  }
  void NewPod(int p, int64_t now_ms);
  void Build(int64_t start_ms);

  Rng rng_;
  int index_;
  std::string instance_;
  int64_t offset_ms_;
  double boot_time_, mem_total_;
  std::vector<Series> series_;
  // State behind the values.
  double cpu_util_[kCpus];
  size_t cpu_first_ = 0, load_first_ = 0, mem_first_ = 0, fs_first_ = 0, net_first_ = 0,
         disk_first_ = 0, misc_first_ = 0, hist_first_ = 0, pod_first_ = 0;
  double load_ = 0.5, net_rate_ = 2e5, disk_rate_ = 5e5;
  double fs_used_[3];
  double fs_size_[3];
  int64_t pod_end_ms_[kPods];
  size_t pods_created_ = 0;
};

void Host::Build(int64_t start_ms) {
  cpu_first_ = series_.size();
  for (int c = 0; c < kCpus; ++c) {
    cpu_util_[c] = rng_.Range(0.05, 0.6);
    for (int m = 0; m < kModes; ++m)
      Add("node_cpu_seconds_total", {{"cpu", std::to_string(c)}, {"mode", kModeNames[m]}},
          Quantize(rng_.Range(1e3, 5e6), 0.01));
  }
  load_first_ = series_.size();
  for (const char* n : {"node_load1", "node_load5", "node_load15"}) Add(n, {}, 0.5);
  mem_first_ = series_.size();
  for (const char* n : {"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "Active",
                        "Inactive", "Dirty", "SwapTotal", "SwapFree", "Slab", "Shmem"})
    Add(std::string("node_memory_") + n + "_bytes", {}, 0);
  fs_first_ = series_.size();
  const char* mounts[3][3] = {{"/dev/vda1", "ext4", "/"},
                              {"/dev/vdb1", "xfs", "/data"},
                              {"tmpfs", "tmpfs", "/run"}};
  for (int f = 0; f < 3; ++f) {
    fs_size_[f] = 4096.0 * rng_.Int(1 << 18, 1 << 26);
    fs_used_[f] = Quantize(fs_size_[f] * rng_.Range(0.1, 0.8), 4096);
    for (const char* n : {"node_filesystem_avail_bytes", "node_filesystem_free_bytes",
                          "node_filesystem_size_bytes", "node_filesystem_files_free"})
      Add(n, {{"device", mounts[f][0]}, {"fstype", mounts[f][1]}, {"mountpoint", mounts[f][2]}},
          0);
  }
  net_first_ = series_.size();
  for (const char* dev : {"eth0", "lo"})
    for (const char* dir : {"receive", "transmit"})
      for (const char* what : {"bytes", "packets", "errs", "drop"})
        Add(std::string("node_network_") + dir + "_" + what + "_total", {{"device", dev}},
            std::floor(rng_.Range(0, 1e9)));
  disk_first_ = series_.size();
  for (const char* dev : {"vda", "vdb"}) {
    for (const char* n : {"node_disk_reads_completed_total", "node_disk_writes_completed_total",
                          "node_disk_read_bytes_total", "node_disk_written_bytes_total"})
      Add(n, {{"device", dev}}, std::floor(rng_.Range(0, 1e10)));
    Add("node_disk_io_time_seconds_total", {{"device", dev}}, Quantize(rng_.Range(0, 1e5), 0.001));
  }
  misc_first_ = series_.size();
  Add("node_context_switches_total", {}, std::floor(rng_.Range(1e6, 1e10)));  // +0
  Add("node_intr_total", {}, std::floor(rng_.Range(1e6, 1e10)));              // +1
  Add("node_forks_total", {}, std::floor(rng_.Range(1e4, 1e7)));              // +2
  Add("node_procs_running", {}, 2);                                           // +3
  Add("node_procs_blocked", {}, 0);                                           // +4
  Add("node_time_seconds", {}, 0);                                            // +5
  Add("node_boot_time_seconds", {}, boot_time_);                              // +6
  Add("node_timex_offset_seconds", {}, 0);                                    // +7
  Add("process_cpu_seconds_total", {}, Quantize(rng_.Range(10, 1e4), 0.01));  // +8
  Add("process_resident_memory_bytes", {}, 4096.0 * rng_.Int(3000, 6000));    // +9
  Add("go_goroutines", {}, 9);                                                // +10
  Add("go_memstats_heap_alloc_bytes", {}, 4e6);                               // +11
  Add("up", {}, 1);                                                           // +12
  Add("scrape_duration_seconds", {}, 0.01);                                   // +13
  Add("scrape_samples_scraped", {}, 0);                                       // +14
  hist_first_ = series_.size();
  char le[32];
  for (int h = 0; h < kHandlerCount; ++h) {
    for (int b = 0; b < kBucketCount; ++b) {
      std::snprintf(le, sizeof le, "%g", kBuckets[b]);
      Add("http_request_duration_seconds_bucket", {{"handler", kHandlers[h]}, {"le", le}}, 0);
    }
    Add("http_request_duration_seconds_bucket", {{"handler", kHandlers[h]}, {"le", "+Inf"}}, 0);
    Add("http_request_duration_seconds_sum", {{"handler", kHandlers[h]}}, 0);
    Add("http_request_duration_seconds_count", {{"handler", kHandlers[h]}}, 0);
  }
  pod_first_ = series_.size();
  for (int p = 0; p < kPods; ++p) {
    Add("container_cpu_usage_seconds_total", {}, 0);
    Add("container_memory_working_set_bytes", {}, 0);
    // Stagger the first pods' remaining lifetimes.
    NewPod(p, start_ms - rng_.Int(0, 10LL * 3600 * 1000));
  }
  for (auto& s : series_) s.present = true;
}

void Host::NewPod(int p, int64_t now_ms) {
  ++pods_created_;
  char pod[64];
  std::snprintf(pod, sizeof pod, "app-%d-%08llx", p,
                static_cast<unsigned long long>(rng_.Next() & 0xffffffffULL));
  pod_end_ms_[p] = now_ms + rng_.Int(2LL * 3600 * 1000, 12LL * 3600 * 1000);
  for (int k = 0; k < 2; ++k) {
    Series& s = series_[pod_first_ + 2 * p + k];
    s.labels = {{"__name__", k == 0 ? "container_cpu_usage_seconds_total"
                                    : "container_memory_working_set_bytes"},
                {"instance", instance_},
                {"job", "node"},
                {"namespace", "default"},
                {"pod", pod}};
    s.encoded_labels = EncodeLabels(s.labels);
    s.value = k == 0 ? 0 : 4096.0 * rng_.Int(5000, 50000);
  }
}

void Host::Scrape(int64_t ts_ms) {
  constexpr double kStep = 15.0;
  // CPU: 1500 ticks per CPU per scrape, split across modes.
  for (int c = 0; c < kCpus; ++c) {
    double& u = cpu_util_[c];
    u = std::clamp(u + 0.03 * rng_.Normal(), 0.01, 0.97);
    const int busy = static_cast<int>(1500 * u);
    int ticks[kModes] = {};
    ticks[7] = static_cast<int>(busy * rng_.Range(0.55, 0.75));               // user
    ticks[6] = static_cast<int>(busy * rng_.Range(0.15, 0.3));                // system
    ticks[1] = static_cast<int>(rng_.Uniform() < 0.3 ? rng_.Int(0, 30) : 0);  // iowait
    ticks[4] = static_cast<int>(rng_.Int(0, 3));                              // softirq
    ticks[2] = rng_.Uniform() < 0.05 ? 1 : 0;                                 // irq
    ticks[3] = rng_.Uniform() < 0.02 ? static_cast<int>(rng_.Int(1, 20)) : 0; // nice
    ticks[5] = rng_.Uniform() < 0.1 ? static_cast<int>(rng_.Int(0, 5)) : 0;   // steal
    int used = 0;
    for (int m = 1; m < kModes; ++m) used += ticks[m];
    ticks[0] = std::max(0, 1500 - used);  // idle
    for (int m = 0; m < kModes; ++m) {
      double& v = series_[cpu_first_ + c * kModes + m].value;
      v = Quantize(v + ticks[m] / 100.0, 0.01);
    }
  }
  double total_util = 0;
  for (double u : cpu_util_) total_util += u;
  // Load averages: exponentially damped runnable count, 2 decimals.
  load_ = std::max(0.0, 0.9 * load_ + 0.1 * (total_util + 0.5 * rng_.Normal()));
  series_[load_first_ + 0].value = Quantize(load_, 0.01);
  series_[load_first_ + 1].value = Quantize(0.95 * series_[load_first_ + 1].value + 0.05 * load_, 0.01);
  series_[load_first_ + 2].value = Quantize(0.98 * series_[load_first_ + 2].value + 0.02 * load_, 0.01);
  // Memory in 4 KiB pages.
  auto page = [](double v) { return Quantize(std::max(v, 0.0), 4096); };
  Series* mem = &series_[mem_first_];
  mem[0].value = mem_total_;
  double avail = mem[2].value == 0 ? mem_total_ * 0.6 : mem[2].value;
  avail = std::clamp(avail + mem_total_ * 0.002 * rng_.Normal(), mem_total_ * 0.05, mem_total_ * 0.95);
  mem[2].value = page(avail);
  mem[1].value = page(avail * rng_.Range(0.2, 0.3));
  mem[3].value = page(mem_total_ * 0.02 + (rng_.Uniform() < 0.1 ? 4096 * rng_.Int(-5, 5) : 0));
  mem[4].value = page(avail * 0.6);
  mem[5].value = page((mem_total_ - avail) * 0.7);
  mem[6].value = page((mem_total_ - avail) * 0.25 + avail * 0.1);
  mem[7].value = page(4096.0 * rng_.Int(0, 2000));
  mem[8].value = mem_total_ / 4;
  mem[9].value = page(mem_total_ / 4 - 4096.0 * (index_ % 7) * 100);
  mem[10].value = page(mem_total_ * 0.03 + 4096.0 * rng_.Int(-20, 20));
  mem[11].value = page(4096.0 * 3000 + 4096.0 * rng_.Int(0, 10));
  // Filesystems: slowly filling disks, occasional cleanup.
  for (int f = 0; f < 3; ++f) {
    fs_used_[f] += 4096.0 * rng_.Int(0, 50);
    if (rng_.Uniform() < 0.0005) fs_used_[f] = Quantize(fs_used_[f] * 0.8, 4096);
    fs_used_[f] = std::min(fs_used_[f], fs_size_[f]);
    Series* fs = &series_[fs_first_ + 4 * f];
    fs[1].value = page(fs_size_[f] - fs_used_[f]);
    fs[0].value = page(fs[1].value - fs_size_[f] * 0.05);
    fs[2].value = fs_size_[f];
    fs[3].value = std::floor(fs[1].value / 16384);
  }
  // Network and disks: bursty integer counters.
  net_rate_ = std::clamp(net_rate_ * std::exp(0.1 * rng_.Normal()), 1e3, 1e8);
  for (int d = 0; d < 2; ++d) {
    for (int dir = 0; dir < 2; ++dir) {
      Series* n = &series_[net_first_ + d * 8 + dir * 4];
      const double bytes = std::floor(net_rate_ * kStep * rng_.Range(0.5, 1.5) * (d == 0 ? 1 : 0.05));
      n[0].value += bytes;
      n[1].value += std::floor(bytes / rng_.Range(200, 1400));
      if (rng_.Uniform() < 0.001) n[2].value += 1;
      if (rng_.Uniform() < 0.003) n[3].value += rng_.Int(1, 10);
    }
  }
  disk_rate_ = std::clamp(disk_rate_ * std::exp(0.15 * rng_.Normal()), 1e3, 2e8);
  for (int d = 0; d < 2; ++d) {
    Series* k = &series_[disk_first_ + d * 5];
    const double rd = std::floor(rng_.Range(0, 1) * disk_rate_ * kStep / 4096) * 4096;
    const double wr = std::floor(rng_.Range(0.5, 1.5) * disk_rate_ * kStep / 4096) * 4096;
    k[0].value += std::floor(rd / 16384);
    k[1].value += std::floor(wr / 8192);
    k[2].value += rd;
    k[3].value += wr;
    k[4].value = Quantize(k[4].value + std::min(kStep, wr / 5e7 + rng_.Range(0, 0.2)), 0.001);
  }
  // Misc.
  Series* m = &series_[misc_first_];
  m[0].value += std::floor(total_util * 3000 * kStep * rng_.Range(0.8, 1.2));
  m[1].value += std::floor(total_util * 1500 * kStep * rng_.Range(0.8, 1.2));
  m[2].value += rng_.Int(0, 40);
  m[3].value = rng_.Int(1, 1 + static_cast<int64_t>(total_util * 2));
  m[4].value = rng_.Uniform() < 0.05 ? 1 : 0;
  m[5].value = static_cast<double>(ts_ms) / 1000.0 + rng_.Range(0.001, 0.004);
  m[7].value = 2e-5 * rng_.Normal();
  m[8].value = Quantize(m[8].value + rng_.Range(0.01, 0.08), 0.01);
  m[9].value = page(m[9].value + 4096.0 * rng_.Int(-30, 30));
  m[10].value = std::max(5.0, m[10].value + static_cast<double>(rng_.Int(-1, 1)));
  m[11].value = std::floor(std::clamp(m[11].value * std::exp(0.05 * rng_.Normal()), 1e6, 6e7));
  m[13].value = 0.004 + 0.01 * rng_.Uniform();
  // Histograms: cumulative bucket counters.
  for (int h = 0; h < kHandlerCount; ++h) {
    Series* b = &series_[hist_first_ + h * (kBucketCount + 3)];
    const int requests = static_cast<int>(rng_.Int(0, h == 1 ? 150 : 20));
    double sum = 0;
    int counts[kBucketCount + 1] = {};
    for (int r = 0; r < requests; ++r) {
      const double latency = std::exp(-4.5 + 1.2 * rng_.Normal() + h * 0.3);
      sum += latency;
      int bucket = 0;
      while (bucket < kBucketCount && latency > kBuckets[bucket]) ++bucket;
      ++counts[bucket];
    }
    int cumulative = 0;
    for (int i = 0; i <= kBucketCount; ++i) {
      cumulative += counts[i];
      b[i].value += cumulative;
    }
    b[kBucketCount + 1].value += sum;  // _sum keeps full precision, as in Go clients
    b[kBucketCount + 2].value += requests;
  }
  // Pods: churn with a staleness marker when a pod goes away.
  for (int p = 0; p < kPods; ++p) {
    Series* pod = &series_[pod_first_ + 2 * p];
    if (ts_ms >= pod_end_ms_[p]) {
      for (int k = 0; k < 2; ++k) {
        pod[k].send_stale = true;
        pod[k].present = false;
      }
      pod_end_ms_[p] = INT64_MAX;
      continue;  // the replacement pod shows up next scrape
    }
    if (!pod[0].present) {
      NewPod(p, ts_ms);
      pod[0].present = pod[1].present = true;
    }
    pod[0].value = Quantize(pod[0].value + rng_.Range(0.05, 2.0), 1e-9);
    pod[1].value = page(pod[1].value + 4096.0 * rng_.Int(-200, 220));
  }
  m[14].value = static_cast<double>(series_.size());
}

// ---- the request stream ----

struct Options {
  int series = 10000;
  double hours = 24;
  int batch = 10000;
  int shards = 4;
  int interval_s = 15;
  uint64_t seed = 42;
  int64_t end_ms = 0;  // 0 = now, rounded down to the interval
  std::string out = ".";
};

struct CheckSeries {
  LabelSet labels;
  size_t host, index;
  uint64_t count = 0;
  int64_t first_ts = 0, last_ts = 0;
  double sum = 0, last_value = 0;
};

void Usage() {
  std::fprintf(stderr,
               "usage: gen_remote_write --out DIR [--series N] [--hours H] [--batch S]\n"
               "                        [--shards 4] [--interval-s 15] [--seed 42] [--end-ms MS]\n");
  std::exit(2);
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) Usage();
    const char* v = argv[++i];
    if (a == "--series") opt.series = std::atoi(v);
    else if (a == "--hours") opt.hours = std::atof(v);
    else if (a == "--batch") opt.batch = std::atoi(v);
    else if (a == "--shards") opt.shards = std::atoi(v);
    else if (a == "--interval-s") opt.interval_s = std::atoi(v);
    else if (a == "--seed") opt.seed = std::strtoull(v, nullptr, 10);
    else if (a == "--end-ms") opt.end_ms = std::strtoll(v, nullptr, 10);
    else if (a == "--out") opt.out = v;
    else Usage();
  }
  if (opt.series <= 0 || opt.hours <= 0 || opt.batch <= 0 || opt.interval_s <= 0 ||
      opt.shards <= 0) Usage();
  const int64_t interval_ms = int64_t{opt.interval_s} * 1000;
  if (opt.end_ms == 0)
    opt.end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  opt.end_ms -= opt.end_ms % interval_ms;
  const int64_t rounds = static_cast<int64_t>(opt.hours * 3600.0 / opt.interval_s);
  // The last scrape (round rounds-1, offset < interval) ends before end_ms.
  const int64_t start_ms = opt.end_ms - rounds * interval_ms - interval_ms;

  Rng seeder(opt.seed);
  std::vector<Host> hosts;
  {
    Host probe(0, 1, start_ms);
    const size_t per_host = probe.series().size();
    const size_t n_hosts = std::max<size_t>(1, (opt.series + per_host / 2) / per_host);
    hosts.reserve(n_hosts);
    for (size_t h = 0; h < n_hosts; ++h) hosts.emplace_back(static_cast<int>(h), seeder.Next(), start_ms);
  }
  // Scrape order within a round follows each host's offset.
  std::vector<size_t> order(hosts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return hosts[a].offset_ms() < hosts[b].offset_ms(); });

  // A few stable series to verify later, on the first and a middle host.
  std::vector<CheckSeries> checks;
  for (size_t h : {size_t{0}, hosts.size() / 2}) {
    for (size_t idx : {size_t{0}, size_t{7}, size_t{33}, size_t{36}, size_t{47}, size_t{60},
                       size_t{75}, size_t{80}, size_t{83}, size_t{90}, size_t{100}}) {
      if (idx >= hosts[h].series().size()) continue;
      CheckSeries c;
      c.labels = hosts[h].series()[idx].labels;
      c.host = h;
      c.index = idx;
      checks.push_back(std::move(c));
    }
    if (hosts.size() == 1) break;
  }

  const std::string path = opt.out + "/requests.bin";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    return 1;
  }
  struct ShardBuffer {
    std::string body;
    uint32_t samples = 0;
    int64_t first_ts = 0;
  };
  std::vector<ShardBuffer> shards(static_cast<size_t>(opt.shards));
  std::string compressed;
  uint64_t requests = 0, samples = 0, raw_bytes = 0, wire_bytes = 0, stale_markers = 0;
  int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
  auto flush = [&](uint32_t shard) {
    ShardBuffer& b = shards[shard];
    if (b.samples == 0) return;
    snappy::Compress(b.body.data(), b.body.size(), &compressed);
    const uint32_t header[4] = {static_cast<uint32_t>(compressed.size()), b.samples, shard, 0};
    if (std::fwrite(header, sizeof header, 1, f) != 1 ||
        std::fwrite(&b.first_ts, sizeof b.first_ts, 1, f) != 1 ||
        std::fwrite(compressed.data(), compressed.size(), 1, f) != 1) {
      std::perror("write");
      std::exit(1);
    }
    ++requests;
    samples += b.samples;
    raw_bytes += b.body.size();
    wire_bytes += compressed.size();
    b.body.clear();
    b.samples = 0;
  };
  auto emit = [&](const Series& s, double value, int64_t ts) {
    const uint32_t shard = ShardOf(s.encoded_labels, opt.shards);
    ShardBuffer& b = shards[shard];
    if (b.samples == 0) b.first_ts = ts;
    AppendTimeSeries(&b.body, s.encoded_labels, value, ts);
    min_ts = std::min(min_ts, ts);
    max_ts = std::max(max_ts, ts);
    if (++b.samples >= static_cast<uint32_t>(opt.batch)) flush(shard);
  };

  Rng jitter(opt.seed ^ 0x5eed);
  for (int64_t r = 0; r < rounds; ++r) {
    for (size_t h : order) {
      Host& host = hosts[h];
      const int64_t ts = start_ms + r * interval_ms + host.offset_ms() + jitter.Int(-2, 2);
      host.Scrape(ts);
      for (auto& s : host.series()) {
        if (s.present) {
          emit(s, s.value, ts);
        } else if (s.send_stale) {
          // The series vanished in this scrape: Prometheus writes one
          // staleness marker at the scrape's timestamp.
          emit(s, StaleNaN(), ts);
          s.send_stale = false;
          ++stale_markers;
        }
      }
      for (auto& c : checks) {
        if (c.host != h) continue;
        const Series& s = host.series()[c.index];
        if (c.count == 0) c.first_ts = ts;
        ++c.count;
        c.last_ts = ts;
        c.sum += s.value;
        c.last_value = s.value;
      }
    }
  }
  for (int shard = 0; shard < opt.shards; ++shard) flush(static_cast<uint32_t>(shard));
  std::fclose(f);
  uint64_t unique_series = 0;
  for (const auto& h : hosts) unique_series += h.unique_series();

  const std::string mpath = opt.out + "/manifest.json";
  std::FILE* m = std::fopen(mpath.c_str(), "w");
  if (m == nullptr) {
    std::perror(mpath.c_str());
    return 1;
  }
  std::fprintf(m,
               "{\n  \"hosts\": %zu,\n  \"series_per_host\": %zu,\n  \"active_series\": %zu,\n"
               "  \"unique_series\": %llu,\n  \"hours\": %g,\n  \"interval_s\": %d,\n  \"rounds\": %lld,\n"
               "  \"samples\": %llu,\n  \"stale_markers\": %llu,\n  \"requests\": %llu,\n"
               "  \"batch\": %d,\n  \"shards\": %d,\n  \"raw_protobuf_bytes\": %llu,\n  \"snappy_bytes\": %llu,\n"
               "  \"min_ts\": %lld,\n  \"max_ts\": %lld,\n  \"seed\": %llu,\n  \"checks\": [\n",
               hosts.size(), hosts[0].series().size(), hosts.size() * hosts[0].series().size(),
               static_cast<unsigned long long>(unique_series), opt.hours, opt.interval_s, static_cast<long long>(rounds),
               static_cast<unsigned long long>(samples),
               static_cast<unsigned long long>(stale_markers),
               static_cast<unsigned long long>(requests), opt.batch, opt.shards,
               static_cast<unsigned long long>(raw_bytes),
               static_cast<unsigned long long>(wire_bytes), static_cast<long long>(min_ts),
               static_cast<long long>(max_ts), static_cast<unsigned long long>(opt.seed));
  for (size_t i = 0; i < checks.size(); ++i) {
    const auto& c = checks[i];
    std::string labels = "{";
    for (size_t j = 0; j < c.labels.size(); ++j) {
      if (j) labels += ", ";
      labels += JsonString(c.labels[j].first) + ": " + JsonString(c.labels[j].second);
    }
    labels += "}";
    std::fprintf(m,
                 "    {\"labels\": %s, \"count\": %llu, \"first_ts\": %lld, \"last_ts\": %lld, "
                 "\"sum\": %.17g, \"last_value\": %.17g}%s\n",
                 labels.c_str(), static_cast<unsigned long long>(c.count),
                 static_cast<long long>(c.first_ts), static_cast<long long>(c.last_ts), c.sum,
                 c.last_value, i + 1 < checks.size() ? "," : "");
  }
  std::fprintf(m, "  ]\n}\n");
  std::fclose(m);
  std::fprintf(stderr,
               "gen_remote_write: %zu hosts x %zu series, %lld rounds: %llu samples "
               "(%llu stale markers, %llu unique series) in %llu requests, %.1f MB protobuf, %.1f MB snappy\n",
               hosts.size(), hosts[0].series().size(), static_cast<long long>(rounds),
               static_cast<unsigned long long>(samples),
               static_cast<unsigned long long>(stale_markers),
               static_cast<unsigned long long>(unique_series),
               static_cast<unsigned long long>(requests), raw_bytes / 1e6, wire_bytes / 1e6);
  return 0;
}
