// Relabeling behaviour, one group of tests per action. The table cases are
// the examples of Prometheus 2.42's model/relabel/relabel_test.go, restated
// as data in our own types.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relabel/relabel.h"

// g++ 12 warns when a designated initializer leaves a member to its default
// member initializer, which is exactly how these tests spell rules.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::relabel {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

tsdb::Labels Make(const Pairs& pairs) {
  tsdb::LabelsBuilder b;
  for (const auto& [n, v] : pairs) b.Set(n, v);
  return b.Build();
}

Relabeler MustCompile(std::vector<RelabelConfig> configs) {
  Result<Relabeler> r = Relabeler::Compile(std::move(configs));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Relabeler();
}

// Applies `configs` to `input`; nullopt when the set is dropped.
std::optional<tsdb::Labels> Apply(std::vector<RelabelConfig> configs, const Pairs& input) {
  return MustCompile(std::move(configs)).Process(Make(input));
}

struct Case {
  std::string name;
  Pairs input;
  std::vector<RelabelConfig> configs;
  std::optional<Pairs> output;  // nullopt: dropped
};

std::vector<Case> PrometheusCases() {
  const Pairs abc = {{"a", "foo"}, {"b", "bar"}, {"c", "baz"}};
  const Pairs ports = {{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}};
  return {
      {"ReplaceWithBracedGroups", abc,
       {{.source_labels = {"a"}, .regex = "f(.*)", .target_label = "d", .replacement = "ch${1}-ch${1}"}},
       Pairs{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}},
      {"ReplaceChainSeesPreviousResult", abc,
       {{.source_labels = {"a", "b"}, .regex = "f(.*);(.*)r", .target_label = "a", .replacement = "b${1}${2}m"},
        {.source_labels = {"c", "a"}, .regex = "(b).*b(.*)ba(.*)", .target_label = "d", .replacement = "$1$2$2$3"}},
       Pairs{{"a", "boobam"}, {"b", "bar"}, {"c", "baz"}, {"d", "boooom"}}},
      {"DropStopsBeforeLaterRules", {{"a", "foo"}},
       {{.source_labels = {"a"}, .regex = ".*o.*", .action = Action::kDrop},
        {.source_labels = {"a"}, .regex = "f(.*)", .target_label = "d", .replacement = "ch$1-ch$1"}},
       std::nullopt},
      {"DropMatching", {{"a", "foo"}, {"b", "bar"}},
       {{.source_labels = {"a"}, .regex = ".*o.*", .action = Action::kDrop}}, std::nullopt},
      {"ReplaceInnerGroup", {{"a", "abc"}},
       {{.source_labels = {"a"}, .regex = ".*(b).*", .target_label = "d", .replacement = "$1"}},
       Pairs{{"a", "abc"}, {"d", "b"}}},
      {"DropNoMatchKeeps", {{"a", "foo"}},
       {{.source_labels = {"a"}, .regex = "no-match", .action = Action::kDrop}}, Pairs{{"a", "foo"}}},
      {"DropRegexIsAnchored", {{"a", "foo"}},
       {{.source_labels = {"a"}, .regex = "f|o", .action = Action::kDrop}}, Pairs{{"a", "foo"}}},
      {"KeepNoMatchDrops", {{"a", "foo"}},
       {{.source_labels = {"a"}, .regex = "no-match", .action = Action::kKeep}}, std::nullopt},
      {"KeepMatchKeeps", {{"a", "foo"}},
       {{.source_labels = {"a"}, .regex = "f.*", .action = Action::kKeep}}, Pairs{{"a", "foo"}}},
      {"ReplaceNoMatchChangesNothing", {{"a", "boo"}},
       {{.source_labels = {"a"}, .regex = "f", .target_label = "b", .replacement = "bar"}},
       Pairs{{"a", "boo"}}},
      {"HashMod", abc,
       {{.source_labels = {"c"}, .modulus = 1000, .target_label = "d", .action = Action::kHashMod}},
       Pairs{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}}},
      {"HashModNewline", {{"a", "foo\nbar"}},
       {{.source_labels = {"a"}, .modulus = 1000, .target_label = "b", .action = Action::kHashMod}},
       Pairs{{"a", "foo\nbar"}, {"b", "734"}}},
      {"LabelMapPrefix", {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}},
       {{.regex = "(b.*)", .replacement = "bar_${1}", .action = Action::kLabelMap}},
       Pairs{{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}, {"bar_b1", "bar"}, {"bar_b2", "baz"}}},
      {"LabelMapMeta",
       {{"a", "foo"}, {"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"}},
       {{.regex = "__meta_(my.*)", .replacement = "${1}", .action = Action::kLabelMap}},
       Pairs{{"a", "foo"},
             {"__meta_my_bar", "aaa"},
             {"__meta_my_baz", "bbb"},
             {"__meta_other", "ccc"},
             {"my_bar", "aaa"},
             {"my_baz", "bbb"}}},
      {"ReplaceTargetFromGroup", {{"a", "some-name-value"}},
       {{.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${1}", .replacement = "${2}"}},
       Pairs{{"a", "some-name-value"}, {"name", "value"}}},
      {"ReplaceMissingGroupValueIsEmpty", {{"a", "some-name-value"}},
       {{.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${1}", .replacement = "${3}"}},
       Pairs{{"a", "some-name-value"}}},
      {"ReplaceInvalidExpandedTarget", {{"a", "some-name-0"}},
       {{.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${3}", .replacement = "${1}"},
        {.source_labels = {"a"}, .regex = "some-([^-]+)-([^,]+)", .target_label = "${3}", .replacement = "${1}"},
        {.source_labels = {"a"}, .regex = "some-([^-]+)(-[^,]+)", .target_label = "${3}", .replacement = "${1}"}},
       Pairs{{"a", "some-name-0"}}},
      {"ReplaceRealLifeTags", {{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}},
       {{.source_labels = {"__meta_sd_tags"}, .regex = "(?:.+,|^)path:(/[^,]+).*",
         .target_label = "__metrics_path__", .replacement = "${1}"},
        {.source_labels = {"__meta_sd_tags"}, .regex = "(?:.+,|^)job:([^,]+).*", .target_label = "job",
         .replacement = "${1}"},
        {.source_labels = {"__meta_sd_tags"}, .regex = "(?:.+,|^)label:([^=]+)=([^,]+).*",
         .target_label = "${1}", .replacement = "${2}"}},
       Pairs{{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"},
             {"__metrics_path__", "/secret"},
             {"job", "some-job"},
             {"foo", "bar"}}},
      {"DeletedThenSetLabelReadsBack",  // prometheus/prometheus#12283, fine in 2.42
       {{"__meta_kubernetes_pod_container_port_name", "foo"},
        {"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"}},
       {{.regex = "^__meta_kubernetes_pod_container_port_name$", .action = Action::kLabelDrop},
        {.source_labels = {"__meta_kubernetes_pod_annotation_XXX_metrics_port"}, .regex = "(.+)",
         .target_label = "__meta_kubernetes_pod_container_port_name", .replacement = "metrics"},
        {.source_labels = {"__meta_kubernetes_pod_container_port_name"}, .regex = "^metrics$",
         .action = Action::kKeep}},
       Pairs{{"__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"},
             {"__meta_kubernetes_pod_container_port_name", "metrics"}}},
      {"LabelKeep", {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}},
       {{.regex = "(b.*)", .action = Action::kLabelKeep}}, Pairs{{"b1", "bar"}, {"b2", "baz"}}},
      {"LabelDrop", {{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}},
       {{.regex = "(b.*)", .action = Action::kLabelDrop}}, Pairs{{"a", "foo"}}},
      {"UpperAndLowercase", {{"foo", "bAr123Foo"}},
       {{.source_labels = {"foo"}, .target_label = "foo_uppercase", .action = Action::kUppercase},
        {.source_labels = {"foo"}, .target_label = "foo_lowercase", .action = Action::kLowercase}},
       Pairs{{"foo", "bAr123Foo"}, {"foo_lowercase", "bar123foo"}, {"foo_uppercase", "BAR123FOO"}}},
      {"KeepEqualEqualKeeps", ports,
       {{.source_labels = {"__tmp_port"}, .target_label = "__port1", .action = Action::kKeepEqual}}, ports},
      {"DropEqualEqualDrops", ports,
       {{.source_labels = {"__tmp_port"}, .target_label = "__port1", .action = Action::kDropEqual}},
       std::nullopt},
      {"DropEqualDifferentKeeps", ports,
       {{.source_labels = {"__tmp_port"}, .target_label = "__port2", .action = Action::kDropEqual}}, ports},
      {"KeepEqualDifferentDrops", ports,
       {{.source_labels = {"__tmp_port"}, .target_label = "__port2", .action = Action::kKeepEqual}},
       std::nullopt},
  };
}

TEST(RelabelProcessTest, PrometheusExamples) {
  for (const Case& c : PrometheusCases()) {
    SCOPED_TRACE(c.name);
    for (const RelabelConfig& config : c.configs) {
      EXPECT_TRUE(Validate(config).ok()) << Validate(config).ToString();
    }
    const std::optional<tsdb::Labels> got = Apply(c.configs, c.input);
    ASSERT_EQ(got.has_value(), c.output.has_value());
    if (got) {
      EXPECT_EQ(got->ToString(), Make(*c.output).ToString());
    }
  }
}

TEST(RelabelProcessTest, EmptyRelabelerKeepsEverything) {
  const Relabeler none;
  EXPECT_TRUE(none.empty());
  const tsdb::Labels in = Make({{"a", "1"}});
  EXPECT_EQ(none.Process(in), in);
}

TEST(RelabelProcessTest, BuilderVariantLeavesResultInBuilder) {
  const Relabeler r = MustCompile({{.source_labels = {"a"}, .target_label = "b"}});
  tsdb::LabelsBuilder b(Make({{"a", "x"}}));
  EXPECT_TRUE(r.Process(&b));
  EXPECT_EQ(b.Build(), Make({{"a", "x"}, {"b", "x"}}));
}

// --- replace -----------------------------------------------------------------

TEST(RelabelReplaceTest, DefaultsCopySourceToTarget) {
  EXPECT_EQ(Apply({{.source_labels = {"__address__"}, .target_label = "instance"}},
                  {{"__address__", "h:9100"}}),
            Make({{"__address__", "h:9100"}, {"instance", "h:9100"}}));
}

TEST(RelabelReplaceTest, NoSourceLabelsSetsConstant) {
  EXPECT_EQ(Apply({{.target_label = "env", .replacement = "prod"}}, {{"a", "1"}}),
            Make({{"a", "1"}, {"env", "prod"}}));
}

TEST(RelabelReplaceTest, EmptyResultDeletesTarget) {
  // Default regex (.*) matches the empty input; "$1" expands to "".
  EXPECT_EQ(Apply({{.source_labels = {"missing"}, .target_label = "a"}}, {{"a", "1"}, {"b", "2"}}),
            Make({{"b", "2"}}));
}

TEST(RelabelReplaceTest, MissingSourceLabelsJoinAsEmpty) {
  EXPECT_EQ(Apply({{.source_labels = {"x", "a", "y"}, .regex = "(.*)", .target_label = "t"}}, {{"a", "1"}}),
            Make({{"a", "1"}, {"t", ";1;"}}));
  EXPECT_EQ(Apply({{.source_labels = {"a", "b"}, .separator = "", .target_label = "t"}},
                  {{"a", "1"}, {"b", "2"}}),
            Make({{"a", "1"}, {"b", "2"}, {"t", "12"}}));
}

TEST(RelabelReplaceTest, EmptyExpansionDeletesUnexpandedTargetName2_42) {
  // Prometheus 2.42 deletes the label literally named by target_label, so a
  // templated target is left alone when the value expands to "".
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .regex = "(.*)-(.*)", .target_label = "${1}", .replacement = "$2"}},
                  {{"a", "foo-"}, {"foo", "keep"}}),
            Make({{"a", "foo-"}, {"foo", "keep"}}));
}

