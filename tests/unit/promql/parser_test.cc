#include "promql/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "promql/lexer.h"

namespace vigil::promql {
namespace {

std::string Print(std::string_view q) {
  auto r = ParseExpr(q);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return (*r)->String();
}

std::string Error(std::string_view q) {
  auto r = ParseExpr(q);
  return r.ok() ? "no error" : r.status().message();
}

TEST(ParserTest, NumberLiteralsIncludingHexOctalInfNaN) {
  EXPECT_EQ(Print("1"), "1");
  EXPECT_EQ(Print("0x1F"), "31");
  EXPECT_EQ(Print("010"), "8");  // Go's ParseInt base 0: octal
  EXPECT_EQ(Print("1e6"), "1e+06");
  EXPECT_EQ(Print(".5"), "0.5");
  EXPECT_EQ(Print("-Inf"), "-Inf");
  EXPECT_EQ(Print("nAn"), "NaN");
  EXPECT_EQ(Print("-(1)"), "-(1)");
}

TEST(ParserTest, PrecedenceAndRightAssociativePow) {
  EXPECT_EQ(Print("1 + 2 * 3"), "1 + 2 * 3");
  auto r = ParseExpr("2 ^ 3 ^ 2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->args[0]->number, 2);  // 2 ^ (3 ^ 2)
  EXPECT_EQ((*r)->args[1]->kind, NodeKind::kBinary);
  r = ParseExpr("1 - 2 - 3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->args[0]->kind, NodeKind::kBinary);  // (1 - 2) - 3
  r = ParseExpr("-a ^ 2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->kind, NodeKind::kUnary);  // -(a ^ 2)
  r = ParseExpr("a or b and c unless d");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->op, Op::kOr);
  EXPECT_EQ((*r)->args[1]->op, Op::kUnless);
}

TEST(ParserTest, SelectorsWithModifiersPrintAsPrometheus) {
  EXPECT_EQ(Print(R"(foo{b="2", a=~"x.*"})"), R"(foo{a=~"x.*",b="2"})");
  EXPECT_EQ(Print(R"({__name__="foo"})"), R"({__name__="foo"})");
  EXPECT_EQ(Print("foo offset 1h30m"), "foo offset 1h30m");
  EXPECT_EQ(Print("foo offset -5m"), "foo offset -5m");
  EXPECT_EQ(Print("foo[5m] @ 100 offset 1m"), "foo[5m] @ 100.000 offset 1m");
  EXPECT_EQ(Print("foo @ start()"), "foo @ start()");
  EXPECT_EQ(Print("rate(foo[5m])[1h:5m] @ end()"), "rate(foo[5m])[1h:5m] @ end()");
  EXPECT_EQ(Print("foo[5m:]"), "foo[5m:]");
  EXPECT_EQ(Print("foo[90m]"), "foo[1h30m]");
}

TEST(ParserTest, AggregationsWithGroupingBeforeOrAfter) {
  EXPECT_EQ(Print("sum by (job) (x)"), "sum by (job) (x)");
  EXPECT_EQ(Print("sum(x) by (job)"), "sum by (job) (x)");
  EXPECT_EQ(Print("SUM without (a, b) (x)"), "sum without (a, b) (x)");
  EXPECT_EQ(Print("topk(3, x)"), "topk(3, x)");
  EXPECT_EQ(Print(R"(count_values("v", x))"), R"(count_values("v", x))");
}

TEST(ParserTest, VectorMatchingModifiers) {
  EXPECT_EQ(Print("a + on(x) group_left(y) b"), "a + on (x) group_left (y) b");
  EXPECT_EQ(Print("a > bool ignoring(x) b"), "a > bool ignoring (x) b");
  EXPECT_EQ(Print("a and on() b"), "a and on () b");
}

TEST(ParserTest, CommentsAndWhitespaceAreIgnored) {
  EXPECT_EQ(Print("sum(x) # total\n + 1"), "sum(x) + 1");
}

TEST(ParserTest, ErrorsNamePositionAndCause) {
  EXPECT_EQ(Error("foo{"), "1:5: parse error: unexpected end of input in label matching, expected label");
  EXPECT_EQ(Error("1 +"), "1:4: parse error: unexpected end of input");
  EXPECT_EQ(Error("foo("), "1:1: parse error: unknown function with name \"foo\"");
  EXPECT_EQ(Error("rate(foo)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
  EXPECT_EQ(Error("round()"), "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0");
  EXPECT_EQ(Error("1 > 2"), "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(Error("1 and 2"), "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(Error("a + bool b"), "1:3: parse error: bool modifier can only be used on comparison operators");
  EXPECT_EQ(Error("{}"), "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(Error("foo offset 5m[5m]"), "1:1: parse error: no offset modifiers allowed before range");
  EXPECT_EQ(Error("(foo)[5m]"), "1:1: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(Error("foo offset 1m offset 2m"), "1:1: parse error: offset may not be set multiple times");
  EXPECT_EQ(Error("topk(x)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1");
  EXPECT_EQ(Error("foo[5m:1m][1m:]"), "1:1: parse error: subquery is only allowed on instant vector, got range vector instead");
  EXPECT_EQ(Error("a + on(x) group_left(x) b"),
            "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once");
  EXPECT_EQ(Error("foo ~ bar"), "1:5: parse error: unexpected character: '~'");
  EXPECT_EQ(Error("1\n+ )"), "2:3: parse error: unexpected \")\"");
  EXPECT_EQ(Error(""), "1:1: parse error: no expression found in input");
}

TEST(ParserTest, DeepNestingIsRejectedNotCrashing) {
  std::string deep(100000, '(');
  EXPECT_NE(Error(deep).find("nesting too deep"), std::string::npos);
  std::string minus(100000, '-');
  minus += "1";
  EXPECT_NE(Error(minus).find("nesting too deep"), std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 50000; ++i) chain += "+1";
  EXPECT_NE(Error(chain).find("nesting too deep"), std::string::npos);
  std::string ok(200, '(');
  ok += "1" + std::string(200, ')');
  EXPECT_EQ(Error(ok), "no error");
}

TEST(ParserTest, DurationsFollowPrometheusRules) {
  EXPECT_EQ(*ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParseDuration("1y"), 365LL * 86400000);
  EXPECT_EQ(*ParseDuration("10ms"), 10);
  EXPECT_FALSE(ParseDuration("30m1h").ok());  // units must descend
  EXPECT_FALSE(ParseDuration("1h1h").ok());
  EXPECT_FALSE(ParseDuration("").ok());
}

// Every expression of the Prometheus test scripts prints to a string that
// parses back to the same printout.
TEST(ParserTest, StringRoundTripsOnEveryScriptExpression) {
  std::filesystem::path dir = std::filesystem::path(VIGIL_TESTDATA_DIR) / ".." / ".." / ".." / "shared" /
                              "peer-tests" / "promql";
  std::error_code ec;
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      size_t p = line.find(" instant ");
      if (line.rfind("eval", 0) != 0 || p == std::string::npos) continue;
      std::string rest = line.substr(p + 9);
      if (rest.rfind("at ", 0) == 0) rest = rest.substr(rest.find(' ', 3) + 1);
      auto first = ParseExpr(rest);
      ASSERT_TRUE(first.ok()) << rest << ": " << first.status().message();
      std::string printed = (*first)->String();
      auto second = ParseExpr(printed);
      ASSERT_TRUE(second.ok()) << printed << ": " << second.status().message();
      EXPECT_EQ((*second)->String(), printed) << rest;
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "no scripts found in " << dir;
}

}  // namespace
}  // namespace vigil::promql
