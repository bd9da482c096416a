// The Prometheus text format 0.0.4 grammar, pinned against what Prometheus
// 2.42's textparse accepts and rejects.

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "textparse/textparse.h"

namespace vigil::textparse {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// Every entry of `input` as one line of text; errors are reported and parsing
// continues after them, so one dump also shows how the parser resyncs.
std::vector<std::string> Dump(std::string_view input, const ParserOptions& options = {}) {
  TextParser parser(input, Format::kPrometheus, options);
  std::vector<std::string> out;
  for (int guard = 0; guard < 10000; ++guard) {
    const Entry& e = parser.Next();
    switch (e.kind) {
      case EntryKind::kSeries: {
        std::string s = std::string(e.name) + "{";
        for (size_t i = 0; i < e.labels.size(); ++i) {
          if (i > 0) s += ",";
          s += std::string(e.labels[i].name) + "=\"" + Escape(e.labels[i].value) + "\"";
        }
        s += "} " + FormatValue(e.value);
        if (e.has_timestamp) s += " @" + std::to_string(e.timestamp_ms);
        out.push_back(s);
        break;
      }
      case EntryKind::kHelp:
        out.push_back("HELP " + std::string(e.name) + " " + Escape(e.text));
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

TEST(PrometheusFormat, MetadataAndSamples) {
  EXPECT_EQ(Dump("# HELP go_goroutines Number of goroutines that currently exist.\n"
                 "# TYPE go_goroutines gauge\n"
                 "go_goroutines 33\n"
                 "go_gc_duration_seconds{quantile=\"0.25\"} 7.424100000000001e-05\n"),
            (Lines{"HELP go_goroutines Number of goroutines that currently exist.", "TYPE go_goroutines gauge",
                   "go_goroutines{} 33", "go_gc_duration_seconds{quantile=\"0.25\"} 7.424100000000001e-05"}));
}

TEST(PrometheusFormat, SpacesAndTabsBetweenEveryToken) {
  EXPECT_EQ(Dump("metric_a  {  a = \"1\" ,b= \"2\",  }  \t 5  \t 123  \n"
                 "metric_b\t7\n"
                 "some:aggregate:rate5m{a_b=\"c\"}\t1\n"
                 "metric_c{a=\"1\"}2\n"),
            (Lines{"metric_a{a=\"1\",b=\"2\"} 5 @123", "metric_b{} 7", "some:aggregate:rate5m{a_b=\"c\"} 1",
                   "metric_c{a=\"1\"} 2"}));
}

TEST(PrometheusFormat, NoLabelsEmptyLabelSetAndTrailingComma) {
  EXPECT_EQ(Dump("up 1\nup{} 1\nup{job=\"a\",} 1\n_metric_starting_with_underscore 1\n"),
            (Lines{"up{} 1", "up{} 1", "up{job=\"a\"} 1", "_metric_starting_with_underscore{} 1"}));
}

TEST(PrometheusFormat, MissingCommaBetweenLabelsIsAcceptedLikePrometheus) {
  EXPECT_EQ(Dump("m{a=\"1\" b=\"2\"} 1\nm{a=\"1\"b=\"2\"} 1\n"), (Lines{"m{a=\"1\",b=\"2\"} 1", "m{a=\"1\",b=\"2\"} 1"}));
}

TEST(PrometheusFormat, LabelValueEscapes) {
  Lines got = Dump(R"(m{path="C:\\dir\\",q="say \"hi\"",nl="a\nb",other="\t\x",empty=""} 1)");
  ASSERT_EQ(got.size(), 1u);
  TextParser parser(R"(m{path="C:\\dir\\",q="say \"hi\"",nl="a\nb",other="\t\x",empty=""} 1)", Format::kPrometheus);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kSeries);
  ASSERT_EQ(e.labels.size(), 5u);
  EXPECT_EQ(e.labels[0].value, "C:\\dir\\");
  EXPECT_EQ(e.labels[1].value, "say \"hi\"");
  EXPECT_EQ(e.labels[2].value, "a\nb");
  EXPECT_EQ(e.labels[3].value, "\\t\\x");  // unknown escapes stay as written
  EXPECT_EQ(e.labels[4].value, "");
  ASSERT_EQ(e.labels_with_name.size(), 6u);
  EXPECT_EQ(e.labels_with_name[0].name, "__name__");
  EXPECT_EQ(e.labels_with_name[0].value, "m");
}

TEST(PrometheusFormat, ManyEscapedValuesInOneSeriesSurviveScratchGrowth) {
  std::string line = "m{";
  for (int i = 0; i < 40; ++i) {
    line += "l" + std::to_string(i) + "=\"" + std::string(static_cast<size_t>(i * 7), 'x') + "\\\"" + std::to_string(i) + "\",";
  }
  line += "} 1\n";
  TextParser parser(line, Format::kPrometheus);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kSeries) << parser.status().ToString();
  ASSERT_EQ(e.labels.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(e.labels[static_cast<size_t>(i)].value,
              std::string(static_cast<size_t>(i * 7), 'x') + "\"" + std::to_string(i));
  }
}

TEST(PrometheusFormat, LabelValueMaySpanLinesAndLineNumbersFollow) {
  EXPECT_EQ(Dump("m{a=\"x\ny\"} 1\nbad\n"),
            (Lines{"m{a=\"x\\ny\"} 1", "ERROR line 3: expected value after metric, got \"\\n\""}));
}

TEST(PrometheusFormat, HelpEscapesOnlyBackslashAndNewline) {
  EXPECT_EQ(Dump("# HELP m a \\\\ b \\n c \\\" d \\x\n"), (Lines{"HELP m a \\\\ b \\n c \\\\\\\" d \\\\x"}));
  TextParser parser("# HELP m a \\\\ b \\n c \\\" d\n", Format::kPrometheus);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kHelp);
  EXPECT_EQ(e.text, "a \\ b \n c \\\" d");
}

