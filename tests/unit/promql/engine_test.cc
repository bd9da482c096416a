#include "promql/engine.h"

#include <gtest/gtest.h>

#include <cmath>

#include "memory_querier.h"

namespace vigil::promql {
namespace {

using testing::MemoryStorage;

tsdb::Labels L(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  return tsdb::Labels::FromPairs(pairs);
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two counters scraped every 15 s for 10 minutes.
    for (int i = 0; i <= 40; ++i) {
      storage_.Add(L({{"__name__", "req"}, {"job", "a"}}), i * 15000, i * 10.0);
      storage_.Add(L({{"__name__", "req"}, {"job", "b"}}), i * 15000, i * 20.0);
    }
  }
  std::string Json(const QueryResult& r) {
    if (!r.ok()) return "error: " + r.error().message;
    std::string out;
    AppendValueJson(&out, r.value());
    return out;
  }

  MemoryStorage storage_;
  Engine engine_;
};

TEST_F(EngineTest, InstantVectorRendersAsPrometheusJson) {
  auto r = engine_.InstantQuery(storage_.Queryable(), "req", 150000);
  EXPECT_EQ(Json(r),
            R"({"resultType":"vector","result":[{"metric":{"__name__":"req","job":"a"},"value":[150,"100"]},)"
            R"({"metric":{"__name__":"req","job":"b"},"value":[150,"200"]}]})");
}

TEST_F(EngineTest, RateOverRangeQueryIsSortedMatrix) {
  auto r = engine_.RangeQuery(storage_.Queryable(), "sum by (job) (rate(req[1m]))", 120000, 150000, 15000);
  EXPECT_EQ(Json(r),
            R"({"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[120,"0.6666666666666666"],)"
            R"([135,"0.6666666666666666"],[150,"0.6666666666666666"]]},{"metric":{"job":"b"},"values":)"
            R"([[120,"1.3333333333333333"],[135,"1.3333333333333333"],[150,"1.3333333333333333"]]}]})");
}

TEST_F(EngineTest, ScalarAndStringResults) {
  EXPECT_EQ(Json(engine_.InstantQuery(storage_.Queryable(), "1 / 3", 1500)),
            R"({"resultType":"scalar","result":[1.500,"0.3333333333333333"]})");
  EXPECT_EQ(Json(engine_.InstantQuery(storage_.Queryable(), "\"a\\\"b\"", 1000)),
            R"({"resultType":"string","result":[1,"a\"b"]})");
  EXPECT_EQ(Json(engine_.RangeQuery(storage_.Queryable(), "time()", 0, 2000, 1000)),
            R"({"resultType":"matrix","result":[{"metric":{},"values":[[0,"0"],[1,"1"],[2,"2"]]}]})");
}

TEST_F(EngineTest, RangeVectorInstantQueryReturnsRawSamples) {
  auto r = engine_.InstantQuery(storage_.Queryable(), "req{job=\"a\"}[30s]", 30000);
  EXPECT_EQ(Json(r), R"({"resultType":"matrix","result":[{"metric":{"__name__":"req","job":"a"},)"
                     R"("values":[[0,"0"],[15,"10"],[30,"20"]]}]})");
}

TEST(ValueFormatTest, SampleValuesAndTimestampsAsPrometheus) {
  EXPECT_EQ(FormatSampleValue(1), "1");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(1e21), "1e+21");
  EXPECT_EQ(FormatSampleValue(123456789012345678.0), "123456789012345680");
  EXPECT_EQ(FormatSampleValue(1e-7), "1e-07");
  EXPECT_EQ(FormatSampleValue(0.000001), "0.000001");
  EXPECT_EQ(FormatSampleValue(-0.0), "-0");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatSampleValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatTimestamp(1435781451781), "1435781451.781");
  EXPECT_EQ(FormatTimestamp(1500), "1.500");
  EXPECT_EQ(FormatTimestamp(1005), "1.005");
  EXPECT_EQ(FormatTimestamp(-1500), "-1.500");
  EXPECT_EQ(FormatTimestamp(2000), "2");
}

