// Execute(): result row shape, limit=N newest, streaming, limits and
// cancellation.

#include <gtest/gtest.h>

#include <atomic>

#include "logsql/logsql.h"
#include "logsql/values.h"
#include "logstore/memory_store.h"
#include "test_util.h"

namespace vigil::logsql {
namespace {

using test_util::Lines;
using test_util::RunQuery;

constexpr int64_t kBase = 1672531200LL * 1'000'000'000;  // 2023-01-01T00:00:00Z
constexpr int64_t kSec = 1'000'000'000;

TEST(Execute, RowsWithoutPipesCarryTimeStreamIdStreamMsgThenFields) {
  logstore::MemoryLogStore store;
  store.Add({kBase + 123'456'000, {{"job", "pg"}}, {{"level", "info"}, {"_msg", "hello world"}, {"empty", ""}}});
  auto rows = RunQuery(store, "hello");
  ASSERT_EQ(rows.size(), 1u);
  const std::string id = FormatStreamId(logstore::StreamIdOf({{"job", "pg"}}));
  EXPECT_EQ(Lines(rows)[0], "_time=2023-01-01T00:00:00.123456Z _stream_id=" + id +
                                " _stream={job=\"pg\"} _msg=hello world level=info");
}

TEST(Execute, LimitOptionWithoutPipesReturnsTheNewestRowsNewestFirst) {
  logstore::MemoryLogStore store;
  for (int i = 0; i < 10000; ++i)
    store.Add({kBase + i * kSec, {{"job", i % 2 ? "a" : "b"}}, {{"_msg", "m" + std::to_string(i)}}});
  ExecuteOptions opts;
  opts.limit = 3;
  std::vector<std::string> msgs;
  for (const auto& r : RunQuery(store, "*", opts)) msgs.emplace_back(FieldValue(r, "_msg"));
  EXPECT_EQ(msgs, (std::vector<std::string>{"m9999", "m9998", "m9997"}));
}

TEST(Execute, LimitOptionWithPipesLimitsAfterTheLastPipe) {
  logstore::MemoryLogStore store;
  for (int i = 0; i < 5; ++i) store.Add({kBase + i * kSec, {}, {{"_msg", "m"}, {"n", std::to_string(i)}}});
  ExecuteOptions opts;
  opts.limit = 2;
  EXPECT_EQ(Lines(RunQuery(store, "* | sort by (n desc) | fields n", opts)), (std::vector<std::string>{"n=4", "n=3"}));
}

TEST(Execute, StartAndEndOptionsAreAndedWithTheQueryTimeFilter) {
  logstore::MemoryLogStore store;
  for (int i = 0; i < 10; ++i) store.Add({kBase + i * kSec, {}, {{"_msg", std::to_string(i)}}});
  ExecuteOptions opts;
  opts.start_ns = kBase + 2 * kSec;
  opts.end_ns = kBase + 7 * kSec;
  opts.now_ns = kBase + 9 * kSec;
  auto rows = RunQuery(store, "_time:5m | sort by (_time) | fields _msg", opts);
  EXPECT_EQ(Lines(rows), (std::vector<std::string>{"_msg=2", "_msg=3", "_msg=4", "_msg=5", "_msg=6", "_msg=7"}));
  opts.now_ns = kBase + 4 * kSec;  // _time:2s → (2s, 4s]
  EXPECT_EQ(Lines(RunQuery(store, "_time:2s | sort by (_time) | fields _msg", opts)),
            (std::vector<std::string>{"_msg=3", "_msg=4"}));
}

// A store that records how many blocks it handed out when the sink first saw
// a row: streaming means before the scan ended.
class CountingStore final : public logstore::LogReader {
 public:
  explicit CountingStore(const logstore::LogReader& inner) : inner_(inner) {}
  Status Scan(const logstore::ScanRequest& req, const logstore::BlockFn& fn) const override {
    return inner_.Scan(req, [&](const logstore::BlockView& b) {
      ++blocks;
      return fn(b);
    });
  }
  mutable int blocks = 0;

