#include "tsdb/storage.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "base/metrics_registry.h"
#include "base/wal.h"

namespace vigil::tsdb {
namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
constexpr int64_t kNow = 1750000000000;  // a fixed "now" for the fake clock
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

using LabelList = std::vector<std::pair<std::string, std::string>>;
// series (as text) -> timestamp -> value bits
using Dump = std::map<std::string, std::map<int64_t, uint64_t>>;

void AddRow(WriteBatch* batch, const LabelList& labels, const std::vector<Sample>& samples) {
  std::vector<LabelPair> pairs;
  for (const auto& [n, v] : labels) pairs.push_back(LabelPair{n, v});
  batch->OnSeries(pairs, samples);
}

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vigil_storage_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  StorageOptions Options() {
    StorageOptions o;
    o.dir = dir_ + "/metrics";
    o.clock = [this] { return now_.load(); };
    return o;
  }

  std::unique_ptr<Storage> Open(StorageOptions o, MetricsRegistry* registry = nullptr) {
    auto s = Storage::Open(std::move(o), registry);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::unique_ptr<Storage> Open() { return Open(Options()); }

  static AppendResult Append(Storage* s, const LabelList& labels, const std::vector<Sample>& samples) {
    WriteBatch b(s->series_limits());
    AddRow(&b, labels, samples);
    AppendResult r;
    Status st = s->Append(b, &r);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return r;
  }

  static Dump DumpAll(const Storage& s, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
    Dump out;
    auto q = s.NewQuerier(mint, maxt);
    auto set = q->Select({});
    Labels prev;
    bool first_series = true;
    while (set->Next()) {
      std::string key = set->labels().ToString();
      EXPECT_TRUE(first_series || Labels::Compare(prev, set->labels()) < 0) << "series out of order at " << key;
      first_series = false;
      prev = set->labels();
      auto& series = out[key];
      auto it = set->Samples();
      int64_t last = INT64_MIN;
      bool first = true;
      while (it->Next()) {
        EXPECT_TRUE(first || it->t() > last) << key << " not strictly increasing at " << it->t();
        first = false;
        last = it->t();
        series[it->t()] = std::bit_cast<uint64_t>(it->v());
      }
    }
    EXPECT_TRUE(set->status().ok());
    return out;
  }

  std::vector<std::string> WalSegments() {
    auto segs = ListWalSegments(dir_ + "/metrics/wal");
    std::vector<std::string> out;
    if (segs.ok()) {
      for (uint64_t s : segs.value()) out.push_back(dir_ + "/metrics/wal/" + WalSegmentName(s));
    }
    return out;
  }

  std::string dir_;
  std::atomic<int64_t> now_{kNow};
};

TEST_F(StorageTest, RoundTripKeepsEdgeValuesBitExact) {
  auto s = Open();
  const std::vector<double> values = {std::bit_cast<double>(kStaleNaNBits), std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(), -0.0,
                                      std::numeric_limits<double>::denorm_min(), 1e308, 0.1, -42};
  std::vector<Sample> samples;
  for (size_t i = 0; i < values.size(); ++i) samples.push_back({kNow - 1000 + static_cast<int64_t>(i), values[i]});
  samples.push_back({kNow + 365 * kDayMs, 1});  // far future is accepted
  AppendResult r = Append(s.get(), {{"__name__", "edge"}, {"job", "x"}}, samples);
  EXPECT_EQ(r.samples_added, samples.size());
  EXPECT_EQ(r.series_created, 1u);
  Dump d = DumpAll(*s);
  ASSERT_EQ(d.size(), 1u);
  const auto& series = d[R"(edge{job="x"})"];
  ASSERT_EQ(series.size(), samples.size());
  for (const Sample& smp : samples) EXPECT_EQ(series.at(smp.timestamp_ms), std::bit_cast<uint64_t>(smp.value));
  // And the same after a restart.
  ASSERT_TRUE(s->Close().ok());
  s.reset();
  s = Open();
  EXPECT_EQ(DumpAll(*s), d);
}

TEST_F(StorageTest, OutOfOrderAcceptedAndDuplicatesDroppedFirstValueWins) {
  auto s = Open();
  LabelList l = {{"__name__", "m"}};
  Append(s.get(), l, {{kNow, 1}, {kNow + 10, 2}});
  AppendResult r = Append(s.get(), l, {{kNow + 5, 3}, {kNow, 99}, {kNow + 5, 98}, {kNow - 5, 4}});
  EXPECT_EQ(r.samples_added, 2u);
  EXPECT_EQ(r.samples_duplicate, 2u);
  EXPECT_EQ(r.series_created, 0u);
  Dump d = DumpAll(*s);
  std::map<int64_t, uint64_t> want = {{kNow - 5, std::bit_cast<uint64_t>(4.0)},
                                      {kNow, std::bit_cast<uint64_t>(1.0)},
                                      {kNow + 5, std::bit_cast<uint64_t>(3.0)},
                                      {kNow + 10, std::bit_cast<uint64_t>(2.0)}};
  EXPECT_EQ(d["m"], want);
}

TEST_F(StorageTest, RestartReplayEqualsAModelOfEverySample) {
  std::mt19937_64 rng(1234);
  Dump model;
  auto s = Open();
  std::vector<LabelList> series;
  for (int i = 0; i < 40; ++i) {
    series.push_back({{"__name__", "metric_" + std::to_string(i % 7)}, {"idx", std::to_string(i)}});
  }
  auto key = [](const LabelList& l) {
    LabelsBuilder b;
    for (const auto& [n, v] : l) b.Set(n, v);
    return b.Build().ToString();
  };
  for (int round = 0; round < 3; ++round) {
    for (int op = 0; op < 300; ++op) {
      if (rng() % 40 == 0) {
        ASSERT_TRUE(s->FlushHead().ok());
        continue;
      }
      if (rng() % 90 == 0) {
        ASSERT_TRUE(s->MergeParts(1).ok());
        continue;
      }
      if (rng() % 50 == 0) {
        const LabelList& victim = series[rng() % series.size()];
        auto n = s->DeleteSeries({Matcher::Equal("idx", victim[1].second)});
        ASSERT_TRUE(n.ok());
        EXPECT_EQ(n.value(), model.erase(key(victim)));
        continue;
      }
      WriteBatch b(s->series_limits());
      for (int row = 0; row < 5; ++row) {
        const LabelList& l = series[rng() % series.size()];
        std::vector<Sample> samples;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 20); ++k) {
          int64_t t = kNow - 3600000 + op * 1000 + round * 400000 + static_cast<int64_t>(rng() % 5000) -
                      (rng() % 10 == 0 ? static_cast<int64_t>(rng() % 600000) : 0);
          double v = rng() % 13 == 0 ? std::bit_cast<double>(kStaleNaNBits) : static_cast<double>(rng() % 100000) / 100;
          samples.push_back({t, v});
          model[key(l)].emplace(t, std::bit_cast<uint64_t>(v));  // first write wins, as in the storage
        }
        AddRow(&b, l, samples);
      }
      ASSERT_TRUE(s->Append(b, nullptr).ok());
    }
    ASSERT_EQ(DumpAll(*s), model) << "before restart " << round;
    // Alternate clean closes with plain destruction (which also closes).
    if (round % 2 == 0) {
      ASSERT_TRUE(s->Close().ok());
    }
    s.reset();
    s = Open();
    ASSERT_EQ(DumpAll(*s), model) << "after restart " << round;
  }
  // Restart compacted the log: one session's worth of segments remain.
  EXPECT_EQ(WalSegments().size(), 1u);
  EXPECT_GT(s->GetHeadStats().num_parts, 0u);
}

