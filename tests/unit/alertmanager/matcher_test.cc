#include "alertmanager/matcher.h"

#include <gtest/gtest.h>

namespace vigil::alertmanager {
namespace {

TEST(MatcherTest, ParsesEveryOperatorQuotedAndBare) {
  auto m = ParseMatcher("severity!=\"info\"");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type(), MatchType::kNotEqual);
  EXPECT_EQ(m->value(), "info");
  m = ParseMatcher(" job =~ node.* ");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type(), MatchType::kRegex);
  EXPECT_EQ(m->value(), "node.*");
  m = ParseMatcher("a!~\"x|y\"");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type(), MatchType::kNotRegex);
  m = ParseMatcher("a=");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value(), "");
}

TEST(MatcherTest, RegexIsFullyAnchored) {
  auto m = ParseMatcher("job=~node");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches({{"job", "node"}}));
  EXPECT_FALSE(m->Matches({{"job", "node_exporter"}}));
  EXPECT_FALSE(m->Matches({{"job", "a-node"}}));
}

TEST(MatcherTest, MissingLabelMatchesAsEmptyString) {
  auto eq_empty = ParseMatcher("team=\"\"");
  ASSERT_TRUE(eq_empty.ok());
  EXPECT_TRUE(eq_empty->Matches({{"other", "x"}}));
  auto ne = ParseMatcher("team!=db");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(ne->Matches({}));
}

TEST(MatcherTest, EscapesInsideQuotesAndCommaInsideQuotesDoesNotSplit) {
  auto ms = ParseMatchers("{a=\"x,y\", b=~\"q\\\"z\"}");
  ASSERT_TRUE(ms.ok()) << ms.status().message();
  ASSERT_EQ(ms->size(), 2u);
  EXPECT_EQ((*ms)[0].value(), "x,y");
  EXPECT_EQ((*ms)[1].value(), "q\"z");
  EXPECT_EQ(MatchersString(*ms), "{a=\"x,y\",b=~\"q\\\"z\"}");
}

TEST(MatcherTest, RejectsBadNamesOperatorsAndRegexes) {
  EXPECT_FALSE(ParseMatcher("1a=b").ok());
  EXPECT_FALSE(ParseMatcher("a<b").ok());
  EXPECT_FALSE(ParseMatcher("a=~(").ok());
  EXPECT_FALSE(ParseMatcher("a=\"unterminated").ok());
  EXPECT_FALSE(ParseMatchers("{a=b").ok());
  EXPECT_FALSE(ParseMatchers("a=b,,c=d").ok());
}

}  // namespace
}  // namespace vigil::alertmanager
