// The OpenMetrics 1.0 text grammar, pinned against what Prometheus 2.42's
// OpenMetrics parser accepts and rejects.

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "textparse/textparse.h"

namespace vigil::textparse {
namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string FormatLabels(std::span<const LabelPair> labels) {
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) s += ",";
    s += std::string(labels[i].name) + "=\"" + std::string(labels[i].value) + "\"";
  }
  return s + "}";
}

// Every entry as one line of text, errors included (parsing continues).
std::vector<std::string> Dump(std::string_view input) {
  TextParser parser(input, Format::kOpenMetrics);
  std::vector<std::string> out;
  for (int guard = 0; guard < 10000; ++guard) {
    const Entry& e = parser.Next();
    switch (e.kind) {
      case EntryKind::kSeries: {
        std::string s = std::string(e.name) + FormatLabels(e.labels) + " " + FormatValue(e.value);
        if (e.has_timestamp) s += " @" + std::to_string(e.timestamp_ms);
        if (e.has_exemplar) {
          s += " # " + FormatLabels(e.exemplar.labels) + " " + FormatValue(e.exemplar.value);
          if (e.exemplar.has_timestamp) s += " @" + std::to_string(e.exemplar.timestamp_ms);
        }
        out.push_back(s);
        break;
      }
      case EntryKind::kHelp:
        out.push_back("HELP " + std::string(e.name) + " " + std::string(e.text));
        break;
      case EntryKind::kType:
        out.push_back("TYPE " + std::string(e.name) + " " + std::string(MetricTypeName(e.type)));
        break;
      case EntryKind::kUnit:
        out.push_back("UNIT " + std::string(e.name) + " " + std::string(e.text));
        break;
      case EntryKind::kComment:
        out.push_back("COMMENT " + std::string(e.text));
        break;
      case EntryKind::kError:
        out.push_back("ERROR " + parser.status().message());
        break;
      case EntryKind::kEOF:
        out.push_back("EOF");
        return out;
    }
  }
  ADD_FAILURE() << "parser did not reach EOF";
  return out;
}

using Lines = std::vector<std::string>;

std::string FirstError(std::string_view input) {
  for (const std::string& line : Dump(input)) {
    if (line.starts_with("ERROR ")) return line.substr(6);
  }
  return "";
}

TEST(OpenMetricsFormat, EveryTypeUnitsCreatedSeriesAndExemplars) {
  EXPECT_EQ(Dump("# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n"
                 "# TYPE go_gc_duration_seconds summary\n"
                 "# UNIT go_gc_duration_seconds seconds\n"
                 "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
                 "go_gc_duration_seconds_count 99\n"
                 "go_gc_duration_seconds_created 1520430000.123\n"
                 "# TYPE foo counter\n"
                 "foo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
                 "foo_created 1520430000\n"
                 "# TYPE hh histogram\n"
                 "hh_bucket{le=\"+Inf\"} 1 # {} 4\n"
                 "hh_bucket{le=\"1\"} 1 # {a=\"b\",c=\"d\"} 0.5 123.123\n"
                 "# TYPE gh gaugehistogram\n"
                 "gh_bucket{le=\"+Inf\"} 1\n"
                 "gh_gcount 1\n"
                 "# TYPE ii info\n"
                 "ii_info{version=\"1.0\"} 1\n"
                 "# TYPE ss stateset\n"
                 "ss{ss=\"foo\"} 1\n"
                 "ss{ss=\"bar\"} 0\n"
                 "# TYPE un unknown\n"
                 "un 1 -1.5\n"
                 "# EOF\n"),
            (Lines{"HELP go_gc_duration_seconds A summary of the GC invocation durations.",
                   "TYPE go_gc_duration_seconds summary",
                   "UNIT go_gc_duration_seconds seconds",
                   "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05",
                   "go_gc_duration_seconds_count{} 99",
                   "go_gc_duration_seconds_created{} 1520430000.123",
                   "TYPE foo counter",
                   "foo_total{} 17 @1520879607789 # {trace_id=\"KOO5S4vxi0o\"} 0.67",
                   "foo_created{} 1520430000",
                   "TYPE hh histogram",
                   "hh_bucket{le=\"+Inf\"} 1 # {} 4",
                   "hh_bucket{le=\"1\"} 1 # {a=\"b\",c=\"d\"} 0.5 @123123",
                   "TYPE gh gaugehistogram",
                   "gh_bucket{le=\"+Inf\"} 1",
                   "gh_gcount{} 1",
                   "TYPE ii info",
                   "ii_info{version=\"1.0\"} 1",
                   "TYPE ss stateset",
                   "ss{ss=\"foo\"} 1",
                   "ss{ss=\"bar\"} 0",
                   "TYPE un unknown",
                   "un{} 1 @-1500",
                   "EOF"}));
}

