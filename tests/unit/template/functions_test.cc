// Prometheus' template functions against the outputs Prometheus' own
// template_test.go pins, plus printf's Go fmt behaviour.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

ExecContext ContextWith(std::vector<QuerySample> result) {
  ExecContext ctx;
  ctx.external_url = "http://testhost:9090/path/prefix";
  ctx.query = [result](std::string_view) -> Result<std::vector<QuerySample>> { return result; };
  return ctx;
}

ExecContext Ctx() { return ContextWith({}); }

TEST(PrometheusFunctions, QueryFirstValueLabelStrvalue) {
  const auto one = ContextWith({{{{"__name__", "metric"}, {"instance", "a"}, {"__value__", "v"}}, 11}});
  EXPECT_EQ(Render(R"({{ query "1.5" | first | value }})", Value(), ContextWith({{{}, 1.5}})), "1.5");
  EXPECT_EQ(Render(R"({{ query "metric{instance='a'}" | first | value }})", Value(), one), "11");
  EXPECT_EQ(Render(R"({{ query "metric" | first | label "instance" }})", Value(), one), "a");
  EXPECT_EQ(Render(R"({{ query "metric" | first | strvalue }})", Value(), one), "v");
  EXPECT_EQ(Render(R"({{ query "metric" | first | label "foo" }})", Value(), one), "");
  EXPECT_EQ(Render(R"({{ $x := query "metric" | first }}{{ $x.Labels.foo }})", Value(), one), "");
  EXPECT_EQ(Render(R"({{ range query "metric" }}{{ . }}{{ end }})", Value(), one),
            "{map[__name__:metric __value__:v instance:a] 11}");
  const auto two = ContextWith({{{{"__name__", "metric"}, {"instance", "b"}}, 21}, {{{"__name__", "metric"}, {"instance", "a"}}, 11}});
  EXPECT_EQ(Render(R"({{ range query "metric" | sortByLabel "instance" }}{{.Labels.instance}}:{{.Value}}: {{end}})",
                   Value(), two),
            "a:11: b:21: ");
}

