// ExpandRuleTemplate as Prometheus' alerting rules use it, and every
// annotation/label template in Pigsty's rule files.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "template/template.h"

namespace vigil::tmpl {
namespace {

RuleTemplateData SampleData(double value) {
  RuleTemplateData d;
  d.labels = {{"__name__", "up"},   {"instance", "10.10.10.10:9100"}, {"job", "node"}, {"ins", "meta-1"},
              {"cls", "meta"},      {"ip", "10.10.10.10"},            {"severity", "WARN"}};
  d.external_labels = {{"env", "prod"}};
  d.external_url = "http://infra:8880";
  d.value = value;
  return d;
}

std::string Expand(std::string_view text, double value = 0.5) {
  auto out = ExpandRuleTemplate("annotation", text, SampleData(value), nullptr);
  return out.ok() ? *out : "ERROR: " + out.status().message();
}

TEST(RuleTemplate, PredefinedVariablesLikePrometheus) {
  EXPECT_EQ(Expand("{{ $labels.instance }} of {{ $labels.job }} is {{ $value }}"), "10.10.10.10:9100 of node is 0.5");
  EXPECT_EQ(Expand("{{ $externalLabels.env }} {{ $externalURL }} {{ .Labels.ins }} {{ .Value }}"),
            "prod http://infra:8880 meta-1 0.5");
  EXPECT_EQ(Expand("{{ $labels.nope }}|"), "|");
}

TEST(RuleTemplate, ValuePrintsAsGoFloat64) {
  EXPECT_EQ(Expand("{{ $value }}", 0.1), "0.1");
  EXPECT_EQ(Expand("{{ $value }}", 1), "1");
  EXPECT_EQ(Expand("{{ $value }}", 1e6), "1e+06");
  EXPECT_EQ(Expand("{{ $value }}", 1234567), "1.234567e+06");
  EXPECT_EQ(Expand("{{ $value }}", 123456), "123456");
  EXPECT_EQ(Expand("{{ $value }}", 0.000012), "1.2e-05");
  EXPECT_EQ(Expand("{{ $value }}", -2.5), "-2.5");
  EXPECT_EQ(Expand("{{ $value | printf \"%.2f\" }}", 0.98765), "0.99");
  EXPECT_EQ(Expand("{{ $value | humanizePercentage }}", 0.98765), "98.77%");
}

TEST(RuleTemplate, GtOnValueNeedsAFloatConstantAsInGo) {
  EXPECT_EQ(Expand("{{ if gt $value 0.3 }}high{{ end }}"), "high");
  EXPECT_EQ(Expand("{{ if gt $value 80 }}high{{ end }}"),
            "ERROR: error executing template annotation: template: annotation:1:118: executing \"annotation\" at "
            "<gt $value 80>: error calling gt: incompatible types for comparison");
}

TEST(RuleTemplate, ErrorsCarryPrometheusPrefixes) {
  EXPECT_EQ(Expand("line1\n{{ if }}"),
            "ERROR: error parsing template annotation: template: annotation:2: missing value for if");
  EXPECT_EQ(Expand("{{ query \"up\" }}"),
            "ERROR: error executing template annotation: template: annotation:1:115: executing \"annotation\" at "
            "<query \"up\">: error calling query: cannot execute query \"up\": query is not available in this "
            "context");
}

TEST(RuleTemplate, ParsedOnceThenExecutedMatchesExpand) {
  auto t = ParseRuleTemplate("a", "{{ $labels.ins }} {{ $value | humanize }}");
  ASSERT_TRUE(t.ok());
  for (double v : {0.0, 1234.5, -0.001}) {
    EXPECT_EQ(*ExecuteRuleTemplate(*t, SampleData(v), nullptr),
              *ExpandRuleTemplate("a", "{{ $labels.ins }} {{ $value | humanize }}", SampleData(v), nullptr));
  }
  EXPECT_EQ(ParseRuleTemplate("a", "{{ end }}").status().message(),
            "error parsing template a: template: a:1: unexpected {{end}}");
}

TEST(RuleTemplate, QueryCallbackReachesTheTemplate) {
  QueryFn q = [](std::string_view query) -> Result<std::vector<QuerySample>> {
    return std::vector<QuerySample>{{{{"instance", std::string(query)}}, 42}};
  };
  auto out = ExpandRuleTemplate("a", "{{ with query \"x\" }}{{ . | first | value }} {{ (first .).Labels.instance }}{{ end }}",
                                SampleData(0), q);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "42 x");
}

#ifdef VIGIL_PIGSTY_RULES_DIR
TEST(RuleTemplate, EveryPigstyRuleTemplateRendersWithoutError) {
  namespace fs = std::filesystem;
  const fs::path dir = VIGIL_PIGSTY_RULES_DIR;
  if (!fs::exists(dir)) GTEST_SKIP() << "no Pigsty rules at " << dir;
  int rendered = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yml") continue;
    const YAML::Node root = YAML::LoadFile(entry.path().string());
    for (const auto& group : root["groups"]) {
      for (const auto& rule : group["rules"]) {
        for (const char* section : {"annotations", "labels"}) {
          if (!rule[section]) continue;
          for (const auto& kv : rule[section]) {
            const std::string text = kv.second.as<std::string>();
            for (double value : {0.0, 0.12345, 98.5, 1234567.0}) {
              auto out = ExpandRuleTemplate(kv.first.as<std::string>(), text, SampleData(value), nullptr);
              EXPECT_TRUE(out.ok()) << entry.path().filename() << " " << section << "." << kv.first.as<std::string>()
                                    << ": " << out.status().ToString();
              if (out.ok() && text.find("$labels.instance") != std::string::npos) {
                EXPECT_NE(out->find("10.10.10.10:9100"), std::string::npos) << *out;
              }
            }
            ++rendered;
          }
        }
      }
    }
  }
  EXPECT_GT(rendered, 300);
}
#endif

}  // namespace
}  // namespace vigil::tmpl