TEST_F(StorageTest, TornWalTailIsTruncatedNotFatal) {
  auto s = Open();
  Append(s.get(), {{"__name__", "a"}}, {{kNow, 1}});
  Append(s.get(), {{"__name__", "a"}}, {{kNow + 1, 2}});
  Append(s.get(), {{"__name__", "b"}}, {{kNow + 2, 3}});
  ASSERT_TRUE(s->Close().ok());
  s.reset();
  auto segs = WalSegments();
  ASSERT_FALSE(segs.empty());
  auto size = FileSize(segs.back());
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(TruncateFile(segs.back(), size.value() - 3).ok());  // cut into the last record
  s = Open();
  Dump d = DumpAll(*s);
  EXPECT_EQ(d["a"].size(), 2u);
  EXPECT_EQ(d.count("b"), 0u) << "b's samples record was torn";
  // Garbage after the last record is tolerated too, and the storage keeps working.
  Append(s.get(), {{"__name__", "c"}}, {{kNow, 1}});
  ASSERT_TRUE(s->Close().ok());
  s.reset();
  segs = WalSegments();
  {
    auto f = AppendFile::Open(segs.back());
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->Append(std::string("\x13\x37garbage-tail", 14)).ok());
  }
  s = Open();
  d = DumpAll(*s);
  EXPECT_EQ(d["a"].size(), 2u);
  EXPECT_EQ(d["c"].size(), 1u);
}

