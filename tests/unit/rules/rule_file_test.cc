#include "rules/rule_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace vigil::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RuleFileTest, ParsesGroupsAndRules) {
  auto f = ParseRuleFile(R"(groups:
  - name: g
    interval: 30s
    limit: 5
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {level: "1"}
      - alert: Down
        expr: up == 0
        for: 1m
        keep_firing_for: 5m
        labels: {severity: crit}
        annotations: {summary: "{{ $labels.instance }} down"}
)",
                         "r.yml");
  ASSERT_TRUE(f.errors.empty()) << f.errors[0];
  ASSERT_EQ(f.groups.size(), 1u);
  const GroupConfig& g = f.groups[0];
  EXPECT_EQ(g.name, "g");
  EXPECT_EQ(g.file, "r.yml");
  EXPECT_EQ(g.interval, std::chrono::seconds(30));
  EXPECT_EQ(g.limit, 5u);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].kind, RuleConfig::Kind::kRecording);
  EXPECT_EQ(g.rules[0].line, 6);
  EXPECT_EQ(g.rules[1].kind, RuleConfig::Kind::kAlerting);
  EXPECT_EQ(g.rules[1].for_duration, std::chrono::minutes(1));
  EXPECT_EQ(g.rules[1].keep_firing_for, std::chrono::minutes(5));
  EXPECT_EQ(g.rules[1].annotations.at("summary"), "{{ $labels.instance }} down");
}

TEST(RuleFileTest, ReportsEveryProblemWithFileAndLine) {
  auto f = ParseRuleFile(R"(groups:
  - name: g
    rules:
      - record: "bad name"
        expr: up
      - alert: A
        expr: sum(
      - record: r
        expr: up
        for: 1m
      - expr: up
  - name: g
    rules: []
)",
                         "r.yml");
  EXPECT_TRUE(f.groups.empty());
  ASSERT_EQ(f.errors.size(), 5u) << ::testing::PrintToString(f.errors);
  EXPECT_THAT(f.errors[0], HasSubstr("r.yml:4: record \"bad name\": invalid recording rule name"));
  EXPECT_THAT(f.errors[1], HasSubstr("r.yml:6: alert \"A\": could not parse expression"));
  EXPECT_THAT(f.errors[2], HasSubstr("r.yml:8: record \"r\": invalid field 'for' in recording rule"));
  EXPECT_THAT(f.errors[3], HasSubstr("r.yml:11: one of 'record' or 'alert' must be set"));
  EXPECT_THAT(f.errors[4], HasSubstr("groupname: \"g\" is repeated in the same file"));
}

TEST(RuleFileTest, UnknownFieldsAndBrokenYamlAreErrors) {
  EXPECT_THAT(ParseRuleFile("groups:\n  - name: g\n    rulez: []\n", "f").errors.at(0),
              HasSubstr("f:3: field rulez not found"));
  EXPECT_FALSE(ParseRuleFile("groups: [\n", "f").errors.empty());
  EXPECT_TRUE(ParseRuleFile("", "f").errors.empty());
}

TEST(RuleFileTest, PigstyRuleFilesLoadUnchanged) {
  const std::string dir = VIGIL_PIGSTY_RULES_DIR;  // ../shared beside the repository
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "Pigsty's rule files are not beside the repository";
  auto f = LoadRuleFiles({dir + "/*.yml"});
  EXPECT_TRUE(f.errors.empty()) << f.errors[0];
  size_t rules = 0;
  for (const auto& g : f.groups) rules += g.rules.size();
  EXPECT_GT(f.groups.size(), 15u);
  EXPECT_GT(rules, 800u);
}

}  // namespace
}  // namespace vigil::rules