TEST(RelabelReplaceTest, InvalidExpandedTargetChangesNothing) {
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .regex = "(.*)", .target_label = "x_${1}"}}, {{"a", "b-c"}}),
            Make({{"a", "b-c"}}));
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .regex = "(.*)", .target_label = "x_${1}"}}, {{"a", "bc"}}),
            Make({{"a", "bc"}, {"x_bc", "bc"}}));
}

TEST(RelabelReplaceTest, NamedGroups) {
  EXPECT_EQ(Apply({{.source_labels = {"__address__"}, .regex = "(?P<host>[^:]+):(?P<port>\\d+)",
                    .target_label = "port_of_$host", .replacement = "${port}/$host"}},
                  {{"__address__", "db1:5432"}}),
            Make({{"__address__", "db1:5432"}, {"port_of_db1", "5432/db1"}}));
}

TEST(RelabelReplaceTest, RegexDoesNotMatchAcrossNewlineByDefault) {
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .target_label = "b"}}, {{"a", "x\ny"}}), Make({{"a", "x\ny"}}));
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .regex = "(?s)(.*)", .target_label = "b"}}, {{"a", "x\ny"}}),
            Make({{"a", "x\ny"}, {"b", "x\ny"}}));
}

// --- keep / drop -------------------------------------------------------------

