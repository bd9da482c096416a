#include "tsdb/matcher.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

namespace vigil::tsdb {
namespace {

Matcher M(MatchType type, std::string_view value, std::string_view name = "foo") {
  auto m = Matcher::Make(type, name, value);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

// The reference: Prometheus anchors the regex as ^(?:re)$ and uses RE2/Go.
bool OracleRegexMatch(const std::string& pattern, std::string_view value) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re("^(?:" + pattern + ")$", options);
  EXPECT_TRUE(re.ok()) << pattern;
  return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), re);
}

TEST(MatcherTest, EqualAndNotEqual) {
  EXPECT_TRUE(M(MatchType::kEqual, "bar").Matches("bar"));
  EXPECT_FALSE(M(MatchType::kEqual, "bar").Matches("barx"));
  EXPECT_FALSE(M(MatchType::kNotEqual, "bar").Matches("bar"));
  EXPECT_TRUE(M(MatchType::kNotEqual, "bar").Matches("baz"));
  // Equality is literal: no regex meaning.
  EXPECT_TRUE(M(MatchType::kEqual, "a.*").Matches("a.*"));
  EXPECT_FALSE(M(MatchType::kEqual, "a.*").Matches("abc"));
}

TEST(MatcherTest, RegexIsFullyAnchored) {
  const Matcher m = M(MatchType::kRegexMatch, "foo");
  EXPECT_TRUE(m.Matches("foo"));
  EXPECT_FALSE(m.Matches("xfoo"));
  EXPECT_FALSE(m.Matches("foox"));
  const Matcher alt = M(MatchType::kRegexMatch, "a|b");
  EXPECT_TRUE(alt.Matches("a"));
  EXPECT_FALSE(alt.Matches("ab"));
  const Matcher general = M(MatchType::kRegexMatch, "f[o]+");
  EXPECT_TRUE(general.Matches("foo"));
  EXPECT_FALSE(general.Matches("xfoo"));
  EXPECT_FALSE(general.Matches("foox"));
}

TEST(MatcherTest, MissingLabelIsEmptyValue) {
  EXPECT_TRUE(M(MatchType::kEqual, "").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kNotEqual, "bar").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "|x").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, ".*").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "x*").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexNoMatch, "x+").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kRegexMatch, ".+").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kNotEqual, "").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kRegexNoMatch, ".*").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kEqual, "bar").MatchesEmpty());
}

TEST(MatcherTest, BadRegexIsInvalidArgumentWithRe2Message) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "foo", "a(b");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(m.status().message().find("missing )"), std::string::npos) << m.status().message();
  EXPECT_FALSE(Matcher::Make(MatchType::kRegexNoMatch, "foo", "x{2,1}").ok());
  EXPECT_FALSE(Matcher::Make(MatchType::kRegexMatch, "foo", "*").ok());
}

TEST(MatcherTest, PatternThatOnlyParsesInsideTheWrapperIsRejected) {
  // "^(?:a)|(b)$" would parse, but "a)|(b" is not a regex.
  EXPECT_FALSE(Matcher::Make(MatchType::kRegexMatch, "foo", "a)|(b").ok());
}

TEST(MatcherTest, LiteralAlternationIsExposedAsSortedSet) {
  const Matcher m = M(MatchType::kRegexMatch, "b|a|b|a\\.c");
  ASSERT_NE(m.LiteralSet(), nullptr);
  EXPECT_EQ(*m.LiteralSet(), (std::vector<std::string>{"a", "a.c", "b"}));
  EXPECT_TRUE(m.Matches("a.c"));
  EXPECT_FALSE(m.Matches("abc"));
  EXPECT_NE(M(MatchType::kEqual, "x").LiteralSet(), nullptr);
  EXPECT_EQ(M(MatchType::kRegexMatch, "a.c").LiteralSet(), nullptr);
  EXPECT_EQ(M(MatchType::kRegexMatch, "(a|b)").LiteralSet(), nullptr);
  EXPECT_EQ(M(MatchType::kRegexMatch, "\\d").LiteralSet(), nullptr);
  const Matcher with_empty = M(MatchType::kRegexMatch, "|x");
  ASSERT_NE(with_empty.LiteralSet(), nullptr);
  EXPECT_EQ(*with_empty.LiteralSet(), (std::vector<std::string>{"", "x"}));
}

TEST(MatcherTest, MatchesEveryNonEmptyValueOnlyForNotEqualEmpty) {
  EXPECT_TRUE(M(MatchType::kNotEqual, "").MatchesEveryNonEmptyValue());
  EXPECT_TRUE(M(MatchType::kRegexNoMatch, "").MatchesEveryNonEmptyValue());
  EXPECT_FALSE(M(MatchType::kRegexMatch, ".+").MatchesEveryNonEmptyValue());
  EXPECT_FALSE(M(MatchType::kNotEqual, "x").MatchesEveryNonEmptyValue());
}