TEST(PrometheusFormat, HelpTextSeparatorRules) {
  EXPECT_EQ(Dump("# HELP a\n# HELP b \n# HELP c    \n# HELP d  two spaces\n# HELP e\ttab\n#\tHELP f x\n"),
            (Lines{"HELP a ", "HELP b ", "HELP c ", "HELP d  two spaces", "HELP e tab", "HELP f x"}));
}

TEST(PrometheusFormat, TypesIncludingUntyped) {
  EXPECT_EQ(Dump("# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n# TYPE e untyped\n"),
            (Lines{"TYPE a counter", "TYPE b gauge", "TYPE c histogram", "TYPE d summary", "TYPE e unknown"}));
}

TEST(PrometheusFormat, DuplicateHelpAndTypeAreAccepted) {
  EXPECT_EQ(Dump("# HELP m one\n# HELP m two\n# TYPE m gauge\n# TYPE m counter\nm 1\n"),
            (Lines{"HELP m one", "HELP m two", "TYPE m gauge", "TYPE m counter", "m{} 1"}));
}

TEST(PrometheusFormat, BlanksBeforeCommentsMetadataAndOnEmptyLinesAreFine) {
  EXPECT_EQ(Dump("  # HELP m x\n  # comment\n   \n\t\nm 1 2 \t\n"),
            (Lines{"HELP m x", "COMMENT # comment", "m{} 1 @2"}));
}

TEST(PrometheusFormat, CommentsOfEveryShape) {
  EXPECT_EQ(Dump("# just a comment\n#no space\n#\n# HELPx y\n# HELP\n# TYPE\n  # indented\n"),
            (Lines{"COMMENT # just a comment", "COMMENT #no space", "COMMENT #", "COMMENT # HELPx y", "COMMENT # HELP",
                   "COMMENT # TYPE", "COMMENT # indented"}));
}

TEST(PrometheusFormat, TimestampsAreOptionalIntegerMilliseconds) {
  EXPECT_EQ(Dump("m 1 1700000000000\nm 1\nm 1 0\nm 1 9223372036854775807\n"),
            (Lines{"m{} 1 @1700000000000", "m{} 1", "m{} 1 @0", "m{} 1 @9223372036854775807"}));
}

TEST(PrometheusFormat, SpecialFloatValues) {
  EXPECT_EQ(Dump("a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf -0\ng 1e-400\nh .5\n"),
            (Lines{"a{} NaN", "b{} +Inf", "c{} -Inf", "d{} +Inf", "e{} NaN", "f{} -0", "g{} 0", "h{} 0.5"}));
}

TEST(PrometheusFormat, NaNIsPrometheusNormalNaN) {
  TextParser parser("m NaN\n", Format::kPrometheus);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kSeries);
  EXPECT_EQ(std::bit_cast<uint64_t>(e.value), 0x7ff8000000000001ULL);
}

TEST(PrometheusFormat, EmptyInputBlankLinesAndMissingFinalNewline) {
  EXPECT_EQ(Dump(""), Lines{});
  EXPECT_EQ(Dump("\n\n  \n\t\n"), Lines{});
  EXPECT_EQ(Dump("m 1"), Lines{"m{} 1"});
  EXPECT_EQ(Dump("m 1 5"), Lines{"m{} 1 @5"});
  EXPECT_EQ(Dump("# HELP m text"), Lines{"HELP m text"});
}

