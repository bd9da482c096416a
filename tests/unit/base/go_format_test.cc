#include "base/go_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace vigil {
namespace {

// Expected strings are what Go's fmt.Sprint(float64) prints.
TEST(GoFormatTest, ShortestDigitsAndGoExponentRule) {
  EXPECT_EQ(FormatGoFloat(1), "1");
  EXPECT_EQ(FormatGoFloat(0.5), "0.5");
  EXPECT_EQ(FormatGoFloat(0.1), "0.1");
  EXPECT_EQ(FormatGoFloat(123456), "123456");
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(1234567), "1.234567e+06");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloat(1.6224e-05), "1.6224e-05");
  EXPECT_EQ(FormatGoFloat(1e100), "1e+100");
}

TEST(GoFormatTest, SpecialValues) {
  EXPECT_EQ(FormatGoFloat(0.0), "0");
  EXPECT_EQ(FormatGoFloat(-0.0), "-0");
  EXPECT_EQ(FormatGoFloat(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatGoFloat(INFINITY), "+Inf");
  EXPECT_EQ(FormatGoFloat(-INFINITY), "-Inf");
}

}  // namespace
}  // namespace vigil