TEST_F(StorageTest, AcknowledgedAppendsSurviveKillMinus9) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    StorageOptions o = Options();
    o.clock = [] { return kNow; };
    auto opened = Storage::Open(o, nullptr);
    if (!opened.ok()) ::_exit(2);
    auto& st = opened.value();
    for (uint32_t i = 0;; ++i) {
      WriteBatch b;
      AddRow(&b, {{"__name__", "acked"}, {"shard", std::to_string(i % 8)}}, {{kNow + i, static_cast<double>(i)}});
      if (!st->Append(b, nullptr).ok()) ::_exit(3);
      if (::write(fds[1], &i, sizeof(i)) != sizeof(i)) ::_exit(4);
    }
  }
  ::close(fds[1]);
  uint32_t last = 0;
  uint32_t acked = 0;
  while (acked < 300 && ::read(fds[0], &last, sizeof(last)) == sizeof(last)) acked = last + 1;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child exited early, status " << status;
  ASSERT_GE(acked, 300u);
  auto s = Open();
  Dump d = DumpAll(*s);
  for (uint32_t i = 0; i < acked; ++i) {
    const std::string key = "acked{shard=\"" + std::to_string(i % 8) + "\"}";
    auto it = d[key].find(kNow + i);
    ASSERT_NE(it, d[key].end()) << "acknowledged sample " << i << " lost";
    EXPECT_EQ(it->second, std::bit_cast<uint64_t>(static_cast<double>(i)));
  }
}

TEST_F(StorageTest, DeleteSeriesSurvivesRestartAndLabelsCanReturn) {
  auto s = Open();
  Append(s.get(), {{"__name__", "a"}, {"k", "1"}}, {{kNow, 1}});
  Append(s.get(), {{"__name__", "a"}, {"k", "2"}}, {{kNow, 2}});
  auto n = s->DeleteSeries({Matcher::Equal("k", "1")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value(), 1u);
  EXPECT_EQ(s->DeleteSeries({Matcher::Equal("k", "nope")}).value(), 0u);
  EXPECT_EQ(s->DeleteSeries({}).status().code(), Status::Code::kInvalidArgument);
  s.reset();
  s = Open();
  Dump d = DumpAll(*s);
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.count(R"(a{k="2"})"), 1u);
  AppendResult r = Append(s.get(), {{"__name__", "a"}, {"k", "1"}}, {{kNow + 5, 5}});
  EXPECT_EQ(r.series_created, 1u);
  s.reset();
  s = Open();
  d = DumpAll(*s);
  EXPECT_EQ(d[R"(a{k="1"})"], (std::map<int64_t, uint64_t>{{kNow + 5, std::bit_cast<uint64_t>(5.0)}}));
}

TEST_F(StorageTest, WriteBatchRejectsLimitBreakersWithMessages) {
  SeriesLimits limits;
  limits.max_labels_per_series = 3;
  limits.max_label_name_len = 8;
  limits.max_label_value_len = 10;
  WriteBatch b(limits);
  std::vector<Sample> two = {{kNow, 1}, {kNow + 1, 2}};
  AddRow(&b, {{"__name__", "ok"}, {"a", "1"}}, two);
  AddRow(&b, {{"__name__", "x"}, {"a", "1"}, {"b", "2"}, {"c", "3"}}, two);
  AddRow(&b, {{"__name__", "x"}, {"longlongname", "1"}}, two);
  AddRow(&b, {{"__name__", "x"}, {"a", "0123456789a"}}, two);
  AddRow(&b, {{"__name__", "x"}, {"a", "\xff"}}, two);
  AddRow(&b, {{"__name__", ""}, {"a", ""}}, two);  // empty values are absent: no labels left
  AddRow(&b, {{"__name__", "empty"}}, {});          // no samples: ignored, not rejected
  EXPECT_EQ(b.num_rows(), 1u);
  EXPECT_EQ(b.num_samples(), 2u);
  EXPECT_EQ(b.num_rejected(), 10u);
  EXPECT_EQ(b.num_rejected(RejectReason::kTooManyLabels), 2u);
  EXPECT_EQ(b.num_rejected(RejectReason::kLabelNameTooLong), 2u);
  EXPECT_EQ(b.num_rejected(RejectReason::kLabelValueTooLong), 2u);
  EXPECT_EQ(b.num_rejected(RejectReason::kInvalidLabel), 2u);
  EXPECT_EQ(b.num_rejected(RejectReason::kNoLabels), 2u);
  EXPECT_EQ(b.first_error(), R"(too many labels (4 > 3) in series x{a="1", b="2", c="3"})");
}

TEST_F(StorageTest, ExtraLabelsOverrideRowLabels) {
  auto s = Open();
  WriteBatch b(s->series_limits());
  b.SetExtraLabels({{"job", "forced"}, {"drop", ""}});
  AddRow(&b, {{"__name__", "m"}, {"job", "orig"}, {"drop", "me"}}, {{kNow, 1}});
  ASSERT_TRUE(s->Append(b, nullptr).ok());
  Dump d = DumpAll(*s);
  EXPECT_EQ(d.count(R"(m{job="forced"})"), 1u);
}

