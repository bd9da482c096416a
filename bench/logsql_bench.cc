// Micro-benchmarks of the LogsQL engine over prebuilt columnar blocks (no
// storage cost, no bloom skipping): 200,000 rows in 200 streams over one day
// (syslog-, PostgreSQL- and Nginx-shaped), queried the way the issue's
// benchmark does. Built with the release preset:
//
//   cmake --build build/release --target logsql_bench && build/release/logsql_bench
//
// Reports the latency of one query over all rows (engine CPU only).

#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "logsql/logsql.h"

namespace vigil::logsql {
namespace {

constexpr int64_t kBase = 1672531200LL * 1'000'000'000;
constexpr int64_t kDay = 86400LL * 1'000'000'000;
constexpr size_t kRows = 200000;
constexpr size_t kStreams = 200;
constexpr size_t kBlockRows = 4096;

// Blocks built once; Scan hands them out, honouring streams and time range.
class PrebuiltStore final : public logstore::LogReader {
 public:
  struct Block {
    const logstore::StreamLabels* labels;
    std::string stream;
    uint64_t id;
    std::vector<int64_t> ts;
    std::vector<std::vector<std::string>> values;  // per column
    std::vector<std::string> names;
    std::vector<logstore::ColumnView> views;
  };
  std::vector<std::unique_ptr<logstore::StreamLabels>> labels;
  std::vector<std::unique_ptr<Block>> blocks;

  Status Scan(const logstore::ScanRequest& req, const logstore::BlockFn& fn) const override {
    for (const auto& b : blocks) {
      if (req.stream_matches && !req.stream_matches(*b->labels)) continue;
      if (b->ts.back() < req.min_time_ns || b->ts.front() > req.max_time_ns) continue;
      logstore::BlockView v;
      v.stream_labels = b->labels;
      v.stream = b->stream;
      v.stream_id = b->id;
      v.timestamps = b->ts;
      v.columns = b->views;
      if (!fn(v)) break;
    }
    return Status::Ok();
  }
};

const PrebuiltStore& Store() {
  static PrebuiltStore* store = [] {
    auto* s = new PrebuiltStore;
    std::mt19937 rng(42);
    const char* kJobs[] = {"syslog", "pgsql", "nginx"};
    std::vector<std::vector<std::vector<std::string>>> rows_per_stream(kStreams);  // rows of (msg, status, level)
    std::vector<std::vector<int64_t>> ts_per_stream(kStreams);
    for (size_t i = 0; i < kRows; ++i) {
      const size_t st = rng() % kStreams;
      const int64_t t = kBase + static_cast<int64_t>(i) * (kDay / kRows);
      std::string msg, status, level;
      switch (st % 3) {
        case 0: msg = "sshd[" + std::to_string(rng() % 9999) + "]: Accepted publickey for postgres from 10.10.0." +
                      std::to_string(rng() % 255) + " port " + std::to_string(rng() % 65535); level = "info"; break;
        case 1: msg = "LOG:  duration: " + std::to_string(rng() % 5000) + ".123 ms  statement: SELECT * FROM t" +
                      std::to_string(rng() % 50) + " WHERE id = " + std::to_string(rng() % 100000);
                level = rng() % 50 ? "LOG" : "ERROR"; break;
        default: status = std::to_string(rng() % 20 ? 200 : 500);
                 msg = "10.0.0." + std::to_string(rng() % 255) + " - - \"GET /api/v1/items/" + std::to_string(rng() % 1000) +
                       " HTTP/1.1\" " + status + " " + std::to_string(rng() % 10000);
      }
      if (i == kRows / 2) msg += " needle_in_haystack";
      rows_per_stream[st].push_back({msg, status, level});
      ts_per_stream[st].push_back(t);
    }
    for (size_t st = 0; st < kStreams; ++st) {
      s->labels.push_back(std::make_unique<logstore::StreamLabels>(
          logstore::StreamLabels{{"ins", "ins-" + std::to_string(st)}, {"job", kJobs[st % 3]}}));
      const auto& rows = rows_per_stream[st];
      for (size_t begin = 0; begin < rows.size(); begin += kBlockRows) {
        const size_t end = std::min(rows.size(), begin + kBlockRows);
        auto b = std::make_unique<PrebuiltStore::Block>();
        b->labels = s->labels.back().get();
        b->stream = logstore::FormatStream(*b->labels);
        b->id = logstore::StreamIdOf(*b->labels);
        b->names = {"_msg", "status", "level"};
        b->values.resize(3);
        for (size_t i = begin; i < end; ++i) {
          b->ts.push_back(ts_per_stream[st][i]);
          for (size_t c = 0; c < 3; ++c) b->values[c].push_back(rows[i][c]);
        }
        for (size_t c = 0; c < 3; ++c) {
          logstore::ColumnView v{b->names[c], {}};
          for (const auto& x : b->values[c]) v.values.push_back(x);
          b->views.push_back(std::move(v));
        }
        s->blocks.push_back(std::move(b));
      }
    }
    return s;
  }();
  return *store;
}

void RunQuery(benchmark::State& state, const char* text) {
  const auto& store = Store();
  auto q = Parse(text);
  if (!q.ok()) {
    state.SkipWithError(q.status().message().c_str());
    return;
  }
  ExecuteOptions opts;
  opts.now_ns = kBase + kDay;
  size_t rows = 0;
  for (auto _ : state) {
    rows = 0;
    Status s = Execute(q.value(), store, opts, [&](const Row&) {
      ++rows;
      return true;
    });
    benchmark::DoNotOptimize(s);
  }
  state.counters["rows_out"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(kRows), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_RareWord(benchmark::State& s) { RunQuery(s, "needle_in_haystack"); }
void BM_FieldExact(benchmark::State& s) { RunQuery(s, "status:=500 | stats count()"); }
void BM_StreamFilter(benchmark::State& s) { RunQuery(s, "{job=\"nginx\",ins=\"ins-8\"} | stats count()"); }
void BM_PhraseAndNot(benchmark::State& s) { RunQuery(s, "\"Accepted publickey\" -\"port 22\" | stats count()"); }
void BM_StatsByTime5m(benchmark::State& s) { RunQuery(s, "* | stats by (_time:5m) count()"); }
void BM_StatsByLevel(benchmark::State& s) { RunQuery(s, "* | stats by (level) count(), count_uniq(status)"); }
void BM_Parse(benchmark::State& state) {
  for (auto _ : state) {
    auto q = Parse("_time:5m {job=\"pgsql\",ins=~\"pg-.*\"} error -warn | stats by (_time:1m, level) count() c | sort by (c desc) | limit 10");
    benchmark::DoNotOptimize(q);
  }
}

BENCHMARK(BM_RareWord)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FieldExact)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamFilter)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PhraseAndNot)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsByTime5m)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StatsByLevel)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vigil::logsql

BENCHMARK_MAIN();
