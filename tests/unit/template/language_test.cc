// The text/template language: each construct, trim markers, variable
// scoping, range order, control flow, and Go's error texts with positions.

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "template/template.h"
#include "test_util.h"

namespace vigil::tmpl {
namespace {

using testing::F;
using testing::I;
using testing::L;
using testing::M;
using testing::Render;
using testing::S;

struct Case {
  const char* text;
  const char* want;
};

Value Data() {
  return M({{"Labels", Value::Strings({{"instance", "host:9100"}, {"job", "node"}})},
            {"L", L({I(1), I(2), I(3), I(4), I(5)})},
            {"Words", L({S("a"), S("b")})},
            {"Empty", L({})},
            {"Map", M({{"b", I(2)}, {"a", I(1)}, {"c", I(3)}})},
            {"Str", S("hello")},
            {"Zero", I(0)},
            {"Nested", M({{"Inner", M({{"Leaf", S("x")}})}})}});
}

void RunTable(const std::vector<Case>& cases, const Value& data = Data()) {
  for (const Case& c : cases) {
    EXPECT_EQ(Render(c.text, data), c.want) << "template: " << c.text;
  }
}

TEST(TemplateLanguage, LiteralsPrintAsGoPrintsThem) {
  RunTable({
      {"plain text", "plain text"},
      {"{{ 1 }}", "1"},
      {"{{ 1.5 }}", "1.5"},
      {"{{ 0.1 }}", "0.1"},
      {"{{ 1e6 }}", "1e+06"},
      {"{{ 100000.0 }}", "100000"},
      {"{{ 1234567.0 }}", "1.234567e+06"},
      {"{{ 0.00001 }}", "1e-05"},
      {"{{ -0.22222 }}", "-0.22222"},
      {"{{ 0x1F }}", "31"},
      {"{{ 1_000 }}", "1000"},
      {"{{ 'a' }}", "97"},
      {"{{ true }} {{ false }}", "true false"},
      {R"({{ "a\tb\u00e9" }})", "a\tb\xC3\xA9"},
      {"{{ `raw\\n` }}", "raw\\n"},
  });
}

TEST(TemplateLanguage, TrimMarkersEatAdjacentWhitespace) {
  RunTable({
      {"a  \n {{- 1 -}} \n  b", "a1b"},
      {"a {{- 1 }} b", "a1 b"},
      {"a {{ 1 -}} b", "a 1b"},
      {"a {{- /* comment */ -}} b", "ab"},
      {"{{/* comment */}}x", "x"},
      {"{{-3}}", "-3"},
      {"{{ -3 }}", "-3"},
      {"a\n{{- range .Words }}\n  {{ . }}\n{{- end }}", "a\n  a\n  b"},
  });
}

TEST(TemplateLanguage, PipelinesPassTheValueAsLastArgument) {
  RunTable({
      {R"({{ "abc" | printf "%s-%s" "x" }})", "x-abc"},
      {R"({{ 3 | printf "%d" }})", "3"},
      {R"({{ "a" | printf "%s%s" "b" | printf "%s!" }})", "ba!"},
      {R"({{ (printf "%d" 1) }})", "1"},
      {R"({{ print (len "abc") (len .L) }})", "3 5"},
      {R"({{ printf "%s" (index .Words 1) }})", "b"},
  });
}

TEST(TemplateLanguage, FieldChainsAndMissingKeys) {
  RunTable({
      {"{{ .Labels.instance }}", "host:9100"},
      {"{{ .Labels.missing }}", ""},
      {"{{ .Missing }}", "<no value>"},
      {"{{ .Missing.Deeper }}", "<no value>"},
      {"{{ .Nested.Inner.Leaf }}", "x"},
      {"{{ $l := .Labels }}{{ $l.job }}", "node"},
      {"{{ with .Nested }}{{ .Inner.Leaf }}{{ end }}", "x"},
      {"{{ .Str.Len }}", "ERROR: template: test:1:7: executing \"test\" at <.Str.Len>: can't evaluate field Len in type string"},
  });
  EXPECT_EQ(Render("{{ .Foo }}"), "<no value>");  // nil data, as Prometheus' test
}

TEST(TemplateLanguage, VariablesDeclareAssignAndScope) {
  RunTable({
      {"{{ $x := 1 }}{{ $x }}", "1"},
      {"{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2"},
      {"{{ $ }}", "map[Empty:[] L:[1 2 3 4 5] Labels:map[instance:host:9100 job:node] Map:map[a:1 b:2 c:3] Nested:map[Inner:map[Leaf:x]] Str:hello Words:[a b] Zero:0]"},
      {"{{ with .Str }}{{ $.Labels.job }}{{ end }}", "node"},
      {"{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"},
      {"{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"},
      {"{{ $s := 0 }}{{ range .L }}{{ $s = . }}{{ end }}{{ $s }}", "5"},
      {"{{ if $v := .Str }}{{ $v }}{{ else }}none{{ end }}", "hello"},
      {"{{ define \"T\" }}{{ $ }}{{ end }}{{ template \"T\" 7 }}", "7"},
  });
}

TEST(TemplateLanguage, IfElseIfChains) {
  RunTable({
      {"{{ if eq 1 2 }}a{{ else if eq 1 1 }}b{{ else }}c{{ end }}", "b"},
      {"{{ if .Zero }}a{{ else if .Empty }}b{{ else if .Str }}c{{ end }}", "c"},
      {"{{ if .Zero }}a{{ else if .Empty }}b{{ end }}", ""},
      {"{{ if .Missing }}a{{ else }}b{{ end }}", "b"},
      {"{{ if .Map }}y{{ end }}{{ if .Empty }}n{{ end }}", "y"},
      {"{{ with .Missing }}a{{ else }}b{{ end }}", "b"},
      {"{{ with .Str }}{{ . }}{{ else }}b{{ end }}", "hello"},
  });
}

TEST(TemplateLanguage, RangeOverListsMapsInKeyOrderAndElse) {
  RunTable({
      {"{{ range .Words }}[{{ . }}]{{ end }}", "[a][b]"},
      {"{{ range $i, $e := .Words }}{{ $i }}={{ $e }} {{ end }}", "0=a 1=b "},
      {"{{ range $e := .Words }}{{ $e }}{{ end }}", "ab"},
      {"{{ range $k, $v := .Map }}{{ $k }}{{ $v }}{{ end }}", "a1b2c3"},
      {"{{ range .Map }}{{ . }}{{ end }}", "123"},
      {"{{ range .Labels }}{{ . }};{{ end }}", "host:9100;node;"},
      {"{{ range .Empty }}x{{ else }}none{{ end }}", "none"},
      {"{{ range .Missing }}x{{ else }}none{{ end }}", "none"},
      {"{{ range .L }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}", "13"},
      {"{{ range .Words }}{{ range $.Words }}{{ . }}{{ break }}{{ end }}{{ end }}", "aa"},
      {"{{ range .Str }}{{ end }}", "ERROR: template: test:1:9: executing \"test\" at <.Str>: range can't iterate over hello"},
  });
}

TEST(TemplateLanguage, DefineTemplateAndBlock) {
  RunTable({
      {R"({{ define "T" }}[{{ . }}]{{ end }}{{ template "T" "x" }}{{ template "T" }})", "[x][<no value>]"},
      {R"({{ block "B" .Str }}<{{ . }}>{{ end }})", "<hello>"},
      {R"({{define "x"}}{{.arg0}} {{.arg1}}{{end}}{{template "x" (args 1 "2")}})", "1 2"},
      {R"({{ define "a" }}x{{ end }}{{ $name := "a" }}{{ tmpl $name . }})", "x"},
      {R"({{ template "nope" }})", "ERROR: template: test:1:12: executing \"test\" at <{{template \"nope\"}}>: template \"nope\" not defined"},
  });
  auto t = Template::Parse("main", R"({{ define "sub" }}sub:{{ . }}{{ end }}main)");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->Defines("sub"));
  EXPECT_EQ(*t->ExecuteTemplate("sub", S("v")), "sub:v");
  EXPECT_EQ(*t->Execute(Value()), "main");
}

TEST(TemplateLanguage, BuiltinFunctions) {
  RunTable({
      {R"({{ or 0 "" "x" }} {{ and 1 0 }} {{ and 1 2 }} {{ or 0 "" }})", "x 0 2 "},
      {R"({{ and false (index .L 99) }})", "false"},
      {R"({{ not 0 }} {{ not "a" }})", "true false"},
      {R"({{ len "héllo" }} {{ len .Map }})", "6 3"},
      {R"({{ index .L 2 }} {{ index .Map "b" }} {{ index .Labels "nope" }}| {{ index "abc" 1 }})", "3 2 | 98"},
      {R"({{ slice "abcdef" 1 3 }} {{ slice .L 3 }})", "bc [4 5]"},
      {R"({{ print 1 2 "a" "b" 3 }})", "1 2ab3"},
      {R"({{ println 1 "a" }})", "1 a\n"},
      {R"({{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ eq .Missing .Missing }})", "true true true true"},
      {R"({{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }})", "true true true false"},
      {R"({{ html "<a href='x'>&</a>" }})", "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"},
      {R"({{ js "it's <b>\"x\"</b>=\n" }})", R"(it\'s \u003Cb\u003E\"x\"\u003C/b\u003E\u003D\u000A)"},
      {R"({{ urlquery "a b&c=d/é" }})", "a+b%26c%3Dd%2F%C3%A9"},
      {R"({{ eq 1.0 1 }})", "ERROR: template: test:1:3: executing \"test\" at <eq 1.0 1>: error calling eq: incompatible types for comparison"},
      {R"({{ lt true false }})", "ERROR: template: test:1:3: executing \"test\" at <lt true false>: error calling lt: invalid type for comparison"},
      {R"({{ index .L 9 }})", "ERROR: template: test:1:3: executing \"test\" at <index .L 9>: error calling index: index out of range: 9"},
      {R"({{ len 3 }})", "ERROR: template: test:1:3: executing \"test\" at <len 3>: error calling len: len of type int"},
      {R"({{ not 1 2 }})", "ERROR: template: test:1:3: executing \"test\" at <not>: wrong number of args for not: want 1 got 2"},
  });
}

TEST(TemplateLanguage, ParseErrorsNameTheLine) {
  RunTable({
      {"{{", "ERROR: template: test:1: unclosed action"},
      {"line1\n{{ if }}", "ERROR: template: test:2: missing value for if"},
      {"{{ end }}", "ERROR: template: test:1: unexpected {{end}}"},
      {"{{ else }}", "ERROR: template: test:1: unexpected {{else}}"},
      {"a\nb\n{{ if 1 }}", "ERROR: template: test:3: unexpected EOF"},
      {"{{ foo }}", "ERROR: template: test:1: function \"foo\" not defined"},
      {"{{ $x }}", "ERROR: template: test:1: undefined variable \"$x\""},
      {"{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}", "ERROR: template: test:1: undefined variable \"$x\""},
      {"{{ 1 | 2 }}", "ERROR: template: test:1: non executable command in pipeline stage 2"},
      {"{{ break }}", "ERROR: template: test:1: {{break}} outside {{range}}"},
      {"{{\xC2\xA0}}", "ERROR: template: test:1: unrecognized character in action: U+00A0"},
      {"x\n\n{{ \"abc }}", "ERROR: template: test:3: unterminated quoted string"},
      {"{{/* x }}", "ERROR: template: test:1: unclosed comment"},
      {"{{ (1 }}", "ERROR: template: test:1: unclosed left paren"},
      {"{{ 3x }}", "ERROR: template: test:1: bad number syntax: \"3x\""},
      {"{{ \"a\".b }}", "ERROR: template: test:1: unexpected . after term \"\\\"a\\\"\""},
      {"{{ if 1 }}{{ else }}{{ else }}{{ end }}", "ERROR: template: test:1: expected end; found {{else}}"},
      {"{{ range $a, $b, $c := . }}{{ end }}", "ERROR: template: test:1: too many declarations in range"},
      {"{{ define \"a\" }}", "ERROR: template: test:1: unexpected EOF"},
      {"{{ template 1 }}", "ERROR: template: test:1: unexpected \"1\" in template clause"},
  });
}

TEST(TemplateLanguage, ExecutionErrorsNameLineAndColumn) {
  RunTable({
      {"a\n  {{ nil }}", "ERROR: template: test:2:5: executing \"test\" at <nil>: nil is not a command"},
      {"{{ 1 2 }}", "ERROR: template: test:1:3: executing \"test\" at <1>: can't give argument to non-function 1"},
      {"{{ .Labels.job 1 }}", "ERROR: template: test:1:10: executing \"test\" at <.Labels.job>: job is not a method but has arguments"},
      {"{{ define \"T\" }}\n{{ nil }}{{ end }}{{ template \"T\" }}",
       "ERROR: template: test:2:3: executing \"T\" at <nil>: nil is not a command"},
  });
}

TEST(TemplateLanguage, HostileTemplatesHitLimitsNotHangs) {
  // Unbounded recursion.
  EXPECT_EQ(Render(R"({{ define "a" }}{{ template "a" }}{{ end }}{{ template "a" }})"),
            "ERROR: template: a: exceeded maximum template depth (100)");
  // Exponential fan-out: each level calls the next twice.
  std::string fan;
  for (int i = 0; i < 40; ++i) {
    fan += "{{ define \"t" + std::to_string(i) + "\" }}{{ template \"t" + std::to_string(i + 1) + "\" }}{{ template \"t" +
           std::to_string(i + 1) + "\" }}{{ end }}";
  }
  fan += "{{ define \"t40\" }}x{{ end }}{{ template \"t0\" }}";
  EXPECT_NE(Render(fan).find("execution exceeded 1000000 steps"), std::string::npos);
  // Output bound.
  ParseOptions small;
  small.limits.max_output_bytes = 10;
  EXPECT_EQ(Render("{{ range .L }}abc{{ end }}", Data(), {}, small), "ERROR: template: test: output exceeds 10 bytes");
  // A string doubling itself in a loop.
  EXPECT_EQ(Render(R"({{ $x := "ab" }}{{ range (args 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30) }}{{ $x = printf "%s%s" $x $x }}{{ end }})"),
            "ERROR: template: test: value of printf exceeds 1048576 bytes");
  // Parse nesting bound.
  std::string deep = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
  EXPECT_EQ(Render(deep), "ERROR: template: test:1: max expression depth exceeded");
  // Text bound.
  ParseOptions tiny;
  tiny.limits.max_text_bytes = 4;
  EXPECT_EQ(Render("12345", Value(), {}, tiny), "ERROR: template: test: text exceeds 4 bytes");
}

TEST(TemplateLanguage, FuncMapExtensionOverridesAndAdds) {
  ParseOptions opts;
  opts.funcs["double"] = Function{1, 1, [](std::span<const Value> a, CallEnv&) -> Result<Value> {
    if (a[0].kind() != Value::Kind::kInt) return Status::InvalidArgument("not an int");
    return Value::Int(a[0].as_int() * 2);
  }};
  opts.funcs["toUpper"] = Function{1, 1, [](std::span<const Value>, CallEnv&) -> Result<Value> {
    return Value::String("overridden");
  }};
  EXPECT_EQ(Render("{{ double 21 }} {{ toUpper \"x\" }}", Value(), {}, opts), "42 overridden");
  EXPECT_EQ(Render("{{ double \"x\" }}", Value(), {}, opts),
            "ERROR: template: test:1:3: executing \"test\" at <double \"x\">: error calling double: not an int");
}

TEST(TemplateLanguage, ConcurrentExecutionsOfOneTemplate) {
  auto t = Template::Parse("c", "{{ range $i, $e := .L }}{{ $i }}:{{ $e | printf \"%03d\" }} {{ end }}");
  ASSERT_TRUE(t.ok());
  const Value data = Data();
  const std::string want = *t->Execute(data);
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 200; ++i) {
        auto out = t->Execute(data);
        if (!out.ok() || *out != want) ++bad[k];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(want, "0:001 1:002 2:003 3:004 4:005 ");
  for (int b : bad) EXPECT_EQ(b, 0);
}

}  // namespace
}  // namespace vigil::tmpl

