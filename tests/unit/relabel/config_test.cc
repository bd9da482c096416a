// Rule validation and YAML parsing: Prometheus 2.42's defaults, acceptance
// rules and error messages.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "relabel/relabel.h"

// g++ 12 warns when a designated initializer leaves a member to its default
// member initializer, which is exactly how these tests spell rules.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::relabel {
namespace {

// The error message of validating `c`, or "" when valid.
std::string ValidationError(const RelabelConfig& c) {
  const Status s = Validate(c);
  EXPECT_TRUE(s.ok() || s.code() == Status::Code::kInvalidArgument);
  return s.message();
}

Result<RelabelConfig> ParseYaml(const std::string& text) { return ParseRelabelConfig(YAML::Load(text)); }

// The error message of parsing `text` as one rule, or "" when it parses.
std::string ParseError(const std::string& text) {
  const Result<RelabelConfig> r = ParseYaml(text);
  return r.ok() ? "" : r.status().message();
}

TEST(RelabelActionTest, NamesRoundTripCaseInsensitively) {
  for (std::string_view name : {"replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap",
                                "labeldrop", "labelkeep", "lowercase", "uppercase"}) {
    const std::optional<Action> a = ParseAction(name);
    ASSERT_TRUE(a) << name;
    EXPECT_EQ(ActionName(*a), name);
  }
  EXPECT_EQ(ParseAction("LabelMap"), Action::kLabelMap);
  EXPECT_EQ(ParseAction("KEEPEQUAL"), Action::kKeepEqual);
  EXPECT_FALSE(ParseAction(""));
  EXPECT_FALSE(ParseAction("replace "));
}

TEST(RelabelValidateTest, DefaultsMatchPrometheus) {
  const RelabelConfig c;
  EXPECT_EQ(c.separator, ";");
  EXPECT_EQ(c.regex, "(.*)");
  EXPECT_EQ(c.replacement, "$1");
  EXPECT_EQ(c.action, Action::kReplace);
  EXPECT_EQ(c.modulus, 0u);
  // Replace without target_label is the first thing Prometheus refuses.
  EXPECT_EQ(ValidationError(c), "relabel configuration for replace action requires 'target_label' value");
}

TEST(RelabelValidateTest, TargetLabelRequired) {
  for (Action a : {Action::kReplace, Action::kLowercase, Action::kUppercase, Action::kKeepEqual,
                   Action::kDropEqual}) {
    RelabelConfig c{.action = a};
    EXPECT_EQ(ValidationError(c), "relabel configuration for " + std::string(ActionName(a)) +
                                      " action requires 'target_label' value");
  }
  EXPECT_EQ(ValidationError({.modulus = 1, .action = Action::kHashMod}),
            "relabel configuration for hashmod action requires 'target_label' value");
}

TEST(RelabelValidateTest, HashModNeedsModulusFirst) {
  EXPECT_EQ(ValidationError({.action = Action::kHashMod}),
            "relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(ValidationError({.modulus = 4, .target_label = "${1}", .action = Action::kHashMod}),
            "\"${1}\" is invalid 'target_label' for hashmod action");
  EXPECT_EQ(ValidationError({.modulus = 4, .target_label = "__tmp_hash", .action = Action::kHashMod}), "");
}

TEST(RelabelValidateTest, ReplaceTargetTemplates) {
  // prometheus TestTargetLabelValidity.
  const std::pair<std::string, bool> table[] = {
      {"-label", false}, {"label", true},   {"label${1}", true}, {"${1}label", true},
      {"${1}", true},    {"${", false},     {"$", false},        {"${}", false},
      {"foo${", false},  {"$1", true},      {"asd$2asd", true},  {"-foo${1}bar-", false},
      {"_${1}_", true},  {"foo${bar}foo", true}, {"0${3}", false}, {"-${3}", false},
  };
  for (const auto& [target, valid] : table) {
    const std::string err = ValidationError({.source_labels = {"a"}, .target_label = target});
    if (valid) {
      EXPECT_EQ(err, "") << target;
    } else {
      EXPECT_EQ(err, "\"" + target + "\" is invalid 'target_label' for replace action") << target;
    }
  }
}

TEST(RelabelValidateTest, CaseAndEqualActionsTakeTemplatesIn2_42) {
  // 2.42 checks these targets with the template grammar (a later release
  // requires a plain label name).
  EXPECT_EQ(ValidationError({.target_label = "${3}", .action = Action::kLowercase}), "");
  EXPECT_EQ(ValidationError({.target_label = "-x", .action = Action::kUppercase}),
            "\"-x\" is invalid 'target_label' for uppercase action");
}

TEST(RelabelValidateTest, ReplacementFixedForCaseAndEqualActions) {
  EXPECT_EQ(ValidationError({.target_label = "t", .replacement = "x", .action = Action::kLowercase}),
            "'replacement' can not be set for lowercase action");
  EXPECT_EQ(ValidationError({.target_label = "t", .replacement = "", .action = Action::kKeepEqual}),
            "'replacement' can not be set for keepequal action");
}

TEST(RelabelValidateTest, LabelMapReplacementMustBeTemplate) {
  EXPECT_EQ(ValidationError({.replacement = "bad-name", .action = Action::kLabelMap}),
            "\"bad-name\" is invalid 'replacement' for labelmap action");
  EXPECT_EQ(ValidationError({.regex = "__meta_(.+)", .action = Action::kLabelMap}), "");
}

TEST(RelabelValidateTest, EqualActionsTakeNoOtherFields) {
  const std::string want = "keepequal action requires only 'source_labels' and `target_label`, and no other fields";
  EXPECT_EQ(ValidationError({.regex = "x", .target_label = "t", .action = Action::kKeepEqual}), want);
  EXPECT_EQ(ValidationError({.separator = ",", .target_label = "t", .action = Action::kKeepEqual}), want);
  EXPECT_EQ(ValidationError({.modulus = 2, .target_label = "t", .action = Action::kKeepEqual}), want);
  EXPECT_EQ(ValidationError({.source_labels = {"a"}, .target_label = "t", .action = Action::kDropEqual}), "");
}

TEST(RelabelValidateTest, LabelDropKeepTakeOnlyRegex) {
  const std::string want = "labeldrop action requires only 'regex', and no other fields";
  EXPECT_EQ(ValidationError({.source_labels = {"a"}, .regex = "x", .action = Action::kLabelDrop}), want);
  EXPECT_EQ(ValidationError({.regex = "x", .target_label = "t", .action = Action::kLabelDrop}), want);
  EXPECT_EQ(ValidationError({.regex = "x", .replacement = "y", .action = Action::kLabelDrop}), want);
  EXPECT_EQ(ValidationError({.separator = "", .regex = "x", .action = Action::kLabelKeep}),
            "labelkeep action requires only 'regex', and no other fields");
  EXPECT_EQ(ValidationError({.regex = "x", .action = Action::kLabelKeep}), "");
}

TEST(RelabelValidateTest, InvalidRegexWordedAsGo) {
  EXPECT_EQ(ValidationError({.regex = "(abc", .target_label = "t"}),
            "error parsing regexp: missing closing ): `^(?:(abc)$`");
  EXPECT_EQ(ValidationError({.regex = "a**", .target_label = "t"}),
            "error parsing regexp: invalid nested repetition operator: `**`");
  EXPECT_EQ(ValidationError({.regex = "\\C", .target_label = "t"}),
            "error parsing regexp: invalid escape sequence: `\\C`");
  EXPECT_EQ(ValidationError({.regex = "\\\\C", .target_label = "t"}), "");
  EXPECT_EQ(Relabeler::Compile({{.regex = "[z-a]", .target_label = "t"}}).status().message(),
            "error parsing regexp: invalid character class range: `z-a`");
}

TEST(RelabelValidateTest, CompileRejectsAnyInvalidRule) {
  const Result<Relabeler> r = Relabeler::Compile({{.target_label = "ok"}, {.action = Action::kHashMod}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "relabel configuration for hashmod requires non-zero modulus");
}

// --- YAML --------------------------------------------------------------------

TEST(RelabelYamlTest, AbsentFieldsTakeDefaults) {
  const Result<RelabelConfig> r = ParseYaml("target_label: instance\nsource_labels: [__address__]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source_labels, std::vector<std::string>{"__address__"});
  EXPECT_EQ(r->separator, ";");
  EXPECT_EQ(r->regex, "(.*)");
  EXPECT_EQ(r->replacement, "$1");
  EXPECT_EQ(r->action, Action::kReplace);
}

TEST(RelabelYamlTest, AllFields) {
  const Result<RelabelConfig> r = ParseYaml(R"yaml(
source_labels:
  - a
  - b
separator: ","
regex: "x(.*)"
modulus: 0x10
target_label: t
replacement: "v-${1}"
action: HashMod
)yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source_labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->separator, ",");
  EXPECT_EQ(r->regex, "x(.*)");
  EXPECT_EQ(r->modulus, 16u);
  EXPECT_EQ(r->target_label, "t");
  EXPECT_EQ(r->replacement, "v-${1}");
  EXPECT_EQ(r->action, Action::kHashMod);
}

TEST(RelabelYamlTest, NullFieldsAreGoZeroValues) {
  // A null regex is the empty regex; a null replacement is "".
  const Result<RelabelConfig> r = ParseYaml("regex:\nreplacement:\ntarget_label: t\nseparator: ~");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->regex, "");
  EXPECT_EQ(r->replacement, "");
  EXPECT_EQ(r->separator, "");
  EXPECT_EQ(ParseError("action:\n"), "relabel action cannot be empty");
  EXPECT_EQ(ParseError("action: null\ntarget_label: t"), "relabel action cannot be empty");
}

TEST(RelabelYamlTest, ScalarsOfOtherTypesAreTheirText) {
  const Result<RelabelConfig> r = ParseYaml("target_label: t\nreplacement: 42\nseparator: true");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->replacement, "42");
  EXPECT_EQ(r->separator, "true");
}