TEST_F(EngineTest, ErrorsCarryPrometheusKinds) {
  auto r = engine_.InstantQuery(storage_.Queryable(), "sum(", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, QueryError::Kind::kBadData);
  EXPECT_EQ(r.error().TypeName(), "bad_data");

  r = engine_.RangeQuery(storage_.Queryable(), "req[5m]", 0, 1000, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");

  r = engine_.RangeQuery(storage_.Queryable(), "req", 0, 1000, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, QueryError::Kind::kBadData);

  r = engine_.InstantQuery(storage_.Queryable(), "req + on() req", 60000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, QueryError::Kind::kExecution);
  EXPECT_NE(r.error().message.find("many-to-many matching not allowed"), std::string::npos);
}

TEST_F(EngineTest, TooManySamplesFailsInsteadOfGrowing) {
  EngineOptions opts;
  opts.max_samples = 10;
  Engine small(opts);
  auto r = small.InstantQuery(storage_.Queryable(), "count_over_time(req[10m])", 600000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, QueryError::Kind::kTooManySamples);
  EXPECT_EQ(r.error().message, "query processing would load too many samples into memory in query execution");
  EXPECT_TRUE(small.InstantQuery(storage_.Queryable(), "req", 600000).ok());
}

TEST_F(EngineTest, CanceledAndTimedOutQueriesStop) {
  std::atomic<bool> cancel{true};
  auto r = engine_.InstantQuery(storage_.Queryable(), "req", 0, &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, QueryError::Kind::kCanceled);

  EngineOptions opts;
  opts.timeout = std::chrono::milliseconds(-1);
  Engine expired(opts);
  r = expired.InstantQuery(storage_.Queryable(), "req", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, QueryError::Kind::kTimeout);
  EXPECT_EQ(r.error().TypeName(), "timeout");
}

TEST_F(EngineTest, LookbackDeltaIsConfigurable) {
  EngineOptions opts;
  opts.lookback_delta_ms = 60000;
  Engine short_lookback(opts);
  // The last sample is at 600 s; 1 min later it is still visible, 2 min later not.
  auto r = short_lookback.InstantQuery(storage_.Queryable(), "req", 660000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Vector>(r.value()).size(), 2u);
  r = short_lookback.InstantQuery(storage_.Queryable(), "req", 720000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<Vector>(r.value()).empty());
}

TEST_F(EngineTest, StaleMarkerEndsSeriesAtOnce) {
  storage_.Add(L({{"__name__", "g"}}), 0, 1);
  storage_.Add(L({{"__name__", "g"}}), 10000, std::bit_cast<double>(uint64_t{0x7ff0000000000002ULL}));
  auto r = engine_.InstantQuery(storage_.Queryable(), "g", 5000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Vector>(r.value()).size(), 1u);
  r = engine_.InstantQuery(storage_.Queryable(), "g", 10000);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<Vector>(r.value()).empty());
}

}  // namespace
}  // namespace vigil::promql

namespace vigil::promql {
namespace {

// Enough series over a long enough range that selection and rate run on
// several workers; the answer must be the one-thread answer, and limits and
// cancellation must still stop the query.
TEST(EngineParallelTest, ManySeriesOverHoursGiveTheSingleThreadAnswer) {
  testing::MemoryStorage storage;
  for (int s = 0; s < 100; ++s) {
    const std::string instance = "host-" + std::to_string(s);
    for (int i = 0; i <= 4 * 240; ++i) {  // 4 h at 15 s, a reset every 300 samples
      storage.Add(tsdb::Labels::FromPairs({{"__name__", "cpu"}, {"instance", instance}, {"mode", s % 2 ? "user" : "idle"}}),
                  int64_t{i} * 15000, (i % 300) * (1.0 + s) + (i == 500 && s == 7 ? NAN : 0));
    }
  }
  EngineOptions one;
  one.max_workers = 1;
  EngineOptions four;
  four.max_workers = 4;
  for (const char* q : {"sum by (mode) (rate(cpu[5m]))", "max_over_time(cpu[10m])", "cpu",
                        "count_over_time(cpu{mode=\"user\"}[1h])"}) {
    auto a = Engine(one).RangeQuery(storage.Queryable(), q, 3600000, 4 * 3600000, 60000);
    auto b = Engine(four).RangeQuery(storage.Queryable(), q, 3600000, 4 * 3600000, 60000);
    ASSERT_TRUE(a.ok() && b.ok()) << q;
    std::string ja, jb;
    AppendValueJson(&ja, a.value());
    AppendValueJson(&jb, b.value());
    EXPECT_EQ(ja, jb) << q;
    EXPECT_GT(ja.size(), 1000u) << q;
  }
  four.max_samples = 50000;
  auto limited = Engine(four).RangeQuery(storage.Queryable(), "rate(cpu[5m])", 0, 4 * 3600000, 60000);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().kind, QueryError::Kind::kTooManySamples);
  std::atomic<bool> cancel{true};
  auto canceled = Engine(EngineOptions{}).RangeQuery(storage.Queryable(), "rate(cpu[5m])", 0, 4 * 3600000, 60000, &cancel);
  ASSERT_FALSE(canceled.ok());
  EXPECT_EQ(canceled.error().kind, QueryError::Kind::kCanceled);
}

}  // namespace
}  // namespace vigil::promql