TEST(RelabelKeepDropTest, EmptyInputMatchesEmptyRegex) {
  EXPECT_FALSE(Apply({{.source_labels = {"missing"}, .regex = "", .action = Action::kDrop}}, {{"a", "1"}}));
  EXPECT_TRUE(Apply({{.source_labels = {"missing"}, .regex = "", .action = Action::kKeep}}, {{"a", "1"}}));
  EXPECT_FALSE(Apply({{.source_labels = {"missing"}, .regex = ".+", .action = Action::kKeep}}, {{"a", "1"}}));
}

TEST(RelabelKeepDropTest, AnchoringAppliesToAlternation) {
  // ^(?:a|b)$: "ab" matches neither branch alone.
  EXPECT_TRUE(Apply({{.source_labels = {"x"}, .regex = "a|b", .action = Action::kDrop}}, {{"x", "ab"}}));
  EXPECT_FALSE(Apply({{.source_labels = {"x"}, .regex = "a|b", .action = Action::kDrop}}, {{"x", "b"}}));
}

// --- keepequal / dropequal ---------------------------------------------------

TEST(RelabelEqualTest, AbsentTargetEqualsEmptyInput) {
  EXPECT_TRUE(Apply({{.source_labels = {"nope"}, .target_label = "none", .action = Action::kKeepEqual}},
                    {{"a", "1"}}));
  EXPECT_FALSE(Apply({{.source_labels = {"nope"}, .target_label = "none", .action = Action::kDropEqual}},
                     {{"a", "1"}}));
}