TEST(RelabelYamlTest, ValidationErrors) {
  EXPECT_EQ(ParseError("source_labels: [a]"),
            "relabel configuration for replace action requires 'target_label' value");
  EXPECT_EQ(ParseError("action: hashmod\ntarget_label: t"),
            "relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(ParseError("target_label: xyz-"), "\"xyz-\" is invalid 'target_label' for replace action");
  EXPECT_EQ(ParseError("action: labelmap\nreplacement: a-b"),
            "\"a-b\" is invalid 'replacement' for labelmap action");
  EXPECT_EQ(ParseError("action: frobnicate"), "unknown relabel action \"frobnicate\"");
  EXPECT_EQ(ParseError("action: \"\""), "unknown relabel action \"\"");
  EXPECT_EQ(ParseError("regex: \"(\"\ntarget_label: t"), "error parsing regexp: missing closing ): `^(?:()$`");
  EXPECT_EQ(ParseError("source_labels: [\"a-b\"]\ntarget_label: t"), "\"a-b\" is not a valid label name");
}

TEST(RelabelYamlTest, ExplicitRegexCountsAsSetForEqualActions) {
  // Prometheus compares the regex by identity: writing the default value
  // still counts as setting it.
  EXPECT_EQ(ParseError("action: keepequal\ntarget_label: t\nregex: (.*)"),
            "keepequal action requires only 'source_labels' and `target_label`, and no other fields");
  EXPECT_EQ(ParseError("action: keepequal\ntarget_label: t\nseparator: \";\""), "");
  EXPECT_EQ(ParseError("action: dropequal\ntarget_label: t\nsource_labels: [a, b]"), "");
}