TEST(PrometheusFunctions, QueryErrorsSurfaceWithGoText) {
  EXPECT_EQ(Render(R"({{ query "missing" | first }})", Value(), Ctx()),
            "ERROR: template: test:1:21: executing \"test\" at <first>: error calling first: first() called on vector "
            "with no elements");
  ExecContext failing;
  failing.query = [](std::string_view) -> Result<std::vector<QuerySample>> {
    return Status::InvalidArgument("parse error: unexpected end of input");
  };
  EXPECT_EQ(Render(R"({{ query "up{" }})", Value(), failing),
            "ERROR: template: test:1:3: executing \"test\" at <query \"up{\">: error calling query: parse error: "
            "unexpected end of input");
  EXPECT_EQ(Render(R"({{ query "up" }})"),
            "ERROR: template: test:1:3: executing \"test\" at <query \"up\">: error calling query: cannot execute query "
            "\"up\": query is not available in this context");
}

TEST(PrometheusFunctions, HumanizeFamiliesMatchPrometheus) {
  struct Case {
    const char* text;
    Value input;
    const char* want;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {"{{ range . }}{{ humanize . }}:{{ end }}", L({F(0), F(1), F(1234567), F(.12)}), "0:1:1.235M:120m:"},
      {"{{ range . }}{{ humanize . }}:{{ end }}", L({S("0.0"), S("1.0"), S("1234567.0"), S(".12")}), "0:1:1.235M:120m:"},
      {"{{ range . }}{{ humanize . }}:{{ end }}", L({I(0), I(-1), I(1), I(1234567), I(INT64_MAX)}), "0:-1:1:1.235M:9.223E:"},
      {"{{ range . }}{{ humanize1024 . }}:{{ end }}", L({F(0), F(1), F(1048576), F(.12)}), "0:1:1Mi:0.12:"},
      {"{{ range . }}{{ humanize1024 . }}:{{ end }}", L({S("0.0"), S("1.0"), S("1048576.0"), S(".12")}), "0:1:1Mi:0.12:"},
      {"{{ range . }}{{ humanize1024 . }}:{{ end }}", L({I(0), I(-1), I(1), I(1234567), I(INT64_MAX)}), "0:-1:1:1.177Mi:8Ei:"},
      {"{{ range . }}{{ humanizeDuration . }}:{{ end }}",
       L({F(0), F(1), F(60), F(3600), F(86400), F(86400 + 3600), F(-(86400 * 2 + 3600 * 3 + 60 * 4 + 5)), F(899.99)}),
       "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:"},
      {"{{ range . }}{{ humanizeDuration . }}:{{ end }}", L({S("0"), S("1"), S("60"), S("3600"), S("86400")}),
       "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:"},
      {"{{ range . }}{{ humanizeDuration . }}:{{ end }}",
       L({F(.1), F(.0001), F(.12345), F(60.1), F(60.5), F(1.2345), F(12.345)}),
       "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:"},
      {"{{ range . }}{{ humanizeDuration . }}:{{ end }}", L({I(0), I(-1), I(1), I(1234567)}), "0s:-1s:1s:14d 6h 56m 7s:"},
      {"{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
       L({F(inf), F(-inf), F(std::nan(""))}), "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"},
      {"{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
       L({S("+Inf"), S("-Inf"), S("NaN")}), "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"},
      {"{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ "
       "1.23456 | humanizePercentage }}",
       Value(), "-22.22%:0%:12.35%:123.5%"},
      {"{{ range . }}{{ humanizePercentage . }}:{{ end }}", L({I(0), I(-1), I(1), I(1234567), I(INT64_MAX)}),
       "0%:-100%:100%:1.235e+08%:9.223e+20%:"},
      {R"({{ "-0.22222" | humanizePercentage }}:{{ "0.0" | humanizePercentage }}:{{ "0.1234567" | humanizePercentage }})",
       Value(), "-22.22%:0%:12.35%"},
      {"{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", L({I(0), I(-1), I(1), I(1234567), I(9223372036)}),
       "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 "
       "06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:"},
      {"{{ 1435065584.128 | humanizeTimestamp }}", Value(), "2015-06-23 13:19:44.128 +0000 UTC"},
      {R"({{ "1435065584.128" | humanizeTimestamp }})", Value(), "2015-06-23 13:19:44.128 +0000 UTC"},
      {R"({{ (1435065584.128 | toTime).Format "2006" }})", Value(), "2015"},
      {R"({{ ("1435065584.128" | toTime).Format "2006-01-02T15:04:05.000Z07:00 Mon Jan" }})", Value(),
       "2015-06-23T13:19:44.128Z Tue Jun"},
      {R"({{ (1435065584 | toTime).Unix }})", Value(), "1435065584"},
  };
  for (const Case& c : cases) EXPECT_EQ(Render(c.text, c.input), c.want) << c.text;
}

TEST(PrometheusFunctions, HumanizeErrorsMatchPrometheus) {
  EXPECT_EQ(Render(R"({{ humanize "one" }})"),
            "ERROR: template: test:1:3: executing \"test\" at <humanize \"one\">: error calling humanize: "
            "strconv.ParseFloat: parsing \"one\": invalid syntax");
  EXPECT_EQ(Render(R"({{ "one" | humanizePercentage }})"),
            "ERROR: template: test:1:11: executing \"test\" at <humanizePercentage>: error calling humanizePercentage: "
            "strconv.ParseFloat: parsing \"one\": invalid syntax");
  EXPECT_EQ(Render("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", L({I(INT64_MIN), I(INT64_MAX)})),
            "ERROR: template: test:1:16: executing \"test\" at <humanizeTimestamp .>: error calling humanizeTimestamp: "
            "-9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64");
  EXPECT_EQ(Render("{{ humanize true }}"),
            "ERROR: template: test:1:3: executing \"test\" at <humanize true>: error calling humanize: can't convert "
            "bool to float");
}

TEST(PrometheusFunctions, StringsRegexesAndLinks) {
  const struct {
    const char* text;
    const char* want;
  } cases[] = {
      {R"x({{ reReplaceAll "(a)b" "x$1" "ab" }})x", "xa"},
      {R"x({{ reReplaceAll "(?P<host>[^:]+):(\\d+)" "${host}-$2" "node1:9100" }})x", "node1-9100"},
      {R"({{ reReplaceAll "a*" "-" "baaac" }})", "-b-c-"},
      {R"({{ reReplaceAll ":.*" "" "10.0.0.1:9100" }})", "10.0.0.1"},
      {R"({{ "aa bb CC" | title }})", "Aa Bb CC"},
      {R"({{ "aa bb CC" | toUpper }})", "AA BB CC"},
      {R"({{ "aA bB CC" | toLower }})", "aa bb cc"},
      {R"({{ "éa" | toUpper }})", "ÉA"},
      {R"({{ match "a+" "aa" }} {{ match "a+" "b" }})", "true false"},
      {R"({{ graphLink "up" }})", "/graph?g0.expr=up&g0.tab=0"},
      {R"({{ tableLink "rate(x[5m]) > 1" }})", "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+1&g0.tab=1"},
      {R"({{ pathPrefix }})", "/path/prefix"},
      {R"({{ externalURL }})", "http://testhost:9090/path/prefix"},
      {R"({{ printf "%0.2f" (parseDuration "1h2m10ms") }})", "3720.01"},
      {R"({{ parseDuration "1d" }})", "86400"},
      {R"({{ "<b>" | safeHtml }})", "<b>"},
      {R"({{ "foo.example.com" | stripPort }})", "foo.example.com"},
      {R"({{ "foo.example.com:12345" | stripPort }})", "foo.example.com"},
      {R"({{ "192.0.2.1:12345" | stripPort }})", "192.0.2.1"},
      {R"({{ "2001:0DB8::1" | stripPort }})", "2001:0DB8::1"},
      {R"({{ "[2001:0DB8::1]:12345" | stripPort }})", "2001:0DB8::1"},
      {R"({{ "[2001:0DB8::1]::12345" | stripPort }})", "[2001:0DB8::1]::12345"},
      {R"({{ "foo.example.com" | stripDomain }})", "foo"},
      {R"({{ "foo.example.com:12345" | stripDomain }})", "foo:12345"},
      {R"({{ "192.0.2.1" | stripDomain }})", "192.0.2.1"},
      {R"({{ "192.0.2.1:12345" | stripDomain }})", "192.0.2.1:12345"},
      {R"({{ "2001:0DB8::1" | stripDomain }})", "2001:0DB8::1"},
      {R"({{ "[2001:0DB8::1]:12345" | stripDomain }})", "[2001:0DB8::1]:12345"},
      {R"({{ "[2001:0DB8::1]::12345" | stripDomain }})", "[2001:0DB8::1]::12345"},
      {R"({{ quotesEscape "a\"b\n" }}|{{ jsonEscape "a<b" }}|{{ htmlEscape "<'&\">" }})",
       R"(a\"b\n|"a\u003cb"|&lt;&#39;&amp;&#34;&gt;)"},
      {R"({{ queryEscape "a b/c" }}|{{ pathEscape "a b/c" }}|{{ crlfEscape "a\r\nb" }})", R"(a+b%2Fc|a%20b%2Fc|a\r\nb)"},
      {R"({{ (now).Unix }})", "1700000000"},
  };
  ExecContext ctx = Ctx();
  ctx.now_unix_nanos = 1'700'000'000'000'000'000;
  for (const auto& c : cases) EXPECT_EQ(Render(c.text, Value(), ctx), c.want) << c.text;
  EXPECT_EQ(Render(R"x({{ match "(" "x" }})x").rfind(
                "ERROR: template: test:1:3: executing \"test\" at <match \"(\" \"x\">: error calling match: error "
                "parsing regexp: ",
                0),
            0u);
  EXPECT_EQ(Render(R"({{ parseDuration "1x" }})"),
            "ERROR: template: test:1:3: executing \"test\" at <parseDuration \"1x\">: error calling parseDuration: not a "
            "valid duration string: \"1x\"");
  EXPECT_EQ(Render(R"({{ toUpper 1 }})"),
            "ERROR: template: test:1:3: executing \"test\" at <toUpper 1>: error calling toUpper: wrong type for value; "
            "expected string; got int");
}

