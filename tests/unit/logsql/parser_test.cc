// Parse(): canonical renderings (String() round-trips) and error positions.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "logsql/logsql.h"
#include "logsql/values.h"

namespace vigil::logsql {
namespace {

// Parses `text`, checks String() == want and that String() re-parses to
// itself (the rendering is a fixed point).
void ExpectCanonical(std::string_view text, std::string_view want) {
  auto q = Parse(text);
  ASSERT_TRUE(q.ok()) << text << ": " << q.status().ToString();
  EXPECT_EQ(q->String(), want) << text;
  auto again = Parse(q->String());
  ASSERT_TRUE(again.ok()) << q->String() << ": " << again.status().ToString();
  EXPECT_EQ(again->String(), q->String());
}

TEST(Parse, FiltersRenderCanonically) {
  ExpectCanonical("error", "error");
  ExpectCanonical("error AND warn", "error warn");
  ExpectCanonical("a OR b c", "a or b c");
  ExpectCanonical("(a OR b) c", "(a or b) c");
  ExpectCanonical("NOT a", "!a");
  ExpectCanonical("-a -(b or c)", "!a !(b or c)");
  ExpectCanonical("log.level:error", "log.level:error");
  ExpectCanonical("\"ip:remote\":\"1.2.3.45\"", "\"ip:remote\":1.2.3.45");
  ExpectCanonical("'\"foo\":\"bar\"'", R"("\"foo\":\"bar\"")");
  ExpectCanonical("`raw\\text`", R"("raw\\text")");
  ExpectCanonical("\"and\"", "\"and\"");
  ExpectCanonical("err*", "err*");
  ExpectCanonical("\"unexpected fail\"*", "\"unexpected fail\"*");
  ExpectCanonical("*", "*");
  ExpectCanonical("host:*", "host:*");
  ExpectCanonical("host:\"\"", "host:\"\"");
  ExpectCanonical("level:=error", "level:=\"error\"");
  ExpectCanonical("level:!=error", "!level:=\"error\"");
  ExpectCanonical("=\"Processing request\"*", "=\"Processing request\"*");
  ExpectCanonical("exact(foo)", "=\"foo\"");
  ExpectCanonical("i(Error)", "i(Error)");
  ExpectCanonical("level:i(err*)", "level:i(err*)");
  ExpectCanonical("~\"err|warn\"", "~\"err|warn\"");
  ExpectCanonical("re(\"x\")", "~\"x\"");
  ExpectCanonical("f:!~\"x\"", "!f:~\"x\"");
  ExpectCanonical("seq(error, \"open file\")", "seq(\"error\", \"open file\")");
  ExpectCanonical("dur:range(4.2, Inf)", "dur:range(4.2, Inf)");
  ExpectCanonical("dur:range[1, 5)", "dur:range[1, 5)");
  ExpectCanonical("size:>=10KiB", "size:>=10KiB");
  ExpectCanonical("name:<\"John\"", "name:<John");
  ExpectCanonical("name:string_range(A, C)", "name:string_range(A, C)");
  ExpectCanonical("len_range(5, 10)", "len_range(5, 10)");
  ExpectCanonical("ip:ipv4_range(127.0.0.0, 127.255.255.255)", "ip:ipv4_range(127.0.0.0, 127.255.255.255)");
  ExpectCanonical("ip:ipv4_range(\"10.0.0.0/8\")", "ip:ipv4_range(10.0.0.0/8)");
  ExpectCanonical("level:in(error, \"fatal\")", "level:in(\"error\", \"fatal\")");
  ExpectCanonical("contains_all(foo, \"bar baz\")", "contains_all(\"foo\", \"bar baz\")");
  ExpectCanonical("contains_any(foo)", "contains_any(\"foo\")");
  ExpectCanonical("*ampl*", "*\"ampl\"*");
  ExpectCanonical("level:(error OR fatal)", "level:error or level:fatal");
  ExpectCanonical("app:-buggy", "!app:buggy");
  ExpectCanonical("_time:5m", "_time:5m");
  ExpectCanonical("_time:>1h", "_time:>1h");
  ExpectCanonical("_time:2023-04-25Z", "_time:2023-04-25Z");
  ExpectCanonical("_time:[2023-02-01Z, 2023-03-01Z)", "_time:[2023-02-01Z, 2023-03-01Z)");
  ExpectCanonical("_time:5m offset 1h", "_time:5m offset 1h");
  ExpectCanonical("_time:offset 1h", "_time:offset 1h");
  ExpectCanonical("_time:2023-04-25T22:45+05:30", "_time:2023-04-25T22:45+05:30");
  ExpectCanonical("_time:day_range[08:00, 18:00) offset 2h", "_time:day_range[08:00, 18:00) offset 2h");
  ExpectCanonical("_time:week_range(Sun, Sat)", "_time:week_range(Sun, Sat)");
  ExpectCanonical("a:le_field(b)", "a:le_field(b)");
  ExpectCanonical("_stream:{job=\"pgsql\",ins=~\"pg-.*\"}", "{job=\"pgsql\",ins=~\"pg-.*\"}");
  ExpectCanonical("{app in (\"nginx\", \"foo.bar\")}", "{app=~\"nginx|foo\\\\.bar\"}");
  ExpectCanonical("{app not_in (a)}", "{app!~\"a\"}");
  ExpectCanonical("{a=\"1\" or b!=\"2\"}", "{a=\"1\" or b!=\"2\"}");
  ExpectCanonical("{}", "{}");
  ExpectCanonical("_stream_id:0000007b000001c8", "_stream_id:=\"0000007b000001c8\"");
  ExpectCanonical("сфера:τιμή", "сфера:τιμή");
}

TEST(Parse, PipesRenderCanonically) {
  ExpectCanonical("* | fields a, b*", "* | fields a, b*");
  ExpectCanonical("* | keep (a)", "* | fields a");
  ExpectCanonical("* | delete a | rm b", "* | delete a | delete b");
  ExpectCanonical("* | rename a as b, c d", "* | rename a as b, c as d");
  ExpectCanonical("* | copy a as b", "* | copy a as b");
  ExpectCanonical("* | sort by (a desc, b) desc limit 5 offset 2", "* | sort by (a desc, b) desc offset 2 limit 5");
  ExpectCanonical("* | first 3 by (a)", "* | sort by (a) limit 3");
  ExpectCanonical("* | last by (a desc)", "* | sort by (a desc) desc limit 1");
  ExpectCanonical("* | order by (_time)", "* | sort by (_time)");
  ExpectCanonical("* | head", "* | head 10");
  ExpectCanonical("* | limit 5 | offset 3", "* | limit 5 | offset 3");
  ExpectCanonical("* | uniq by (a, b) with hits limit 3", "* | uniq by (a, b) with hits limit 3");
  ExpectCanonical("* | top 3 by (ip) hits as n", "* | top 3 by (ip) hits as n");
  ExpectCanonical("* | top by (ip)", "* | top 10 by (ip)");
  ExpectCanonical("* | stats count()", "* | stats count() as \"count()\"");
  ExpectCanonical("* | count()", "* | stats count() as \"count()\"");
  ExpectCanonical("* | stats by (host, _time:1h offset 30m) count() n, sum(x) as s",
                  "* | stats by (host, _time:1h offset 30m) count() as n, sum(x) as s");
  ExpectCanonical("* | stats quantile(0.9, d) p90, median(d), count_uniq(a, b), values(x) limit 3",
                  "* | stats quantile(0.9, d) as p90, median(d) as \"median(d)\", "
                  "count_uniq(a, b) as \"count_uniq(a, b)\", values(x) limit 3 as \"values(x) limit 3\"");
  ExpectCanonical("* | stats count() if (error) errors", "* | stats count() if (error) as errors");
  ExpectCanonical("* | filter n:>10", "* | filter n:>10");
  ExpectCanonical("* | extract \"ip=<ip> \" from m", "* | extract \"ip=<ip> \" from m");
  ExpectCanonical("* | extract if (x) \"<a>\"", "* | extract if (x) \"<a>\"");
  ExpectCanonical("* | unpack_json from j fields (a, b) result_prefix p_",
                  "* | unpack_json from j fields (a, b) result_prefix p_");
  ExpectCanonical("* | unpack_logfmt", "* | unpack_logfmt");
  ExpectCanonical("* | format \"<a>:<q:b>\" as c", "* | format \"<a>:<q:b>\" as c");
  ExpectCanonical("* | replace (\"a\", \"b\") at f limit 2", "* | replace (\"a\", \"b\") at f limit 2");
  ExpectCanonical("* | math round(duration / 1000) as s, x ^ 2 + 1",
                  "* | math round(duration / 1000) as s, x ^ 2 + 1 as \"x ^ 2 + 1\"");
  ExpectCanonical("* | math (a - b) - (c - d) - -e ^ 2 ^ 3 * (f + g) default 0, (2 ^ 3) ^ 4, Inf - 1e300",
                  "* | math a - b - (c - d) - -e ^ 2 ^ 3 * (f + g) default 0 as "
                  "\"(a - b) - (c - d) - -e ^ 2 ^ 3 * (f + g) default 0\", (2 ^ 3) ^ 4 as \"(2 ^ 3) ^ 4\", "
                  "Inf - 1e+300 as \"Inf - 1e300\"");
  ExpectCanonical("* | field_names | field_values level limit 5", "* | field_names | field_values level limit 5");
  ExpectCanonical("* | len(_msg) as n | drop_empty_fields", "* | len(_msg) as n | drop_empty_fields");
}

// The error message names the position (byte offset) and what was expected.
void ExpectError(std::string_view text, std::string_view want) {
  auto q = Parse(text);
  ASSERT_FALSE(q.ok()) << text << " parsed as " << q->String();
  EXPECT_EQ(q.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(q.status().message(), want) << text;
}

TEST(Parse, ErrorsNamePositionAndExpectation) {
  ExpectError("", "cannot parse query at position 0: unexpected end of query; expected filter");
  ExpectError("error AND )", "cannot parse query at position 10: unexpected \")\"; expected filter");
  ExpectError("(error", "cannot parse query at position 6: unexpected end of query; expected \")\"");
  ExpectError("error )", "cannot parse query at position 6: unexpected \")\"; expected \"|\" or end of query");
  ExpectError("\"unterminated", "cannot parse query at position 0: missing closing quote");
  ExpectError("a | nosuchpipe", "cannot parse query at position 4: unknown pipe \"nosuchpipe\"");
  ExpectError("a |", "cannot parse query at position 3: unexpected end of query; expected pipe name");
  ExpectError("a | limit x", "cannot parse query at position 10: cannot parse \"x\" as limit");
  ExpectError("_time:5x", "cannot parse query at position 6: cannot parse \"5x\" as duration or time; expected _time filter");
  ExpectError("{job=\"a\"", "cannot parse query at position 8: unexpected end of query; expected \",\", \"or\" or \"}\"");
  ExpectError("{job=~\"(\"}", "cannot parse regexp \"(\": missing ): (");
  ExpectError("a | stats", "cannot parse query at position 9: unexpected end of query; expected stats function");
  ExpectError("a | stats count() x, sum(y) x", "cannot parse query at position 29: duplicate stats result name \"x\"");
  ExpectError("f:range(a, 2)", "cannot parse query at position 2: cannot parse range bounds as numbers");
  ExpectError("ip:ipv4_range(1.2.3)", "cannot parse query at position 3: cannot parse ipv4_range address");
  ExpectError("foo(x)", "cannot parse query at position 0: unknown filter function \"foo\"");
  ExpectError("a | math x +", "cannot parse query at position 12: unexpected end of query; expected math operand");
  ExpectError("a | math nosuch(x)", "cannot parse query at position 9: unknown math function \"nosuch\"");
  ExpectError("a | extract \"no placeholders\"", "cannot parse query at position 4: the pattern has no <field> placeholder");
  ExpectError("a or", "cannot parse query at position 4: unexpected end of query; expected filter");
}

TEST(Parse, LongMathChainsRenderWithoutAddedNesting) {
  std::string chain = "a | math x";
  for (int i = 0; i < 500; ++i) chain += " - x";
  auto q = Parse(chain);
  ASSERT_TRUE(q.ok());
  auto again = Parse(q->String());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->String(), q->String());
}

TEST(Parse, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '(');
  deep += "a";
  auto q = Parse(deep);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("too deeply nested"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "-";
  EXPECT_FALSE(Parse(nots + "a").ok());
  std::string math = "a | math ";
  for (int i = 0; i < 100000; ++i) math += "(";
  EXPECT_FALSE(Parse(math + "x").ok());
}

TEST(Values, NumbersDurationsAndSizes) {
  EXPECT_EQ(ParseNumber("1_000"), 1000);
  EXPECT_EQ(ParseNumber("-1.5e3"), -1500);
  EXPECT_EQ(ParseNumber("10KiB"), 10240);
  EXPECT_EQ(ParseNumber("1.5MB"), 1.5e6);
  EXPECT_EQ(ParseNumber("3G"), 3e9);
  EXPECT_EQ(ParseNumber("0x1F"), 31);
  EXPECT_EQ(ParseNumber("1h5m"), 3900e9);
  EXPECT_EQ(ParseNumber("1.5s"), 1.5e9);
  EXPECT_EQ(ParseNumber("5m"), 300e9);
  EXPECT_EQ(ParseNumber("-Inf"), -std::numeric_limits<double>::infinity());
  for (auto bad : {"", "abc", "1.2.3", "12abc", "inf1", "1e", "--1", "_"}) EXPECT_FALSE(ParseNumber(bad)) << bad;
  EXPECT_EQ(ParseDurationNs("2.5d15m42.345s"), int64_t{216000 + 900 + 42} * 1'000'000'000 + 345'000'000);
  EXPECT_EQ(ParseDurationNs("1w"), int64_t{7 * 86400} * 1'000'000'000);
  EXPECT_EQ(ParseDurationNs("-1ms"), -1'000'000);
  EXPECT_EQ(ParseDurationNs("1y"), int64_t{365 * 86400} * 1'000'000'000);
  for (auto bad : {"", "5", "m", "5x", "1h5", "99999999999y"}) EXPECT_FALSE(ParseDurationNs(bad)) << bad;
}

TEST(Values, PartialRfc3339CoversItsWholePeriod) {
  constexpr int64_t kSec = 1'000'000'000;
  const int64_t jan1 = 1672531200LL * kSec;
  auto p = ParseTimePeriod("2023");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->start_ns, jan1);
  EXPECT_EQ(p->end_ns, jan1 + 365LL * 86400 * kSec);
  p = ParseTimePeriod("2024-02Z");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->end_ns - p->start_ns, 29LL * 86400 * kSec);
  p = ParseTimePeriod("2023-01-01T00:00:00.5+01:00");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->start_ns, jan1 - 3600 * kSec + kSec / 2);
  p = ParseTimePeriod("1672531200.25");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->start_ns, jan1 + kSec / 4);
  for (auto bad : {"", "20", "2023-13", "2023-02-30", "2023-01-01T25", "2023-01-01X", "2023-01-01+5"})
    EXPECT_FALSE(ParseTimePeriod(bad)) << bad;
}

TEST(Values, FormatsTimesAndFloatsAsVictoriaLogs) {
  EXPECT_EQ(FormatRfc3339Nano(1672531200LL * 1'000'000'000), "2023-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(1672531200LL * 1'000'000'000 + 120'000'000), "2023-01-01T00:00:00.12Z");
  EXPECT_EQ(FormatRfc3339Nano(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(ParseRfc3339Nano("2023-01-01T00:00:00.12Z"), 1672531200LL * 1'000'000'000 + 120'000'000);
  EXPECT_FALSE(ParseRfc3339Nano("2023-01-01"));
  EXPECT_EQ(FormatFloat(3), "3");
  EXPECT_EQ(FormatFloat(0.25), "0.25");
  EXPECT_EQ(FormatFloat(1e6), "1000000");
  EXPECT_EQ(FormatFloat(std::nan("")), "NaN");
  EXPECT_EQ(FormatFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(ParseIpv4("10.0.0.255"), 0x0A0000FFu);
  EXPECT_FALSE(ParseIpv4("10.0.0.256"));
  EXPECT_FALSE(ParseIpv4("10.0.0"));
  EXPECT_FALSE(ParseIpv4("1.2.3.4.5"));
}

}  // namespace
}  // namespace vigil::logsql