TEST(RelabelYamlTest, EmptySourceLabelListCountsAsSetForLabelDrop) {
  EXPECT_EQ(ParseError("action: labeldrop\nregex: x\nsource_labels: []"),
            "labeldrop action requires only 'regex', and no other fields");
  EXPECT_EQ(ParseError("action: labeldrop\nregex: x\nsource_labels:"), "");
}

TEST(RelabelYamlTest, StrictStructure) {
  EXPECT_EQ(ParseError("target_label: t\nregexp: x"), "line 2: field regexp not found in type relabel.plain");
  EXPECT_EQ(ParseError("target_label: t\ntarget_label: u"), "line 2: key \"target_label\" already set in map");
  EXPECT_EQ(ParseError("- a"), "line 1: cannot unmarshal !!seq into relabel.plain");
  EXPECT_EQ(ParseError("source_labels: a\ntarget_label: t"),
            "line 1: cannot unmarshal !!str `a` into model.LabelNames");
  EXPECT_EQ(ParseError("target_label: [a]"), "line 1: cannot unmarshal !!seq into string");
  EXPECT_EQ(ParseError("modulus: -1\naction: hashmod\ntarget_label: t"),
            "line 1: cannot unmarshal !!int `-1` into uint64");
  EXPECT_EQ(ParseError("modulus: ten"), "line 1: cannot unmarshal !!str `ten` into uint64");
  EXPECT_EQ(ParseError("modulus: \"10\""), "line 1: cannot unmarshal !!str `10` into uint64");
  EXPECT_EQ(ParseError(""), "empty or null relabeling rule");
}