namespace vigil::tmpl {
namespace {

TEST(TemplateLanguage, ParseMoreSeesAndRedefinesEarlierDefinitionsAndReportsItsOwnPositions) {
  auto base = Template::Parse("base", R"({{ define "greet" }}hi {{ . }}{{ end }}{{ define "x" }}old{{ end }})");
  ASSERT_TRUE(base.ok()) << base.status().message();
  auto more = base->ParseMore("more", "{{ define \"x\" }}new{{ end }}{{ template \"greet\" . }} {{ template \"x\" }}");
  ASSERT_TRUE(more.ok()) << more.status().message();
  EXPECT_EQ(*more->Execute(Value::String("bob")), "hi bob new");
  EXPECT_EQ(*base->ExecuteTemplate("x", Value()), "old");  // the base is unchanged
  auto failing = base->ParseMore("more", "line1\n{{ index 1 2 }}");
  ASSERT_TRUE(failing.ok());
  auto r = failing->Execute(Value());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("template: more:2:3:"), std::string::npos) << r.status().message();
}

TEST(TemplateLanguage, MethodsRunBeforeMapKeysTakeArgumentsAndPrintViaStringer) {
  auto table = std::make_shared<MethodTable>();
  table->type_name = "test.KV";
  table->methods["Count"] = [](const Value& self, std::span<const Value> args) -> Result<Value> {
    return Value::Int(static_cast<int64_t>(self.as_map().entries.size() + 10 * args.size()));
  };
  table->stringer = [](const Value&) { return std::string("kv!"); };
  Value kv = Value::Strings({{"a", "1"}, {"Count", "shadowed"}}).WithMethods(table);
  auto t = Template::Parse("m", "{{ .Count }} {{ .Count 10 }} {{ .a }} {{ . }} {{ len . }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->Execute(kv), "2 12 1 kv! 2");
  EXPECT_EQ(kv.GoTypeName(), "test.KV");
}

}  // namespace
}  // namespace vigil::tmpl
