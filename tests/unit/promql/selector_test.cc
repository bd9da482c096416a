#include "promql/selector.h"

#include <gtest/gtest.h>

namespace vigil::promql {
namespace {

std::string Show(const std::vector<tsdb::Matcher>& ms) {
  std::string out;
  for (const auto& m : ms) {
    if (!out.empty()) out += ",";
    out += m.ToString();
  }
  return out;
}

TEST(SelectorTest, MetricNameOnly) {
  auto r = ParseSeriesSelector("up");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Show(*r), "__name__=\"up\"");
}

TEST(SelectorTest, NameAndMatchersOfEveryType) {
  auto r = ParseSeriesSelector(R"(node_cpu:rate1m { a="1", b!='2', c=~"x|y" , d!~`.*z`, })");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Show(*r), R"(__name__="node_cpu:rate1m",a="1",b!="2",c=~"x|y",d!~".*z")");
}

TEST(SelectorTest, BracesOnly) {
  auto r = ParseSeriesSelector(R"({__name__=~"node_.*"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 1u);
}

TEST(SelectorTest, EscapesInStrings) {
  auto r = ParseSeriesSelector(R"({a="x\"y\n\u00e9\x41\101"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value(), "x\"y\n\xc3\xa9" "AA");
}

TEST(SelectorTest, AllEmptyMatchersRejected) {
  auto r = ParseSeriesSelector(R"({a=""})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at least one non-empty matcher"), std::string::npos);
  EXPECT_FALSE(ParseSeriesSelector(R"({a=~".*"})").ok());
  EXPECT_TRUE(ParseSeriesSelector(R"({a=~".+"})").ok());
}

TEST(SelectorTest, ErrorsCarryPosition) {
  auto r = ParseSeriesSelector(R"(up{job=})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "1:8: parse error: unexpected \"}\" in label matching, expected string");
  EXPECT_FALSE(ParseSeriesSelector("").ok());
  EXPECT_FALSE(ParseSeriesSelector("up{").ok());
  EXPECT_FALSE(ParseSeriesSelector("up{a=\"1\"").ok());
  EXPECT_FALSE(ParseSeriesSelector("up{a~\"1\"}").ok());
  EXPECT_FALSE(ParseSeriesSelector("up{a=\"unterminated}").ok());
  EXPECT_FALSE(ParseSeriesSelector("up extra").ok());
  EXPECT_FALSE(ParseSeriesSelector("{a=~\"(\"}").ok());
}

}  // namespace
}  // namespace vigil::promql