TEST(RelabelYamlTest, ModulusIntegerForms) {
  for (const auto& [text, want] : std::vector<std::pair<std::string, uint64_t>>{
           {"10", 10}, {"+10", 10}, {"1_000", 1000}, {"0x1F", 31}, {"0o17", 15}, {"017", 15},
           {"0b101", 5}, {"18446744073709551615", UINT64_MAX}}) {
    const Result<RelabelConfig> r = ParseYaml("action: hashmod\ntarget_label: t\nmodulus: " + text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    EXPECT_EQ(r->modulus, want) << text;
  }
  EXPECT_NE(ParseError("modulus: 18446744073709551616"), "");
}

TEST(RelabelYamlTest, ListOfRulesCompilesAndRuns) {
  const YAML::Node node = YAML::Load(R"yaml(
- source_labels: [__address__]
  regex: '([^:]+):\d+'
  target_label: instance
- source_labels: [__meta_role]
  regex: primary|replica
  action: keep
- regex: __meta_(.+)
  action: labelmap
- regex: __meta_.*
  action: labeldrop
)yaml");
  const Result<std::vector<RelabelConfig>> configs = ParseRelabelConfigs(node);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  ASSERT_EQ(configs->size(), 4u);
  const Result<Relabeler> r = Relabeler::Compile(*configs);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto out = r->Process(tsdb::Labels::FromPairs({{"__address__", "db1:9100"}, {"__meta_role", "primary"}}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->ToString(), "{__address__=\"db1:9100\", instance=\"db1\", role=\"primary\"}");
  EXPECT_FALSE(r->Process(tsdb::Labels::FromPairs({{"__address__", "db2:9100"}, {"__meta_role", "standby"}})));
}

TEST(RelabelYamlTest, ListEdgeCases) {
  EXPECT_TRUE(ParseRelabelConfigs(YAML::Node()).ok());
  EXPECT_TRUE(ParseRelabelConfigs(YAML::Load("~")).value().empty());
  EXPECT_EQ(ParseRelabelConfigs(YAML::Load("- target_label: t\n-\n")).status().message(),
            "empty or null relabeling rule");
  EXPECT_EQ(ParseRelabelConfigs(YAML::Load("a: b")).status().message(),
            "line 1: cannot unmarshal !!map into []*relabel.Config");
}

}  // namespace
}  // namespace vigil::relabel