TEST(GoPrintf, VerbsFlagsWidthsAndMismatches) {
  const struct {
    const char* text;
    const char* want;
  } cases[] = {
      {R"({{ printf "%.2f" 1.2345 }})", "1.23"},
      {R"({{ printf "%5.1f|%-5d|%05d|%+d" 3.14159 42 -42 5 }})", "  3.1|42   |-0042|+5"},
      {R"({{ printf "%x %X %o %b %c" 255 255 8 5 65 }})", "ff FF 10 101 A"},
      {R"({{ printf "%x|%q|%8.3s|%-4s|" "hi" "a\"b" "abcdef" "ab" }})", "6869|\"a\\\"b\"|     abc|ab  |"},
      {R"({{ printf "%v %v %v %v" 1e6 0.1 1.5 100000.0 }})", "1e+06 0.1 1.5 100000"},
      {R"({{ printf "%e %g %g %.3g %G" 1234.5678 1234.5678 1e21 1234.5678 1e-7 }})",
       "1.234568e+03 1234.5678 1e+21 1.23e+03 1E-07"},
      {R"({{ printf "%.0f %.0f %6.2f%%" 2.5 3.5 12.3456 }})", "2 4  12.35%"},
      {R"({{ printf "%t %v %s" true .Missing "s" }})", "true <nil> s"},
      {R"({{ printf "%s" 5 }})", "%!s(int=5)"},
      {R"({{ printf "%d" "x" }})", "%!d(string=x)"},
      {R"({{ printf "%.2f" "1.5" }})", "%!f(string=1.5)"},
      {R"({{ printf "%d" }})", "%!d(MISSING)"},
      {R"({{ printf "%d" 1 2 }})", "1%!(EXTRA int=2)"},
      {R"({{ printf "100%%" }})", "100%"},
      {R"({{ printf "%.2f %f %5.1f|" .Inf .NInf .NaN }})", "+Inf -Inf   NaN|"},
      {R"({{ printf "%v %d" .List .List }})", "[1 2] [1 2]"},
      {R"({{ printf "%*d|%-*d|" 4 7 3 8 }})", "   7|8  |"},
  };
  const Value data = M({{"Inf", F(std::numeric_limits<double>::infinity())},
                        {"NInf", F(-std::numeric_limits<double>::infinity())},
                        {"NaN", F(std::nan(""))},
                        {"List", L({I(1), I(2)})}});
  for (const auto& c : cases) EXPECT_EQ(Render(c.text, data), c.want) << c.text;
}

}  // namespace
}  // namespace vigil::tmpl
