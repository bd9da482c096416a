// Go's UTF-8 decoding and strings.ToLower / ToUpper (base/go_text.h).

#include "base/go_text.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::gotext {
namespace {

TEST(DecodeRuneTest, FollowsGoRules) {
  uint32_t r = 0;
  EXPECT_EQ(DecodeRune("a", &r), 1u);
  EXPECT_EQ(r, uint32_t{'a'});
  EXPECT_EQ(DecodeRune("é", &r), 2u);
  EXPECT_EQ(r, 0xE9u);
  EXPECT_EQ(DecodeRune("€", &r), 3u);
  EXPECT_EQ(r, 0x20ACu);
  EXPECT_EQ(DecodeRune("\xF0\x9F\x98\x80", &r), 4u);
  EXPECT_EQ(r, 0x1F600u);
  EXPECT_EQ(DecodeRune("\xC0\x80", &r), 1u);  // overlong
  EXPECT_EQ(r, kRuneError);
  EXPECT_EQ(DecodeRune("\xED\xA0\x80", &r), 1u);  // surrogate
  EXPECT_EQ(r, kRuneError);
  EXPECT_EQ(DecodeRune("\xE2\x82", &r), 1u);  // truncated
  EXPECT_EQ(r, kRuneError);
  EXPECT_EQ(DecodeRune("\xF4\x90\x80\x80", &r), 1u);  // above U+10FFFF
}

TEST(GoCaseTest, AsciiFastPath) {
  EXPECT_EQ(GoToLower("bAr123Foo"), "bar123foo");
  EXPECT_EQ(GoToUpper("bAr123Foo"), "BAR123FOO");
  EXPECT_EQ(GoToLower(""), "");
}

TEST(GoCaseTest, UnicodeSimpleMapping) {
  EXPECT_EQ(GoToLower("ÀÉÎ"), "àéî");
  EXPECT_EQ(GoToUpper("àéî"), "ÀÉÎ");
  EXPECT_EQ(GoToUpper("ǆ"), "Ǆ");
  EXPECT_EQ(GoToLower("İ"), "i");  // U+0130 lowers to plain i (simple mapping)
}

TEST(GoCaseTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(GoToLower(std::string("A\xff") + "B"), std::string("a\xEF\xBF\xBD") + "b");
  EXPECT_EQ(GoToUpper("\xC3"), "\xEF\xBF\xBD");
}

TEST(GoCaseTest, TitleCaseRuneMapping) {
  EXPECT_EQ(ToUpperRune('a'), uint32_t{'A'});
  EXPECT_EQ(ToUpperRune(0xE9), 0xC9u);  // é -> É
  EXPECT_EQ(ToLowerRune('Q'), uint32_t{'q'});
  EXPECT_EQ(ToUpperRune('1'), uint32_t{'1'});
}

TEST(GoCaseTest, AppendRuneReplacesInvalidCodePoints) {
  std::string out;
  AppendRune(0x20AC, &out);
  AppendRune(0xD800, &out);    // surrogate
  AppendRune(0x110000, &out);  // above U+10FFFF
  EXPECT_EQ(out, "\xE2\x82\xAC\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace vigil::gotext