TEST(PrometheusFormat, CarriageReturnIsRejectedByDefaultLikePrometheus) {
  EXPECT_EQ(FirstError("m 1\r\n"), "line 1: strconv.ParseFloat: parsing \"1\\r\": invalid syntax");
  EXPECT_EQ(FirstError("m 1 2\r\n"), "line 1: expected next entry after timestamp, got \"\\r\"");
  EXPECT_EQ(FirstError("# TYPE m gauge\r\n"), "line 1: invalid metric type \"gauge\\r\"");
}

TEST(PrometheusFormat, CarriageReturnAcceptedWhenAsked) {
  ParserOptions options;
  options.accept_crlf = true;
  EXPECT_EQ(Dump("# HELP m text\r\n# TYPE m gauge\r\n# note\r\nm{a=\"b\"} 1\r\nm 2 3\r\n\r\n", options),
            (Lines{"HELP m text", "TYPE m gauge", "COMMENT # note", "m{a=\"b\"} 1", "m{} 2 @3"}));
}

TEST(PrometheusFormat, ErrorMessagesWithLineNumbers) {
  struct Case {
    std::string input;
    std::string error;
  };
  const Case cases[] = {
      {"a{b='c'} 1\n", "line 1: expected label value, got \"'\""},
      {"a{=\"b\"} 1\n", "line 1: expected label name, got \"=\""},
      {"a{b \"c\"} 1\n", "line 1: expected equal, got \"\\\"c\\\"\""},
      {"a{b=\"c\",,} 1\n", "line 1: expected label name, got \",\""},
      {"a{1=\"c\"} 1\n", "line 1: expected label name, got \"1\""},
      {"a{b:c=\"d\"} 1\n", "line 1: expected equal, got \":c\""},
      {"a{b=\"c", "line 1: expected label value, got \"\\\"c\""},
      {"a{b=\"c\\\n\"} 1\n", "line 1: expected label value, got \"\\\"c\\\\\""},
      {"a{b=\n", "line 1: expected label value, got \"\\n\""},
      {"a{b=\"c\"", "line 1: expected label name, got EOF"},
      {"a{b=\"c\"}", "line 1: expected value after metric, got EOF"},
      {"a\n", "line 1: expected value after metric, got \"\\n\""},
      {"a{} {\n", "line 1: expected value after metric, got \"{\""},
      {"{a=\"b\"} 1\n", "line 1: expected a valid start token, got \"{\""},
      {"9 1\n", "line 1: expected a valid start token, got \"9\""},
      {std::string("\0 1\n", 4), "line 1: expected a valid start token, got \"\\x00\""},
      {"a true\n", "line 1: strconv.ParseFloat: parsing \"true\": invalid syntax"},
      {"a 1z\n", "line 1: strconv.ParseFloat: parsing \"1z\": invalid syntax"},
      {"a 1e999\n", "line 1: strconv.ParseFloat: parsing \"1e999\": value out of range"},
      {"a 1_2\n", "line 1: unsupported character in float"},
      {"a 0x1p-3\n", "line 1: unsupported character in float"},
      {"a 1 -5\n", "line 1: expected timestamp or new record, got \"-\""},
      {"a 1 1.5\n", "line 1: expected next entry after timestamp, got \".\""},
      {"a 1 2 3\n", "line 1: expected next entry after timestamp, got \"3\""},
      {"a 1 2x\n", "line 1: expected next entry after timestamp, got \"x\""},
      {"a 1 99999999999999999999\n",
       "line 1: strconv.ParseInt: parsing \"99999999999999999999\": value out of range"},
      {"# TYPE 1abc counter\n", "line 1: expected metric name after TYPE, got \"1abc\""},
      {"# HELP \n", "line 1: expected metric name after HELP, got \"\\n\""},
      {"# TYPE m gaugex\n", "line 1: invalid metric type \"gaugex\""},
      {"# TYPE m  counter\n", "line 1: invalid metric type \" counter\""},
      {"# TYPE m unknown\n", "line 1: invalid metric type \"unknown\""},
      {"# TYPE m\n", "line 1: invalid metric type \"\""},
      {"# HELP m bad \xff\n", "line 1: help text \"bad \\xff\" is not a valid utf8 string"},
      {"a{b=\"\xff\"} 1\n", "line 1: invalid UTF-8 label value: \"\\xff\""},
      {"a{b=\"1\",b=\"2\"} 1\n", "line 1: label name \"b\" is not unique (metric: a)"},
      {"a{__name__=\"x\"} 1\n", "line 1: label name \"__name__\" is not unique (metric: a)"},
      {"ok 1\n# ok\n\nbad{\n", "line 4: expected label name, got \"\\n\""},
      {"  m 1\n", "line 1: invalid metric name \"  m\": leading whitespace"},
      {"\tm{a=\"b\"} 1\n", "line 1: invalid metric name \"\\tm\": leading whitespace"},
      {"m{a=\"1\"}{b=\"2\"} 1\n", "line 1: expected value after metric, got \"{\""},
      {"m=1\n", "line 1: strconv.ParseFloat: parsing \"=1\": invalid syntax"},
      {"m +NaN\n", "line 1: strconv.ParseFloat: parsing \"+NaN\": invalid syntax"},
      {"m 0x10\n", "line 1: strconv.ParseFloat: parsing \"0x10\": invalid syntax"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FirstError(c.input), c.error) << "input: " << c.input;
  }
}

