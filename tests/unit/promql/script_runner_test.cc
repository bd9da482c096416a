// The script runner must catch wrong results, or the Prometheus scripts
// prove nothing.

#include "script_runner.h"

#include <gtest/gtest.h>

namespace vigil::promql::testing {
namespace {

ScriptOutcome RunText(const std::string& text) { return RunScript(text, EngineOptions{}); }

TEST(ScriptRunnerTest, CorrectExpectationsPass) {
  auto out = RunText(R"(
load 5m
  m{a="1"} 0+10x10
  m{a="2"} 1 _ 3 stale 5

eval instant at 10m m
  m{a="1"} 20
  m{a="2"} 3

eval instant at 15m m
  m{a="1"} 30

eval instant at 0m 1 + 1
  2

eval_fail instant at 0m label_replace(m, "x", "", "a", "(")

eval_ordered instant at 20m sort_desc(m)
  m{a="1"} 40
  m{a="2"} 5
)");
  ASSERT_TRUE(out.error.empty()) << out.error;
  ASSERT_EQ(out.evals.size(), 5u);
  for (const auto& e : out.evals) EXPECT_TRUE(e.passed) << e.command << ": " << e.failure;
}

TEST(ScriptRunnerTest, WrongValueMissingSeriesAndWrongOrderFail) {
  auto out = RunText(R"(
load 5m
  m{a="1"} 0+10x10
  m{a="2"} 0+1x10

eval instant at 10m m
  m{a="1"} 21
  m{a="2"} 2

eval instant at 10m m
  m{a="1"} 20

eval_ordered instant at 10m sort(m)
  m{a="1"} 20
  m{a="2"} 2

eval_fail instant at 10m m

eval instant at 10m 1
  2
)");
  ASSERT_TRUE(out.error.empty()) << out.error;
  ASSERT_EQ(out.evals.size(), 5u);
  for (const auto& e : out.evals) EXPECT_FALSE(e.passed) << e.command;
}

TEST(ScriptRunnerTest, SeriesValueShorthandsExpand) {
  auto out = RunText(R"(
load 1m
  s -1+1x3 _x2 1e3+1x1 7x1 -Inf

eval instant at 3m s
  s 2

eval instant at 6m s
  s 1000

eval instant at 9m s
  s 7

eval instant at 10m s
  s -Inf
)");
  ASSERT_TRUE(out.error.empty()) << out.error;
  for (const auto& e : out.evals) EXPECT_TRUE(e.passed) << e.command << ": " << e.failure;
}

}  // namespace
}  // namespace vigil::promql::testing