TEST_F(StorageTest, NewSeriesPerDayLimitRejectsOnlyNewSeries) {
  StorageOptions o = Options();
  o.max_new_series_per_day = 2;
  MetricsRegistry registry;
  auto s = Open(o, &registry);
  WriteBatch b(s->series_limits());
  AddRow(&b, {{"__name__", "a"}}, {{kNow, 1}});
  AddRow(&b, {{"__name__", "b"}}, {{kNow, 1}});
  AddRow(&b, {{"__name__", "c"}}, {{kNow, 1}, {kNow + 1, 2}});
  AddRow(&b, {{"__name__", "a"}}, {{kNow + 1, 1}});
  AppendResult r;
  ASSERT_TRUE(s->Append(b, &r).ok());
  EXPECT_EQ(r.series_created, 2u);
  EXPECT_EQ(r.samples_added, 3u);
  EXPECT_EQ(r.samples_over_series_limit, 2u);
  EXPECT_NE(registry.Render().find(R"(vigil_tsdb_rejected_samples_total{reason="new_series_limit"} 2)"),
            std::string::npos)
      << registry.Render();
  now_ += kDayMs;  // a new UTC day resets the budget
  EXPECT_EQ(Append(s.get(), {{"__name__", "c"}}, {{now_.load(), 1}}).series_created, 1u);
}

TEST_F(StorageTest, RetentionRejectsOldSamplesAndDropsOldSeries) {
  StorageOptions o = Options();
  o.retention_ms = kDayMs;
  auto s = Open(o);
  AppendResult r = Append(s.get(), {{"__name__", "m"}}, {{kNow - kDayMs - 1, 1}, {kNow - 1000, 2}});
  EXPECT_EQ(r.samples_added, 1u);
  EXPECT_EQ(r.samples_out_of_retention, 1u);
  r = Append(s.get(), {{"__name__", "only_old"}}, {{kNow - 2 * kDayMs, 1}});
  EXPECT_EQ(r.samples_out_of_retention, 1u);
  EXPECT_EQ(r.series_created, 0u) << "a row with nothing to store must not create a series";
  Append(s.get(), {{"__name__", "fresh"}}, {{kNow + 2 * kDayMs, 1}});
  now_ += 2 * kDayMs;
  s->RunRetention(now_.load());
  Dump d = DumpAll(*s);
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.count("fresh"), 1u);
  EXPECT_EQ(s->Stats(10).num_series, 1u);
  // After a restart the dropped data stays dropped, and "m" can come back.
  Append(s.get(), {{"__name__", "m"}}, {{now_.load(), 3}});
  s.reset();
  s = Open(o);
  d = DumpAll(*s);
  EXPECT_EQ(d["m"], (std::map<int64_t, uint64_t>{{now_.load(), std::bit_cast<uint64_t>(3.0)}}));
  EXPECT_EQ(d.size(), 2u);
}

TEST_F(StorageTest, DedupIntervalAppliesAtReadTime) {
  StorageOptions o = Options();
  o.dedup_interval_ms = 60000;
  auto s = Open(o);
  const int64_t base = (kNow / 60000) * 60000;  // a window boundary
  Append(s.get(), {{"__name__", "m"}}, {{base + 1, 1}, {base + 15000, 2}, {base + 60000, 3}, {base + 60001, 4}});
  Dump d = DumpAll(*s);
  EXPECT_EQ(d["m"], (std::map<int64_t, uint64_t>{{base + 60000, std::bit_cast<uint64_t>(3.0)},
                                                 {base + 60001, std::bit_cast<uint64_t>(4.0)}}));
}

TEST_F(StorageTest, SecondOpenOfTheSameDirectoryFails) {
  auto s = Open();
  auto again = Storage::Open(Options(), nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("in use"), std::string::npos) << again.status().ToString();
  s.reset();
  EXPECT_TRUE(Storage::Open(Options(), nullptr).ok());
}

TEST_F(StorageTest, CloseIsIdempotentAndLaterAppendsFail) {
  auto s = Open();
  EXPECT_TRUE(s->Close().ok());
  EXPECT_TRUE(s->Close().ok());
  WriteBatch b;
  AddRow(&b, {{"__name__", "m"}}, {{kNow, 1}});
  EXPECT_EQ(s->Append(b, nullptr).code(), Status::Code::kUnavailable);
}

