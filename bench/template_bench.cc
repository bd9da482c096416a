// Micro-benchmark of the template engine (src/template/template.h) on the
// shapes rule evaluation produces: Pigsty-like alert annotations expanded
// once per firing alert per evaluation.
//
//   ExpandRule/<n>     ExpandRuleTemplate (parse + execute) of annotation n,
//                      what the rules service does per alert today
//   ExecuteParsed/<n>  Execute of an already parsed template (the cost if the
//                      rules service caches parsed templates per rule)
//   Parse/<n>          Template::Parse alone
//
// items/s = expansions per second on one core.
//
// Build by hand (one line):
//   g++ -O2 -std=c++20 -I src bench/template_bench.cc src/template/*.cc
//       src/base/status.cc -lre2 -lbenchmark -lpthread

#include <benchmark/benchmark.h>

#include <string>

#include "template/template.h"

namespace vigil::tmpl {
namespace {

const char* const kTexts[] = {
    // 0: the most common Pigsty shape
    "{{ $labels.ins }}@{{ $labels.instance }} cpu usage high: {{ $value | printf \"%.2f\" }}",
    // 1: percentage and several labels
    "{{ $labels.cls }} {{ $labels.ins }} {{ $labels.ip }} disk {{ $labels.device }} usage "
    "{{ $value | humanizePercentage }}",
    // 2: control flow and functions
    "{{ if gt $value 0.9 }}CRIT{{ else if gt $value 0.5 }}WARN{{ else }}OK{{ end }}: "
    "{{ $labels.instance | stripPort | toUpper }} for {{ humanizeDuration 3725 }} "
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}",
};

RuleTemplateData Data() {
  RuleTemplateData d;
  d.labels = {{"__name__", "node_cpu_usage"}, {"cls", "pg-meta"},    {"ins", "pg-meta-1"},
              {"instance", "10.10.10.10:9100"}, {"ip", "10.10.10.10"}, {"job", "node"},
              {"device", "/dev/vda1"},        {"severity", "WARN"}};
  d.external_url = "http://infra:8880";
  d.value = 0.7321;
  return d;
}

void ExpandRule(benchmark::State& state) {
  const RuleTemplateData data = Data();
  const char* text = kTexts[state.range(0)];
  for (auto _ : state) {
    auto out = ExpandRuleTemplate("a", text, data, nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ExpandRule)->DenseRange(0, 2);

void ExecuteParsed(benchmark::State& state) {
  const RuleTemplateData d = Data();
  const std::string text =
      std::string("{{$labels := .Labels}}{{$value := .Value}}") + kTexts[state.range(0)];
  auto t = Template::Parse("a", text);
  ValueMap dot;
  dot.entries.emplace("Labels", Value::Strings(d.labels));
  dot.entries.emplace("Value", Value::Float(d.value));
  const Value data = Value::Map(std::move(dot));
  for (auto _ : state) {
    auto out = t->Execute(data);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ExecuteParsed)->DenseRange(0, 2);

void Parse(benchmark::State& state) {
  const char* text = kTexts[state.range(0)];
  for (auto _ : state) {
    auto t = Template::Parse("a", text);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Parse)->DenseRange(0, 2);

}  // namespace
}  // namespace vigil::tmpl

BENCHMARK_MAIN();
