// Go-compatible regexp.Expand templates (UTF-8 decoding and case mapping
// are tested with base/go_text).

#include "relabel/go_text.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace vigil::relabel::internal {
namespace {

// Expands `tmpl` against a match with groups {whole, g1, g2, ...} and the
// given names.
std::string Expand(std::string_view tmpl, const std::vector<std::string_view>& groups,
                   const std::map<std::string, int>& names = {}) {
  std::string out;
  ExpandTemplate(tmpl, MatchGroups{groups, &names}, &out);
  return out;
}

const std::vector<std::string_view> kGroups = {"whole", "one", "two"};

TEST(ExpandTemplateTest, NumberedGroups) {
  EXPECT_EQ(Expand("$1", kGroups), "one");
  EXPECT_EQ(Expand("${1}", kGroups), "one");
  EXPECT_EQ(Expand("$0", kGroups), "whole");
  EXPECT_EQ(Expand("a$2b", kGroups), "a");  // `$2b` is the (absent) group named "2b"
  EXPECT_EQ(Expand("a${2}b", kGroups), "atwob");
  EXPECT_EQ(Expand("$1$2", kGroups), "onetwo");
  EXPECT_EQ(Expand("${1}-${2}", kGroups), "one-two");
}

TEST(ExpandTemplateTest, DigitsThenLettersNameAGroup) {
  EXPECT_EQ(Expand("$1x", kGroups), "");
  EXPECT_EQ(Expand("$1x", kGroups, {{"1x", 2}}), "two");
  EXPECT_EQ(Expand("$1_", kGroups), "");
  EXPECT_EQ(Expand("$1-", kGroups), "one-");
}

TEST(ExpandTemplateTest, MissingGroupsExpandToEmpty) {
  EXPECT_EQ(Expand("[$3]", kGroups), "[]");
  EXPECT_EQ(Expand("[${9}]", kGroups), "[]");
  EXPECT_EQ(Expand("[$name]", kGroups), "[]");
  EXPECT_EQ(Expand("[$1]", {"whole", {}}), "[]");  // group did not take part
}

TEST(ExpandTemplateTest, NamedGroups) {
  const std::map<std::string, int> names = {{"host", 1}, {"port", 2}};
  EXPECT_EQ(Expand("$host:${port}", kGroups, names), "one:two");
  EXPECT_EQ(Expand("${host}x", kGroups, names), "onex");
  EXPECT_EQ(Expand("$hostx", kGroups, names), "");  // name is "hostx"
}

TEST(ExpandTemplateTest, DollarEscapesAndMalformedReferences) {
  EXPECT_EQ(Expand("$$", kGroups), "$");
  EXPECT_EQ(Expand("$$1", kGroups), "$1");
  EXPECT_EQ(Expand("$$$1", kGroups), "$one");
  EXPECT_EQ(Expand("$", kGroups), "$");
  EXPECT_EQ(Expand("a$", kGroups), "a$");
  EXPECT_EQ(Expand("${", kGroups), "${");
  EXPECT_EQ(Expand("${}", kGroups), "${}");
  EXPECT_EQ(Expand("${1", kGroups), "${1");
  EXPECT_EQ(Expand("${1 }", kGroups), "${1 }");
  EXPECT_EQ(Expand("$-1", kGroups), "$-1");
  EXPECT_EQ(Expand("${1}}", kGroups), "one}");
  EXPECT_EQ(Expand("no refs", kGroups), "no refs");
  EXPECT_EQ(Expand("", kGroups), "");
}

TEST(ExpandTemplateTest, LeadingZeroAndHugeNumbersAreNames) {
  EXPECT_EQ(Expand("$01", kGroups), "");
  EXPECT_EQ(Expand("$01", kGroups, {{"01", 1}}), "one");
  EXPECT_EQ(Expand("$00", kGroups), "");
  // Up to 9 digits still parse as a number (out of range here: empty);
  // 10 digits are a name.
  EXPECT_EQ(Expand("$100000000", kGroups), "");
  EXPECT_EQ(Expand("$1000000000", kGroups, {{"1000000000", 1}}), "one");
}

TEST(ExpandTemplateTest, UnicodeLettersBelongToNames) {
  // `é` is a letter, so the name is "1é"; `€` is not, so it ends the name.
  EXPECT_EQ(Expand("$1é", kGroups), "");
  EXPECT_EQ(Expand("$1€", kGroups), "one€");
  EXPECT_EQ(Expand("$1٣", kGroups), "");  // Arabic-Indic digit three (Nd)
  EXPECT_EQ(Expand("$1\xff", kGroups), "one\xff");  // invalid UTF-8 ends a name
}

}  // namespace
}  // namespace vigil::relabel::internal