 private:
  const logstore::LogReader& inner_;
};

TEST(Execute, RowsStreamWhileScanningUnlessAPipeBlocks) {
  logstore::MemoryLogStore memory;
  for (int s = 0; s < 5; ++s) memory.Add({kBase, {{"s", std::to_string(s)}}, {{"_msg", "x"}}});
  CountingStore store(memory);
  auto blocks_at_first_row = [&](std::string_view q) {
    store.blocks = 0;
    int seen = -1;
    auto parsed = Parse(q);
    EXPECT_TRUE(parsed.ok());
    EXPECT_TRUE(Execute(parsed.value(), store, {}, [&](const Row&) {
                  if (seen < 0) seen = store.blocks;
                  return true;
                }).ok());
    return seen;
  };
  EXPECT_EQ(blocks_at_first_row("x | fields _msg | filter x"), 1);
  EXPECT_EQ(blocks_at_first_row("x | sort by (_time)"), 5);
  EXPECT_EQ(blocks_at_first_row("x | stats count()"), 5);
}

TEST(Execute, SinkReturningFalseStopsTheScanWithoutError) {
  logstore::MemoryLogStore memory;
  for (int s = 0; s < 5; ++s) memory.Add({kBase, {{"s", std::to_string(s)}}, {{"_msg", "x"}}});
  CountingStore store(memory);
  auto parsed = Parse("x");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(Execute(parsed.value(), store, {}, [](const Row&) { return false; }).ok());
  EXPECT_EQ(store.blocks, 1);
}

TEST(Execute, LimitPipeStopsTheScanEarly) {
  logstore::MemoryLogStore memory;
  for (int s = 0; s < 5; ++s) memory.Add({kBase, {{"s", std::to_string(s)}}, {{"_msg", "x"}}});
  CountingStore store(memory);
  EXPECT_EQ(RunQuery(store, "x | limit 1").size(), 1u);
  EXPECT_EQ(store.blocks, 1);
}

TEST(Execute, MaxRowsScannedDeadlineAndCancelFailTheQuery) {
  logstore::MemoryLogStore store;
  for (int s = 0; s < 5; ++s) store.Add({kBase, {{"s", std::to_string(s)}}, {{"_msg", "x"}}});
  Status st;
  ExecuteOptions opts;
  opts.max_rows_scanned = 2;
  RunQuery(store, "*", opts, &st);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted) << st.ToString();

  opts = {};
  opts.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  RunQuery(store, "*", opts, &st);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);

  std::atomic<bool> cancel{true};
  opts = {};
  opts.cancel = &cancel;
  RunQuery(store, "*", opts, &st);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
}

TEST(Execute, MaxHeldRowsBoundsBlockingPipes) {
  logstore::MemoryLogStore store;
  for (int i = 0; i < 50; ++i) store.Add({kBase + i, {}, {{"_msg", "x"}, {"n", std::to_string(i)}}});
  ExecuteOptions opts;
  opts.max_held_rows = 10;
  Status st;
  RunQuery(store, "* | sort by (n)", opts, &st);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  RunQuery(store, "* | stats by (n) count()", opts, &st);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  RunQuery(store, "* | stats count()", opts, &st);
  EXPECT_TRUE(st.ok());
}

TEST(Query, IntrospectionOfTheFinalStatsPipe) {
  auto q = Parse("error | stats by (host, _time:1m) count() as n, sum(dur)");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->EndsWithStats());
  EXPECT_EQ(q->StatsByFields(), (std::vector<std::string>{"host", "_time"}));
  EXPECT_EQ(q->StatsResultNames(), (std::vector<std::string>{"n", "sum(dur)"}));
  EXPECT_FALSE(q->IsTailCompatible());

  auto r = Parse("error | stats by (host) count()");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->AddTimeBucketToFinalStats(60 * kSec, 0).ok());
  EXPECT_EQ(r->StatsByFields(), (std::vector<std::string>{"host", "_time"}));

  auto plain = Parse("error | fields _time, _msg | extract \"<a> \" | filter a:x");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->EndsWithStats());
  EXPECT_TRUE(plain->IsTailCompatible());
  EXPECT_EQ(plain->AddTimeBucketToFinalStats(kSec, 0).code(), Status::Code::kInvalidArgument);
  for (auto text : {"x | sort by (a)", "x | limit 5", "x | offset 1", "x | uniq by (a)", "x | top by (a)"})
    EXPECT_FALSE(Parse(text)->IsTailCompatible()) << text;
}

TEST(Execute, StatsRangeWithAddedTimeBucketCountsPerStep) {
  logstore::MemoryLogStore store;
  for (int i = 0; i < 6; ++i) store.Add({kBase + i * 30 * kSec, {}, {{"_msg", "x"}}});
  auto q = Parse("x | stats count() as n");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->AddTimeBucketToFinalStats(60 * kSec, 0).ok());
  std::vector<Row> rows;
  ASSERT_TRUE(Execute(q.value(), store, {}, [&](const Row& r) {
                rows.push_back(r);
                return true;
              }).ok());
  EXPECT_EQ(Lines(rows), (std::vector<std::string>{"_time=2023-01-01T00:00:00Z n=2", "_time=2023-01-01T00:01:00Z n=2",
                                                   "_time=2023-01-01T00:02:00Z n=2"}));
}

}  // namespace
}  // namespace vigil::logsql
