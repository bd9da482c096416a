// stage_bench: times the stages of span ingestion in process, one thread
// each, on bench/traces' data set: OTLP protobuf decode into rows,
// LogStore::Add (WAL + head), the head's flush into parts, and one merge of
// the flushed parts. Rates are spans per second of this thread's CPU time
// (so they hold on a busy machine). Peak RSS is reported after each stage.
//
//   stage_bench --dir DIR [--spans 1000000] [--flush SPANS (default spans/4)]
//
// Build (after `ninja -C build/release vigil`):
//   g++ -O2 -std=c++20 -I src bench/traces/stage_bench.cc build/release/libvigil_ingest.a
//     build/release/libvigil_logstore.a build/release/libvigil_base.a -lzstd -lfmt -pthread
//     -o build/stage_bench
// Prints one JSON object (spans per second of each stage).

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ingest/otlp_traces.h"
#include "logstore/log_store.h"
#include "span_gen.h"

namespace {

// The stages run on this thread: its CPU time measures their work whatever
// else the (shared, noisy) machine runs; wall time would not.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec));
  }
};
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "build/stage-bench";
  uint64_t spans = 1'000'000;
  uint64_t flush_every = 0;  // 0: spans / 4 (four equal parts, so the merge takes them all)
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") dir = v;
    else if (k == "--spans") spans = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--flush") flush_every = std::strtoull(v.c_str(), nullptr, 10);
  }
  if (flush_every == 0) flush_every = std::max<uint64_t>(500, spans / 4);
  std::filesystem::remove_all(dir);
  vigil::logstore::LogStoreOptions o;
  o.dir = dir;
  o.background = false;
  o.merge_min_parts = 2;
  o.merge_zstd_level = 1;  // as the traces component opens its store
  auto opened = vigil::logstore::LogStore::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().message().c_str());
    return 1;
  }
  auto& store = *opened.value();
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t hour = int64_t{3600} * 1000000000;
  const int64_t step = std::max<int64_t>(1, hour / static_cast<int64_t>(spans));
  // Request bodies are made up front so that encoding them is not timed.
  std::vector<std::string> bodies;
  for (uint64_t first = 0; first < spans; first += 500)
    bodies.push_back(span_gen::EncodeBatch(20, first, std::min<uint64_t>(500, spans - first), now - hour, step, nullptr));
  Clock::duration decode{}, add{}, flush{};
  uint64_t wal_bytes = 0;
  const size_t batches_per_flush = std::max<uint64_t>(1, flush_every / 500);
  for (size_t b = 0; b < bodies.size(); ++b) {
    auto t0 = Clock::now();
    vigil::logstore::RowBatch rows;
    vigil::ingest::OtlpTraceStats stats;
    if (!vigil::ingest::ParseOtlpTracesProtobuf(bodies[b], {}, &rows, &stats).ok()) return 1;
    auto t1 = Clock::now();
    if (!store.Add(std::move(rows)).ok()) return 1;
    auto t2 = Clock::now();
    decode += t1 - t0;
    add += t2 - t1;
    if ((b + 1) % batches_per_flush == 0 || b + 1 == bodies.size()) {
      // The WAL holds what was added since the last flush (which drops the
      // segments it covered): its size now is those spans' WAL bytes.
      for (const auto& e : std::filesystem::directory_iterator(dir + "/wal"))
        if (e.is_regular_file()) wal_bytes += e.file_size();
      if (!store.Flush().ok()) return 1;
      flush += Clock::now() - t2;
    }
  }
  const long rss_after_load = PeakRssMb();
  const auto before = store.Stats();
  auto t0 = Clock::now();
  if (!store.Maintain(now).ok()) return 1;
  const double merge_s = Seconds(Clock::now() - t0);
  const auto after = store.Stats();
  const double n = static_cast<double>(spans);
  std::printf("{\"spans\":%llu,\"decode_spans_per_s\":%.0f,\"add_spans_per_s\":%.0f,\"flush_spans_per_s\":%.0f,"
              "\"parts_before_merge\":%llu,\"parts_after_merge\":%llu,\"merge_spans_per_s\":%.0f,"
              "\"bytes_per_span\":%.1f,\"wal_bytes_per_span\":%.1f,\"peak_rss_mb_load\":%ld,\"peak_rss_mb_merge\":%ld}\n",
              static_cast<unsigned long long>(spans), n / Seconds(decode), n / Seconds(add), n / Seconds(flush),
              static_cast<unsigned long long>(before.parts), static_cast<unsigned long long>(after.parts),
              static_cast<double>(before.part_rows) / merge_s, static_cast<double>(after.part_bytes) / n,
              static_cast<double>(wal_bytes) / n, rss_after_load, PeakRssMb());
  (void)store.Close();
  std::filesystem::remove_all(dir);
  return 0;
}