TEST(MatcherTest, LargeAlternationUsesSetLookup) {
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += (i ? "|" : "") + std::string("host-") + std::to_string(i);
  const Matcher m = M(MatchType::kRegexMatch, pattern);
  ASSERT_NE(m.LiteralSet(), nullptr);
  EXPECT_EQ(m.LiteralSet()->size(), 200u);
  EXPECT_TRUE(m.Matches("host-199"));
  EXPECT_FALSE(m.Matches("host-200"));
  EXPECT_FALSE(m.Matches("host-1|host-2"));
}

TEST(MatcherTest, DotFastPathsExcludeNewlinesAndInvalidUtf8LikeRe2) {
  for (const char* p : {".*", ".+", "ab.*", ".*ab", ".*ab.*"}) {
    const Matcher m = M(MatchType::kRegexMatch, p);
    for (const char* v : {"", "ab", "abx", "xab", "xabx", "ab\n", "\nab", "a\nb", "ab\xff", "\xff"
                          "ab", "ab\xc3\xa9", "\xc3\xa9"}) {
      EXPECT_EQ(m.Matches(v), OracleRegexMatch(p, v)) << p << " vs " << v;
    }
  }
}

TEST(MatcherTest, ToStringQuotesTheValue) {
  EXPECT_EQ(M(MatchType::kEqual, "a\"b").ToString(), "foo=\"a\\\"b\"");
  EXPECT_EQ(M(MatchType::kNotEqual, "x").ToString(), "foo!=\"x\"");
  EXPECT_EQ(M(MatchType::kRegexMatch, "a.*").ToString(), "foo=~\"a.*\"");
  EXPECT_EQ(M(MatchType::kRegexNoMatch, "a\\.b").ToString(), "foo!~\"a\\\\.b\"");
}

TEST(MatcherTest, CopiesShareTheCompiledRegex) {
  const Matcher a = M(MatchType::kRegexMatch, "f(o)+");
  const Matcher b = a;  // NOLINT: copy on purpose
  EXPECT_TRUE(b.Matches("foo"));
  EXPECT_FALSE(b.Matches("fx"));
}

// Every fast path and RE2 fallback against the oracle, on patterns built from
// pieces that stress escapes, anchors and dots.
TEST(MatcherTest, AgreesWithAnchoredRe2OracleOnManyPatterns) {
  const std::vector<std::string> patterns = {
      "", "a", "ab", "a|b", "|a", "a|", "a||b", "a\\.b", "a\\|b", "\\\\", "\\\\.*", "a\\.*",
      ".*", ".+", ".*a", "a.*", ".*a.*", ".*.*", "a.+", ".?", "a.b", "[ab]", "[^a]", "a*", "a+b",
      "(a|b)c", "(?i)AB", "(?s).*", "a\\d", "\\w+", "x{1,2}", "é", "é.*", ".*é", "a\nb",
      "^a$", "^a", "a$", "\\Qa.b\\E", ".*a|b.*", "a.*b", "(?:ab)", "a\\-b", "\\.", "\\..*"};
  const std::vector<std::string> values = {
      "", "a", "b", "ab", "ba", "abc", "aab", "a.b", "a|b", "axb", "\\", "\\x", "A", "AB", "aB",
      "c", "ac", "bc", "a1", "xx", "x", "xxx", "é", "éa", "aé", "a\nb", "\n", "a\n", "\xff",
      "a\xff", ".", "..", "a-b", "a.", "a..", "a.b.c"};
  for (const std::string& p : patterns) {
    for (MatchType type : {MatchType::kRegexMatch, MatchType::kRegexNoMatch}) {
      const Matcher m = M(type, p);
      for (const std::string& v : values) {
        const bool want = OracleRegexMatch(p, v) != (type == MatchType::kRegexNoMatch);
        EXPECT_EQ(m.Matches(v), want) << m.ToString() << " on \"" << v << "\"";
      }
      EXPECT_EQ(m.MatchesEmpty(), m.Matches(""));
    }
  }
}

TEST(MatcherTest, AgreesWithOracleOnRandomLiteralShapes) {
  std::mt19937 rng(11);
  const std::string alphabet = "ab.\n|";
  auto random_text = [&](size_t max_len) {
    std::string s;
    const size_t len = rng() % (max_len + 1);
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    return s;
  };
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '.' || c == '|') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  };
  for (int i = 0; i < 2000; ++i) {
    const std::string lit = escape(random_text(3));
    std::string pattern;
    switch (rng() % 5) {
      case 0: pattern = lit; break;
      case 1: pattern = lit + ".*"; break;
      case 2: pattern = ".*" + lit; break;
      case 3: pattern = ".*" + lit + ".*"; break;
      default: pattern = lit + "|" + escape(random_text(3)); break;
    }
    const Matcher m = M(MatchType::kRegexMatch, pattern);
    for (int j = 0; j < 10; ++j) {
      const std::string v = random_text(6);
      ASSERT_EQ(m.Matches(v), OracleRegexMatch(pattern, v)) << pattern << " on " << v;
    }
  }
}

}  // namespace
}  // namespace vigil::tsdb