TEST(RelabelEqualTest, ComparesJoinedSourceValues) {
  EXPECT_TRUE(Apply({{.source_labels = {"a", "b"}, .target_label = "c", .action = Action::kKeepEqual}},
                    {{"a", "1"}, {"b", "2"}, {"c", "1;2"}}));
}

// --- hashmod -----------------------------------------------------------------

TEST(RelabelHashModTest, KnownValues) {
  // Expected: int.from_bytes(hashlib.md5(s).digest()[8:], "big") % m.
  struct Known {
    std::string input;
    uint64_t modulus;
    uint64_t want;
  };
  const Known table[] = {
      {"", 1000, 958},
      {"baz", 1000, 976},
      {"foo\nbar", 1000, 734},
      {"10.0.0.1:9100", 10, 5},
      {"10.0.0.2:9100", 10, 1},
      {"a;b", 7, 2},
      {"node-1;9100", 3, 2},
      {"a", UINT64_MAX, 3585878926028121697ULL},
      {"a", 1, 0},
  };
  for (const Known& k : table) {
    EXPECT_EQ(HashMod(k.input, k.modulus), k.want) << k.input << " % " << k.modulus;
  }
}

TEST(RelabelHashModTest, JoinsSourcesWithSeparator) {
  EXPECT_EQ(Apply({{.source_labels = {"a", "b"}, .modulus = 7, .target_label = "h", .action = Action::kHashMod}},
                  {{"a", "a"}, {"b", "b"}}),
            Make({{"a", "a"}, {"b", "b"}, {"h", "2"}}));
}