TEST(OpenMetricsFormat, TimestampsAreSecondsConvertedToMilliseconds) {
  EXPECT_EQ(Dump("a 1 1520879607.789\nb 1 123.123\nc 1 1e3\nd 1 0.0005\ne 1 -0.0015\n# EOF\n"),
            (Lines{"a{} 1 @1520879607789", "b{} 1 @123123", "c{} 1 @1000000", "d{} 1 @0", "e{} 1 @-1", "EOF"}));
}

TEST(OpenMetricsFormat, HelpEscapesIncludeQuote) {
  TextParser parser("# HELP m a \\\\ b \\n c \\\" d \\x\n# EOF\n", Format::kOpenMetrics);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kHelp);
  EXPECT_EQ(e.text, "a \\ b \n c \" d \\x");
}

TEST(OpenMetricsFormat, EmptyHelpAndUnit) {
  EXPECT_EQ(Dump("# HELP m \n# UNIT m \n# EOF\n"), (Lines{"HELP m ", "UNIT m ", "EOF"}));
}

TEST(OpenMetricsFormat, EofHandling) {
  EXPECT_EQ(Dump("# EOF"), Lines{"EOF"});
  EXPECT_EQ(Dump("# EOF\n"), Lines{"EOF"});
  EXPECT_EQ(Dump(""), (Lines{"ERROR line 1: data does not end with # EOF", "EOF"}));
  EXPECT_EQ(Dump("m 1\n"), (Lines{"m{} 1", "ERROR line 2: data does not end with # EOF", "EOF"}));
  EXPECT_EQ(Dump("m 1"), (Lines{"ERROR line 1: data does not end with # EOF", "EOF"}));
  EXPECT_EQ(Dump("m_total 1 # {a=\"b\"} 4"), (Lines{"ERROR line 1: data does not end with # EOF", "EOF"}));
  EXPECT_EQ(Dump("# EOF\nm 1\n"), (Lines{"ERROR line 2: unexpected data after # EOF", "EOF"}));
  EXPECT_EQ(Dump("# EOF\n\n"), (Lines{"ERROR line 2: unexpected data after # EOF", "EOF"}));
  EXPECT_EQ(Dump("# EOFa 1"), (Lines{"ERROR line 1: unexpected data after # EOF", "EOF"}));
}