TEST(PrometheusFormat, DuplicateCheckOnLargeLabelSetsUsesSorting) {
  std::string line = "m{";
  for (int i = 0; i < 30; ++i) line += "l" + std::to_string(i) + "=\"v\",";
  EXPECT_EQ(Dump(line + "} 1\n").size(), 1u);
  EXPECT_EQ(FirstError(line + "l7=\"again\"} 1\n"), "line 1: label name \"l7\" is not unique (metric: m)");
}

TEST(PrometheusFormat, ErrorStatusCodeAndResyncAtNextLine) {
  TextParser parser("good 1\nbad{ 1\nalso_good 2\n", Format::kPrometheus);
  EXPECT_EQ(parser.Next().kind, EntryKind::kSeries);
  EXPECT_EQ(parser.line(), 1);
  EXPECT_EQ(parser.Next().kind, EntryKind::kError);
  EXPECT_EQ(parser.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(parser.line(), 2);
  const Entry& e = parser.Next();
  ASSERT_EQ(e.kind, EntryKind::kSeries);
  EXPECT_TRUE(parser.status().ok());
  EXPECT_EQ(e.name, "also_good");
  EXPECT_EQ(parser.line(), 3);
  EXPECT_EQ(parser.Next().kind, EntryKind::kEOF);
  EXPECT_EQ(parser.Next().kind, EntryKind::kEOF);
}

TEST(PrometheusFormat, VeryLongLinesWithinLimits) {
  ParserOptions options;
  options.limits.max_label_value_bytes = 0;
  options.limits.max_line_bytes = 0;
  std::string big(3 << 20, 'v');
  Lines got = Dump("m{a=\"" + big + "\"} 1\nn 2\n", options);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), big.size() + 9);
  EXPECT_EQ(got[1], "n{} 2");
}

TEST(PrometheusFormat, LimitsGiveResourceExhaustedErrors) {
  ParserOptions options;
  options.limits.max_labels_per_series = 3;  // __name__ + 2
  options.limits.max_label_name_bytes = 5;
  options.limits.max_label_value_bytes = 4;
  options.limits.max_line_bytes = 40;
  EXPECT_EQ(Dump("m{a=\"1\",b=\"2\"} 1\n"
                 "m{a=\"1\",b=\"2\",c=\"3\"} 1\n"
                 "m{abcdef=\"1\"} 1\n"
                 "m{a=\"12345\"} 1\n"
                 "m{a=\"\\\\\\\\\\\\\\\\\"} 1\n"
                 "# a comment that is longer than forty bytes\n"
                 "ok 1\n",
                 options),
            (Lines{"m{a=\"1\",b=\"2\"} 1",
                   "ERROR line 2: too many labels (metric: m, limit: 3 labels including __name__)",
                   "ERROR line 3: label name too long (metric: m, label name: \"abcdef\", length: 6, limit: 5)",
                   "ERROR line 4: label value too long (metric: m, label name: \"a\", length: 5, limit: 4)",
                   "m{a=\"\\\\\\\\\\\\\\\\\"} 1",
                   "ERROR line 6: line length 43 exceeds the limit of 40 bytes", "ok{} 1"}));
  TextParser parser("m{a=\"1\",b=\"2\",c=\"3\"} 1\n", Format::kPrometheus, options);
  EXPECT_EQ(parser.Next().kind, EntryKind::kError);
  EXPECT_EQ(parser.status().code(), Status::Code::kResourceExhausted);
}

}  // namespace
}  // namespace vigil::textparse