// --- labelmap ----------------------------------------------------------------

TEST(RelabelLabelMapTest, LaterLabelWinsOnNameCollision) {
  // Labels are visited in name order; both map to "x", the later one wins.
  EXPECT_EQ(Apply({{.regex = "(?:a|b)_(.*)", .replacement = "$1", .action = Action::kLabelMap}},
                  {{"a_x", "1"}, {"b_x", "2"}}),
            Make({{"a_x", "1"}, {"b_x", "2"}, {"x", "2"}}));
}

TEST(RelabelLabelMapTest, SeesOnlyLabelsFromBeforeTheRule) {
  // Every name matches (.*); the added "b_a" is not visited again by the
  // same rule (that would add "b_b_a").
  EXPECT_EQ(Apply({{.regex = "(.*)", .replacement = "b_$1", .action = Action::kLabelMap}}, {{"a", "1"}}),
            Make({{"a", "1"}, {"b_a", "1"}}));
}

TEST(RelabelLabelMapTest, OverwritesExistingLabel) {
  EXPECT_EQ(Apply({{.regex = "__meta_(job)", .replacement = "$1", .action = Action::kLabelMap}},
                  {{"__meta_job", "new"}, {"job", "old"}}),
            Make({{"__meta_job", "new"}, {"job", "new"}}));
}

// --- labeldrop / labelkeep ---------------------------------------------------

TEST(RelabelLabelDropKeepTest, MatchesWholeNameOnly) {
  EXPECT_EQ(Apply({{.regex = "tmp", .action = Action::kLabelDrop}}, {{"tmp", "1"}, {"tmpx", "2"}}),
            Make({{"tmpx", "2"}}));
  EXPECT_EQ(Apply({{.regex = "__tmp.*", .action = Action::kLabelDrop}}, {{"__tmp_a", "1"}, {"job", "2"}}),
            Make({{"job", "2"}}));
}

TEST(RelabelLabelDropKeepTest, LabelKeepOfNothingEmptiesTheSet) {
  EXPECT_EQ(Apply({{.regex = "nothing", .action = Action::kLabelKeep}}, {{"a", "1"}}), Make({}));
}

// --- lowercase / uppercase ---------------------------------------------------

TEST(RelabelCaseTest, NonAsciiLettersFollowGoCaseMapping) {
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .target_label = "l", .action = Action::kLowercase}},
                  {{"a", "ÄÖÜ-ΣΑΣ"}}),
            Make({{"a", "ÄÖÜ-ΣΑΣ"}, {"l", "äöü-σασ"}}));
  EXPECT_EQ(Apply({{.source_labels = {"a"}, .target_label = "u", .action = Action::kUppercase}},
                  {{"a", "straße"}}),
            Make({{"a", "straße"}, {"u", "STRAßE"}}));  // ß has no single-rune upper case
}

TEST(RelabelCaseTest, EmptyInputDeletesTarget) {
  EXPECT_EQ(Apply({{.source_labels = {"none"}, .target_label = "a", .action = Action::kLowercase}}, {{"a", "X"}}),
            Make({}));
}

TEST(RelabelCaseTest, TemplatedTargetIsUsedLiterally2_42) {
  // 2.42 accepts `${1}` as target_label for lowercase and sets that name.
  tsdb::LabelsBuilder b(Make({{"a", "X"}}));
  ASSERT_TRUE(MustCompile({{.source_labels = {"a"}, .target_label = "${1}", .action = Action::kLowercase}})
                  .Process(&b));
  EXPECT_EQ(b.Get("${1}"), "x");
}

}  // namespace
}  // namespace vigil::relabel
