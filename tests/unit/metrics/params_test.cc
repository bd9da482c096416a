#include "metrics/params.h"

#include <gtest/gtest.h>

namespace vigil::metrics {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

int64_t Ts(std::string_view s) {
  auto r = ParseTimestampMs(s, kNow);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}

TEST(ParamsTest, UnixSecondsWithFraction) {
  EXPECT_EQ(Ts("1700000000"), kNow);
  EXPECT_EQ(Ts("1700000000.123"), kNow + 123);
  EXPECT_EQ(Ts("0"), 0);
  EXPECT_EQ(Ts("1.7e9"), kNow);
}

TEST(ParamsTest, IntegerMillisMicrosNanosByMagnitude) {
  EXPECT_EQ(Ts("1700000000000"), kNow);
  EXPECT_EQ(Ts("1700000000000000"), kNow);
  EXPECT_EQ(Ts("1700000000000000000"), kNow);
}

TEST(ParamsTest, Rfc3339FullAndPartial) {
  EXPECT_EQ(Ts("2023-11-14T22:13:20Z"), kNow);
  EXPECT_EQ(Ts("2023-11-14T22:13:20.5Z"), kNow + 500);
  EXPECT_EQ(Ts("2023-11-15T00:13:20+02:00"), kNow);
  EXPECT_EQ(Ts("2023-11-14T22:13:20-01:00"), kNow + 3600'000);
  EXPECT_EQ(Ts("2023"), 1'672'531'200'000);
  EXPECT_EQ(Ts("2023-11-14"), 1'699'920'000'000);
  EXPECT_EQ(Ts("2023-11-14T22"), 1'699'999'200'000);
}

TEST(ParamsTest, NowAndRelative) {
  EXPECT_EQ(Ts("now"), kNow);
  EXPECT_EQ(Ts("now-1h"), kNow - 3600'000);
  EXPECT_EQ(Ts("-1h5m"), kNow - 3900'000);
  EXPECT_EQ(Ts("5m"), kNow - 300'000);
}

TEST(ParamsTest, Garbage) {
  for (auto s : {"", "abc", "2023-13-01", "now-x", "1h2", "2023-11-14T", "NaN", "Inf"}) {
    auto r = ParseTimestampMs(s, kNow);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("valid timestamp"), std::string::npos);
    }
  }
}

TEST(ParamsTest, Durations) {
  EXPECT_EQ(*ParseDurationMs("15s"), 15'000);
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("1.5"), 1'500);
  EXPECT_EQ(*ParseDurationMs("1w"), 604'800'000);
  EXPECT_FALSE(ParseDurationMs("").ok());
  EXPECT_FALSE(ParseDurationMs("5x").ok());
  EXPECT_FALSE(ParseDurationMs("m").ok());
}

}  // namespace
}  // namespace vigil::metrics