TEST_F(StorageTest, SelfMetricsAreRegisteredAndCount) {
  MetricsRegistry registry;
  auto s = Open(Options(), &registry);
  Append(s.get(), {{"__name__", "m"}}, {{kNow, 1}, {kNow, 2}, {kNow + 1, 3}});
  WriteBatch b(s->series_limits());
  AddRow(&b, {{"__name__", "bad"}, {"v", std::string(5000, 'x')}}, {{kNow, 1}});
  ASSERT_TRUE(s->Append(b, nullptr).ok());
  const std::string text = registry.Render();
  for (const char* want : {"vigil_tsdb_samples_ingested_total 2", "vigil_tsdb_duplicate_samples_total 1",
                           "vigil_tsdb_active_series 1", "vigil_tsdb_head_chunks 1", "vigil_tsdb_series_created_total 1",
                           R"(vigil_tsdb_rejected_samples_total{reason="label_value_too_long"} 1)",
                           "vigil_tsdb_wal_bytes "}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST_F(StorageTest, ConcurrentWritersFlushesMergesAndQueriersSmoke) {
  auto s = Open();
  constexpr int kWriters = 3, kAppends = 400;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kAppends; ++i) {
        WriteBatch b(s->series_limits());
        for (int k = 0; k < 4; ++k) {
          AddRow(&b, {{"__name__", "c"}, {"s", std::to_string(k)}, {"w", std::to_string(w)}},
                 {{kNow + i * 10 + k, static_cast<double>(i)}});
        }
        EXPECT_TRUE(s->Append(b, nullptr).ok());
      }
    });
  }
  threads.emplace_back([&] {
    while (!done.load()) {
      EXPECT_TRUE(s->FlushHead().ok());
      EXPECT_TRUE(s->MergeParts(2).ok());
    }
  });
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!done.load()) {
        (void)DumpAll(*s);  // checks ordering of series and samples as it goes
        auto q = s->NewQuerier(kNow, kNow + 1000);
        (void)q->LabelValues("s", {Matcher::Equal("__name__", "c")});
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  auto count = [&] {
    size_t total = 0;
    for (const auto& [k, v] : DumpAll(*s)) total += v.size();
    return total;
  };
  EXPECT_EQ(count(), static_cast<size_t>(kWriters * kAppends * 4));
  s.reset();
  s = Open();
  EXPECT_EQ(count(), static_cast<size_t>(kWriters * kAppends * 4));
}

// Appends `points` samples to each of 10 series, one batch per timestamp.
void AppendGrid(Storage* s, int points) {
  for (int p = 0; p < points; ++p) {
    WriteBatch b(s->series_limits());
    for (int i = 0; i < 10; ++i) {
      AddRow(&b, {{"__name__", "m"}, {"i", std::to_string(i)}}, {{kNow + p * 1000, p * 1.0}});
    }
    ASSERT_TRUE(s->Append(b, nullptr).ok());
  }
}

TEST_F(StorageTest, CloseFlushesSealedChunksIntoAPartAndKeepsEverySample) {
  auto s = Open();
  AppendGrid(s.get(), 500);
  const Dump before = DumpAll(*s);
  const uint64_t wal_before = s->GetHeadStats().wal_bytes;
  ASSERT_EQ(s->GetHeadStats().num_parts, 0u);
  ASSERT_TRUE(s->Close().ok());
  s.reset();
  s = Open();
  const HeadStats h = s->GetHeadStats();
  EXPECT_EQ(h.num_parts, 1u);
  EXPECT_EQ(h.part_samples, 10u * 480u);
  EXPECT_LT(h.wal_bytes, wal_before / 4);
  EXPECT_EQ(DumpAll(*s), before);
}