TEST(OpenMetricsFormat, ErrorMessagesWithLineNumbers) {
  struct Case {
    std::string input;
    std::string error;
  };
  const Case cases[] = {
      {"\n# EOF\n", "line 1: expected a valid start token, got \"\\n\""},
      {" a 1\n# EOF\n", "line 1: expected a valid start token, got \" \""},
      {"# hello\n# EOF\n",
       "line 1: expected a valid start token, got \"# hello\" (OpenMetrics allows no comments besides HELP, TYPE, "
       "UNIT and EOF)"},
      {"#\tTYPE c counter\n# EOF\n",
       "line 1: expected a valid start token, got \"#\\tTYPE c counter\" (OpenMetrics allows no comments besides "
       "HELP, TYPE, UNIT and EOF)"},
      {"a\n# EOF\n", "line 1: expected value after metric, got \"\\n\""},
      {"a\t1\n# EOF\n", "line 1: expected value after metric, got \"\\t\""},
      {"a  1\n# EOF\n", "line 1: expected value after metric, got \" \""},
      {"a 1\t2\n# EOF\n", "line 1: strconv.ParseFloat: parsing \"1\\t2\": invalid syntax"},
      {"a 1 2 \n# EOF\n", "line 1: expected next entry after timestamp, got \" \""},
      {"a 1 1 1\n# EOF\n", "line 1: expected next entry after timestamp, got \" \""},
      {"a 1 1z\n# EOF\n", "line 1: strconv.ParseFloat: parsing \"1z\": invalid syntax"},
      {"a 1 NaN\n# EOF\n", "line 1: invalid timestamp"},
      {"a 1 -Inf\n# EOF\n", "line 1: invalid timestamp"},
      {"a 1_2\n# EOF\n", "line 1: unsupported character in float"},
      {"# TYPE u untyped\n# EOF\n", "line 1: invalid metric type \"untyped\""},
      {"# TYPE c counter \n# EOF\n", "line 1: invalid metric type \"counter \""},
      {"# TYPE \n# EOF\n", "line 1: expected metric name after TYPE, got \"\\n\""},
      {"# TYPE m\n# EOF\n", "line 1: expected text in TYPE"},
      {"# HELP m\n# EOF\n", "line 1: expected text in HELP"},
      {"# HELP m text", "line 1: expected text in HELP"},
      {"# UNIT metric suffix\n# EOF\n", "line 1: unit not a suffix of metric \"metric\""},
      {"# UNIT metricsuffix suffix\n# EOF\n", "line 1: unit not a suffix of metric \"metricsuffix\""},
      {"a{b='c'} 1\n# EOF\n", "line 1: expected label value, got \"'\""},
      {"a{b=\"c\",} 1\n# EOF\n", "line 1: expected label name, got \"}\""},
      {"a{,b=\"c\"} 1\n# EOF\n", "line 1: expected label name or left brace, got \",\""},
      {"a{b=\"c\"d=\"e\"} 1\n# EOF\n", "line 1: expected comma, got \"d\""},
      {"a{b=\"c\" } 1\n# EOF\n", "line 1: expected comma or right brace, got \" \""},
      {"a{ b=\"c\"} 1\n# EOF\n", "line 1: expected label name or left brace, got \" \""},
      {"a{b =\"c\"} 1\n# EOF\n", "line 1: expected equal, got \" \""},
      {"a{b=\"c\",,d=\"e\"} 1\n# EOF\n", "line 1: expected label name, got \",\""},
      {"a{b=\"c\nd\"} 1\n# EOF\n", "line 1: expected label value, got \"\\\"c\""},
      {"a{b=\"\xff\"} 1\n# EOF\n", "line 1: invalid UTF-8 label value: \"\\xff\""},
      {"empty_label_name{=\"\"} 0\n# EOF\n", "line 1: expected label name or left brace, got \"=\""},
      {"{b=\"c\"} 1\n# EOF\n", "line 1: expected a valid start token, got \"{\""},
      {"custom_metric 1 # {a=\"b\"} 1\n# EOF\n", "line 1: metric name custom_metric does not support exemplars"},
      {"m_total 1 # {aa=bb}\n# EOF\n", "line 1: expected label value, got \"bb\""},
      {"m_total 1 # {aa=\"bb\"}\n# EOF\n", "line 1: expected value after exemplar labels, got \"\\n\""},
      {"m_total 1 # {aa=\"bb\"} 1_2\n# EOF\n", "line 1: unsupported character in float"},
      {"m_total 1 # {aa=\"bb\"} 1 Inf\n# EOF\n", "line 1: invalid exemplar timestamp"},
      {"m_total 1 # {aa=\"bb\"} 1 2 3\n# EOF\n", "line 1: expected next entry after exemplar timestamp, got \" \""},
      {"m 1 #x\n# EOF\n", "line 1: strconv.ParseFloat: parsing \"#x\": invalid syntax"},
      {"m 1 \n# EOF\n", "line 1: expected timestamp or # symbol, got \" \""},
      {"ok 1\nok 2\nbad\n# EOF\n", "line 3: expected value after metric, got \"\\n\""},
      {"a{b=\"1\",b=\"2\"} 1\n# EOF\n", "line 1: label name \"b\" is not unique (metric: a)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FirstError(c.input), c.error) << "input: " << c.input;
  }
}

TEST(OpenMetricsFormat, NulBytesInsideLabelValuesAndHelpAreData) {
  static constexpr char kInput[] = "# HELP metric foo\0bar\nnull_byte_metric{a=\"abc\0\"} 1\n# EOF\n";
  std::string input(kInput, sizeof(kInput) - 1);
  TextParser parser(input, Format::kOpenMetrics);
  const Entry& help = parser.Next();
  ASSERT_EQ(help.kind, EntryKind::kHelp);
  EXPECT_EQ(help.text, std::string_view("foo\0bar", 7));
  const Entry& series = parser.Next();
  ASSERT_EQ(series.kind, EntryKind::kSeries) << parser.status().ToString();
  EXPECT_EQ(series.labels[0].value, std::string_view("abc\0", 4));
  EXPECT_EQ(parser.Next().kind, EntryKind::kEOF);
}

TEST(OpenMetricsFormat, EscapedExemplarAndSeriesLabelValuesBothResolve) {
  TextParser parser("m_total{a=\"x\\\"y\"} 1 # {t=\"p\\\\q\"} 2\n# EOF\n", Format::kOpenMetrics);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kSeries) << parser.status().ToString();
  EXPECT_EQ(e.labels[0].value, "x\"y");
  ASSERT_TRUE(e.has_exemplar);
  ASSERT_EQ(e.exemplar.labels.size(), 1u);
  EXPECT_EQ(e.exemplar.labels[0].value, "p\\q");
  EXPECT_EQ(e.exemplar.value, 2.0);
}

}  // namespace
}  // namespace vigil::textparse
