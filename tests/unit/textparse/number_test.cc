#include "textparse/number.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace vigil::textparse::internal {
namespace {

double Parse(std::string_view s) {
  double v = -12345;
  EXPECT_EQ(ParseGoFloat(s, &v), NumberError::kOk) << s;
  return v;
}

NumberError ErrorOf(std::string_view s) {
  double v = 0;
  return ParseGoFloat(s, &v);
}

TEST(ParseGoFloat, DecimalForms) {
  EXPECT_EQ(Parse("0"), 0.0);
  EXPECT_EQ(Parse("7"), 7.0);
  EXPECT_EQ(Parse("-7"), -7.0);
  EXPECT_EQ(Parse("+7"), 7.0);
  EXPECT_EQ(Parse("1.5"), 1.5);
  EXPECT_EQ(Parse(".5"), 0.5);
  EXPECT_EQ(Parse("5."), 5.0);
  EXPECT_EQ(Parse("1.446009e+06"), 1446009.0);
  EXPECT_EQ(Parse("4.9351e-05"), 4.9351e-05);
  EXPECT_EQ(Parse("7.424100000000001e-05"), 7.424100000000001e-05);
  EXPECT_EQ(Parse("1E3"), 1000.0);
  EXPECT_EQ(Parse("1.e2"), 100.0);
  EXPECT_EQ(Parse("007"), 7.0);
  EXPECT_EQ(Parse("0.1"), 0.1);
  EXPECT_EQ(Parse("123.123"), 123.123);
}

TEST(ParseGoFloat, NegativeZeroKeepsSign) {
  double v = Parse("-0");
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(std::signbit(v));
}

TEST(ParseGoFloat, LongMantissaUsesCorrectlyRoundedSlowPath) {
  EXPECT_EQ(Parse("1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(Parse("12345678901234567890123"), 12345678901234567890123.0);
  EXPECT_EQ(Parse("0.30000000000000000000001"), 0.3);
  EXPECT_EQ(Parse("9007199254740993"), 9007199254740992.0);  // ties to even
  EXPECT_EQ(Parse("1e23"), 1e23);
}

TEST(ParseGoFloat, SpecialValuesCaseInsensitive) {
  EXPECT_TRUE(std::isnan(Parse("NaN")));
  EXPECT_TRUE(std::isnan(Parse("nan")));
  EXPECT_TRUE(std::isnan(Parse("NAN")));
  EXPECT_EQ(Parse("+Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("-Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(Parse("INFINITY"), std::numeric_limits<double>::infinity());
}

TEST(ParseGoFloat, SignedNaNAndPartialWordsAreSyntaxErrors) {
  EXPECT_EQ(ErrorOf("+NaN"), NumberError::kSyntax);
  EXPECT_EQ(ErrorOf("-nan"), NumberError::kSyntax);
  EXPECT_EQ(ErrorOf("infin"), NumberError::kSyntax);
  EXPECT_EQ(ErrorOf("Infx"), NumberError::kSyntax);
  EXPECT_EQ(ErrorOf("nanx"), NumberError::kSyntax);
  EXPECT_EQ(ErrorOf("true"), NumberError::kSyntax);
}

TEST(ParseGoFloat, MalformedDecimalsAreSyntaxErrors) {
  for (const char* s : {"", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "1z", "1 ", " 1", "0x10", "1,5", "--1", "1\r"}) {
    EXPECT_EQ(ErrorOf(s), NumberError::kSyntax) << '"' << s << '"';
  }
}

TEST(ParseGoFloat, HexAndUnderscoresAreUnsupportedCharacters) {
  EXPECT_EQ(ErrorOf("0x1p-3"), NumberError::kUnsupportedChar);
  EXPECT_EQ(ErrorOf("0x1P-3"), NumberError::kUnsupportedChar);
  EXPECT_EQ(ErrorOf("1_000"), NumberError::kUnsupportedChar);
}

TEST(ParseGoFloat, OverflowIsRangeErrorUnderflowIsZero) {
  EXPECT_EQ(ErrorOf("1e309"), NumberError::kRange);
  EXPECT_EQ(ErrorOf("-1e400"), NumberError::kRange);
  EXPECT_EQ(Parse("1e-400"), 0.0);
  EXPECT_EQ(Parse("0e99999999999"), 0.0);
  EXPECT_EQ(Parse("4.9406564584124654e-324"), std::numeric_limits<double>::denorm_min());
}

TEST(ParseDigitsInt64, BoundsAndOverflow) {
  int64_t v = 0;
  EXPECT_EQ(ParseDigitsInt64("0", &v), NumberError::kOk);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(ParseDigitsInt64("9223372036854775807", &v), NumberError::kOk);
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseDigitsInt64("9223372036854775808", &v), NumberError::kRange);
  EXPECT_EQ(ParseDigitsInt64("99999999999999999999999", &v), NumberError::kRange);
}

TEST(ErrorTexts, MatchGoStrconv) {
  EXPECT_EQ(FloatErrorText(NumberError::kSyntax, "1z"), "strconv.ParseFloat: parsing \"1z\": invalid syntax");
  EXPECT_EQ(FloatErrorText(NumberError::kRange, "1e999"), "strconv.ParseFloat: parsing \"1e999\": value out of range");
  EXPECT_EQ(FloatErrorText(NumberError::kUnsupportedChar, "1_2"), "unsupported character in float");
  EXPECT_EQ(IntErrorText(NumberError::kRange, "99999999999999999999"),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
}

TEST(GoQuote, EscapesLikeGoPercentQ) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\t"), "\"a\\\"b\\\\c\\n\\t\"");
  EXPECT_EQ(GoQuote(std::string("\x00\xff", 2)), "\"\\x00\\xff\"");
  EXPECT_EQ(GoQuote("héllo"), "\"héllo\"");
  EXPECT_EQ(GoQuote("abcdef", 3), "\"abc...\"");
}

TEST(IsValidUtf8, RejectsOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

}  // namespace
}  // namespace vigil::textparse::internal