TEST_F(StorageTest, WalOverFlushThresholdStartsAFlushWithoutWaitingForTheInterval) {
  StorageOptions o = Options();
  o.flush_wal_bytes = 16 << 10;  // a few hundred samples' worth
  auto s = Open(o);
  AppendGrid(s.get(), 500);
  const Dump before = DumpAll(*s);
  for (int i = 0; i < 500 && s->GetHeadStats().num_parts == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(s->GetHeadStats().num_parts, 1u);
  EXPECT_EQ(DumpAll(*s), before);
}

TEST_F(StorageTest, FlushMovesSealedChunksToAPartAndShrinksTheWal) {
  auto s = Open();
  for (int p = 0; p < 500; ++p) {
    WriteBatch b(s->series_limits());
    for (int i = 0; i < 10; ++i) {
      AddRow(&b, {{"__name__", "m"}, {"i", std::to_string(i)}}, {{kNow + p * 1000, p * 1.0}});
    }
    ASSERT_TRUE(s->Append(b, nullptr).ok());
  }
  const Dump before = DumpAll(*s);
  const HeadStats h0 = s->GetHeadStats();
  ASSERT_TRUE(s->FlushHead().ok());
  const HeadStats h1 = s->GetHeadStats();
  EXPECT_EQ(h1.num_parts, 1u);
  EXPECT_EQ(h1.part_samples, 10u * 480u);  // four sealed chunks of 120 per series
  EXPECT_EQ(h1.num_samples, h0.num_samples - 10u * 480u);
  EXPECT_LT(h1.wal_bytes, h0.wal_bytes / 4);
  EXPECT_EQ(DumpAll(*s), before);
  // A sample re-sent after its chunk was flushed: the first value still wins.
  Append(s.get(), {{"__name__", "m"}, {"i", "0"}}, {{kNow + 5000, -1}});
  EXPECT_EQ(DumpAll(*s), before);
  ASSERT_TRUE(s->FlushHead().ok());  // nothing sealed: no new part
  EXPECT_EQ(s->GetHeadStats().num_parts, 1u);
  s.reset();
  s = Open();
  EXPECT_EQ(DumpAll(*s), before);
  EXPECT_EQ(DumpAll(*s, kNow + 100000, kNow + 100999).size(), 10u);
}

TEST_F(StorageTest, MergesKeepEverySampleAndApplyDedup) {
  StorageOptions o = Options();
  o.dedup_interval_ms = 2000;
  auto s = Open(o);
  for (int round = 0; round < 6; ++round) {
    for (int p = 0; p < 130; ++p) {
      const int64_t t = kNow + (round * 130 + p) * 1000;
      Append(s.get(), {{"__name__", "m"}}, {{t, static_cast<double>(t - kNow)}});
    }
    ASSERT_TRUE(s->FlushHead().ok());
  }
  const Dump before = DumpAll(*s);
  EXPECT_EQ(s->GetHeadStats().num_parts, 6u);
  ASSERT_TRUE(s->MergeParts(1).ok());
  const HeadStats st = s->GetHeadStats();
  EXPECT_EQ(st.num_parts, 1u);
  EXPECT_EQ(DumpAll(*s), before);
  EXPECT_LE(st.part_samples, 6u * 120u / 2 + 1) << "dedup at merge keeps one sample per 2 s";
  s.reset();
  s = Open(o);
  EXPECT_EQ(DumpAll(*s), before);
}

TEST_F(StorageTest, DeletedSeriesStayDeletedInPartsAcrossRestartAndMerge) {
  auto s = Open();
  for (int p = 0; p < 130; ++p) {
    WriteBatch b(s->series_limits());
    AddRow(&b, {{"__name__", "gone"}}, {{kNow + p, 1}});
    AddRow(&b, {{"__name__", "kept"}}, {{kNow + p, 2}});
    ASSERT_TRUE(s->Append(b, nullptr).ok());
  }
  ASSERT_TRUE(s->FlushHead().ok());
  ASSERT_EQ(s->DeleteSeries({Matcher::Equal("__name__", "gone")}).value(), 1u);
  EXPECT_EQ(DumpAll(*s).count("gone"), 0u);
  s.reset();
  s = Open();
  EXPECT_EQ(DumpAll(*s).count("gone"), 0u);
  Append(s.get(), {{"__name__", "gone"}}, {{kNow + 1000000, 3}});
  for (int p = 0; p < 130; ++p) Append(s.get(), {{"__name__", "kept"}}, {{kNow + 200 + p, 2}});
  ASSERT_TRUE(s->FlushHead().ok());
  ASSERT_TRUE(s->MergeParts(1).ok());
  s.reset();
  s = Open();
  Dump d = DumpAll(*s);
  EXPECT_EQ(d["gone"], (std::map<int64_t, uint64_t>{{kNow + 1000000, std::bit_cast<uint64_t>(3.0)}}));
  EXPECT_EQ(d["kept"].size(), 260u);
}

TEST_F(StorageTest, RetentionDropsWholePartsAndTheirSeries) {
  StorageOptions o = Options();
  o.retention_ms = kDayMs;
  auto s = Open(o);
  for (int p = 0; p < 130; ++p) Append(s.get(), {{"__name__", "old"}}, {{kNow - 3600000 + p, 1}});
  ASSERT_TRUE(s->FlushHead().ok());
  ASSERT_EQ(s->GetHeadStats().num_parts, 1u);
  Append(s.get(), {{"__name__", "new"}}, {{kNow + kDayMs, 1}});
  now_ += kDayMs - 2 * 3600000;
  ASSERT_TRUE(s->RunRetention(now_.load()).ok());
  EXPECT_EQ(s->GetHeadStats().num_parts, 1u);  // its newest sample is still inside the retention
  now_ += 2 * 3600000;
  ASSERT_TRUE(s->RunRetention(now_.load()).ok());
  EXPECT_EQ(s->GetHeadStats().num_parts, 0u);
  Dump d = DumpAll(*s);
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.count("new"), 1u);
  EXPECT_EQ(s->Stats(10).num_series, 1u);
}

