// lookup_bench: builds a span store of N spans in process (no HTTP) and
// times the Jaeger queries on it: traces/{id} (SpanQuery::Trace) and a
// service search (FindTraceIds + Trace per result, as the HTTP handler does).
// It builds the store without HTTP or merges (the head is flushed every
// --flush spans, so the store has N / flush parts), which isolates query
// latency from ingestion; run.sh measures the same through the server.
//
//   lookup_bench --dir DIR --spans 10000000 [--flush 500000] [--services 20]
//
// Build (from the repository, after `ninja -C build/release vigil`):
//   g++ -O2 -std=c++20 -I src bench/traces/lookup_bench.cc build/release/libvigil_traces.a
//     build/release/libvigil_ingest.a build/release/libvigil_logstore.a build/release/libvigil_base.a
//     -lzstd -lfmt -pthread -o build/lookup_bench
// Prints one JSON object.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ingest/otlp_traces.h"
#include "logstore/log_store.h"
#include "span_gen.h"
#include "traces/span_query.h"

namespace {

double Ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "build/lookup-bench";
  uint64_t spans = 10'000'000;
  uint64_t flush_every = 500'000;
  int services = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") dir = v;
    else if (k == "--spans") spans = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--flush") flush_every = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--services") services = std::atoi(v.c_str());
  }
  std::filesystem::remove_all(dir);
  vigil::logstore::LogStoreOptions o;
  o.dir = dir;
  o.background = false;
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
  std::vector<std::string> ids;
  const auto load_start = std::chrono::steady_clock::now();
  uint64_t since_flush = 0;
  for (uint64_t first = 0; first < spans; first += 500) {
    const uint64_t n = std::min<uint64_t>(500, spans - first);
    std::string body = span_gen::EncodeBatch(services, first, n, now - hour, step, &ids);
    vigil::logstore::RowBatch rows;
    vigil::ingest::OtlpTraceStats stats;
    if (!vigil::ingest::ParseOtlpTracesProtobuf(body, {}, &rows, &stats).ok()) return 1;
    if (!store.Add(std::move(rows)).ok()) return 1;
    since_flush += n;
    if (since_flush >= flush_every) {
      if (!store.Flush().ok()) return 1;
      since_flush = 0;
    }
  }
  if (!store.Flush().ok()) return 1;
  const double load_s = Ms(std::chrono::steady_clock::now() - load_start) / 1000;
  const auto st = store.Stats();

  vigil::traces::SpanQuery q(&store);
  std::vector<double> lookup;
  size_t found_spans = 0;
  for (size_t i = 0; i < ids.size() && i < 50; i += 1) {
    const auto t0 = std::chrono::steady_clock::now();
    auto t = q.Trace(ids[i * ids.size() / 50]);
    lookup.push_back(Ms(std::chrono::steady_clock::now() - t0));
    if (!t.ok()) return 1;
    found_spans += t->size();
  }
  std::vector<double> search;
  for (int s = 0; s < 10; ++s) {
    vigil::traces::TraceSearch ts;
    ts.service = "svc-" + std::to_string(s);
    ts.recent_end_ns = now;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<int64_t> times;
    auto found = q.FindTraceIds(ts, &times);
    if (!found.ok()) return 1;
    for (size_t i = 0; i < found->size(); ++i) (void)q.Trace((*found)[i], times[i] - hour, times[i] + hour);
    search.push_back(Ms(std::chrono::steady_clock::now() - t0));
  }
  std::printf("{\"spans\":%llu,\"parts\":%llu,\"part_bytes\":%llu,\"bytes_per_span\":%.1f,\"load_s\":%.1f,"
              "\"lookup_median_ms\":%.2f,\"lookup_max_ms\":%.2f,\"spans_per_lookup\":%.2f,\"search_median_ms\":%.1f}\n",
              static_cast<unsigned long long>(spans), static_cast<unsigned long long>(st.parts),
              static_cast<unsigned long long>(st.part_bytes), double(st.part_bytes) / double(spans), load_s,
              Median(lookup), *std::max_element(lookup.begin(), lookup.end()),
              double(found_spans) / double(lookup.size()), Median(search));
  (void)store.Close();
  std::filesystem::remove_all(dir);
  return 0;
}