// Not a benchmark, but keeps an eye on the head's footprint with
// node-exporter-like data: counters, gauges with two decimals, constants.
TEST_F(StorageTest, ReportsBytesPerSampleAndPerSeries) {
  auto s = Open();
  std::mt19937_64 rng(99);
  constexpr int kSeries = 2000, kPoints = 240;  // 1 h at 15 s
  std::vector<double> value(kSeries, 0);
  for (int p = 0; p < kPoints; ++p) {
    WriteBatch b(s->series_limits());
    for (int i = 0; i < kSeries; ++i) {
      double v = 0;
      switch (i % 3) {
        case 0: value[i] += static_cast<double>(1500 + rng() % 100); v = value[i]; break;  // steady counter
        case 1: value[i] += static_cast<double>(static_cast<int>(rng() % 21) - 10) / 100;   // random-walk gauge
                v = std::round(value[i] * 100) / 100; break;
        default: v = 1; break;                                                             // constant
      }
      const int64_t jitter = static_cast<int64_t>(rng() % 5);
      AddRow(&b, {{"__name__", "node_metric_" + std::to_string(i % 20)}, {"instance", "host-" + std::to_string(i / 20)},
                  {"job", "node"}},
             {{kNow - 3600 * 1000 + p * 15000 + jitter, v}});
    }
    ASSERT_TRUE(s->Append(b, nullptr).ok());
  }
  HeadStats st = s->GetHeadStats();
  EXPECT_EQ(st.num_series, static_cast<uint64_t>(kSeries));
  EXPECT_EQ(st.num_samples, static_cast<uint64_t>(kSeries * kPoints));
  const double bytes_per_sample = static_cast<double>(st.series_bytes) / static_cast<double>(st.num_samples);
  const double index_per_series = static_cast<double>(st.index_bytes) / static_cast<double>(st.num_series);
  std::printf("head: %llu series, %llu samples, %llu chunks; %.2f bytes/sample (chunks+bookkeeping), "
              "%.0f index bytes/series, WAL %.2f bytes/sample\n",
              static_cast<unsigned long long>(st.num_series), static_cast<unsigned long long>(st.num_samples),
              static_cast<unsigned long long>(st.num_chunks), bytes_per_sample, index_per_series,
              static_cast<double>(st.wal_bytes) / static_cast<double>(st.num_samples));
  EXPECT_LT(bytes_per_sample, 4.0);
  ASSERT_TRUE(s->FlushHead().ok());
  ASSERT_TRUE(s->MergeParts(0).ok());
  st = s->GetHeadStats();
  EXPECT_EQ(st.num_parts, 1u);
  std::printf("after flush+merge: part %.3f bytes/sample on disk; head %.0f bytes/series "
              "(index %.0f + open chunk and bookkeeping %.0f)\n",
              static_cast<double>(st.part_bytes) / static_cast<double>(st.part_samples),
              static_cast<double>(st.index_bytes + st.series_bytes) / static_cast<double>(st.num_series),
              static_cast<double>(st.index_bytes) / static_cast<double>(st.num_series),
              static_cast<double>(st.series_bytes) / static_cast<double>(st.num_series));
  EXPECT_LT(static_cast<double>(st.part_bytes) / static_cast<double>(st.part_samples), 2.0);
}

}  // namespace
}  // namespace vigil::tsdb

namespace vigil::tsdb {
namespace {

TEST_F(StorageTest, RefHintsSkipTheLookupUntilSeriesAreDeleted) {
  auto s = Open();
  const Labels a = Labels::FromPairs({{"__name__", "m"}, {"k", "a"}});
  const Labels b = Labels::FromPairs({{"__name__", "m"}, {"k", "b"}});
  WriteBatch first(s->series_limits());
  Sample s1{kNow, 1};
  first.AddSeries(a, std::span<const Sample>(&s1, 1));
  first.AddSeries(b, std::span<const Sample>(&s1, 1));
  std::vector<SeriesRefHint> refs;
  ASSERT_TRUE(s->Append(first, nullptr, &refs).ok());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_NE(refs[0].generation, 0u);
  EXPECT_NE(refs[0].ref, refs[1].ref);

  // A trusted row with its hint lands on the same series.
  WriteBatch second(s->series_limits());
  Sample s2{kNow + 1000, 2};
  second.AddTrustedSeries(a, std::span<const Sample>(&s2, 1), refs[0]);
  ASSERT_TRUE(s->Append(second, nullptr, nullptr).ok());
  Dump d = DumpAll(*s);
  EXPECT_EQ(d[a.ToString()].size(), 2u);

  // After a deletion old hints are not trusted: the labels decide.
  ASSERT_TRUE(s->DeleteSeries({Matcher::Equal("k", "a")}).ok());
  WriteBatch third(s->series_limits());
  Sample s3{kNow + 2000, 3};
  third.AddTrustedSeries(a, std::span<const Sample>(&s3, 1), refs[0]);
  std::vector<SeriesRefHint> again;
  AppendResult r;
  ASSERT_TRUE(s->Append(third, &r, &again).ok());
  EXPECT_EQ(r.series_created, 1u);
  EXPECT_NE(again[0].generation, refs[0].generation);
  d = DumpAll(*s);
  EXPECT_EQ(d[a.ToString()].size(), 1u);
  EXPECT_EQ(d[b.ToString()].size(), 1u);
}

}  // namespace
}  // namespace vigil::tsdb

namespace vigil::tsdb {
namespace {

class DeferredSelectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "vigil_deferred_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// SelectDeferred yields what Select yields (samples from parts and head,
// read on other threads), plus at most series whose iterators are empty.
constexpr int64_t kDeferredStart = 1'700'000'000'000;

// 40 series "m" of 400 samples a second apart from kDeferredStart, the first
// 251 seconds flushed into a part, the rest in the head; series 0 stops
// after 11 samples.
std::unique_ptr<Storage> OpenPartAndHead(const std::string& dir) {
  StorageOptions o;
  o.dir = dir + "/metrics";
  o.clock = [] { return kDeferredStart + 600'000; };
  auto opened = Storage::Open(o, nullptr);
  EXPECT_TRUE(opened.ok());
  if (!opened.ok()) return nullptr;
  std::unique_ptr<Storage> s = std::move(opened).value();
  for (int p = 0; p < 400; ++p) {
    WriteBatch b(s->series_limits());
    for (int i = 0; i < 40; ++i) {
      if (i == 0 && p > 10) continue;
      AddRow(&b, {{"__name__", "m"}, {"i", std::to_string(i)}}, {{kDeferredStart + p * 1000, p * 1.0 + i}});
    }
    EXPECT_TRUE(s->Append(b, nullptr).ok());
    if (p == 250) {
      EXPECT_TRUE(s->FlushHead().ok());
    }
  }
  return s;
}

TEST_F(DeferredSelectTest, DeferredIteratorsReadOnOtherThreadsMatchSelect) {
  constexpr int64_t kStart = kDeferredStart;
  auto opened = OpenPartAndHead(dir_);
  ASSERT_NE(opened, nullptr);
  Storage& s = *opened;
  for (auto [mint, maxt] : {std::pair{kStart, kStart + 400'000}, std::pair{kStart + 100'000, kStart + 300'500}}) {
    std::map<std::string, std::vector<Sample>> eager, deferred;
    auto q = s.NewQuerier(mint, maxt);
    for (auto set = q->Select({}); set->Next();) {
      auto it = set->Samples();
      it->AppendRange(mint, maxt, &eager[set->labels().ToString()]);
    }
    std::vector<std::pair<std::string, std::unique_ptr<SampleIterator>>> iterators;
    for (auto set = q->SelectDeferred({}); set->Next();) iterators.emplace_back(set->labels().ToString(), set->Samples());
    std::vector<std::vector<Sample>> read(iterators.size());
    std::thread other([&] {
      for (size_t k = 1; k < iterators.size(); k += 2) iterators[k].second->AppendRange(mint, maxt, &read[k]);
    });
    for (size_t k = 0; k < iterators.size(); k += 2) iterators[k].second->AppendRange(mint, maxt, &read[k]);
    other.join();
    for (size_t k = 0; k < iterators.size(); ++k) {
      EXPECT_TRUE(iterators[k].second->status().ok());
      if (!read[k].empty()) deferred[iterators[k].first] = read[k];
    }
    ASSERT_EQ(eager.size(), deferred.size());
    for (const auto& [key, samples] : eager) {
      ASSERT_EQ(deferred[key].size(), samples.size()) << key;
      for (size_t j = 0; j < samples.size(); ++j) {
        EXPECT_EQ(deferred[key][j].timestamp_ms, samples[j].timestamp_ms);
        EXPECT_EQ(deferred[key][j].value, samples[j].value);
      }
    }
  }
}

// TakeRange empties its output first, reads part and head merged, and keeps
// only the asked range even when the querier's range is wider.
TEST_F(DeferredSelectTest, TakeRangeReplacesOutputAndTrimsToTheAskedRange) {
  auto opened = OpenPartAndHead(dir_);
  ASSERT_NE(opened, nullptr);
  const int64_t mint = kDeferredStart + 200'500, maxt = kDeferredStart + 300'000;
  auto q = opened->NewQuerier(kDeferredStart, kDeferredStart + 400'000);
  size_t series = 0;
  for (auto set = q->SelectDeferred({Matcher::Equal("i", "7")}); set->Next(); ++series) {
    std::vector<Sample> taken = {{1, 1.0}, {2, 2.0}};  // replaced, not appended to
    auto it = set->Samples();
    it->TakeRange(mint, maxt, &taken);
    ASSERT_TRUE(it->status().ok());
    ASSERT_EQ(taken.size(), 100u);  // seconds 201..300: 50 from the part, 50 from the head
    for (size_t j = 0; j < taken.size(); ++j) {
      EXPECT_EQ(taken[j].timestamp_ms, kDeferredStart + static_cast<int64_t>(201 + j) * 1000);
      EXPECT_EQ(taken[j].value, static_cast<double>(201 + j) + 7);
    }
  }
  EXPECT_EQ(series, 1u);
}

}  // namespace
}  // namespace vigil::tsdb
