#include "base/time_format.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(TimeFormatTest, Rfc3339LikeGo) {
  EXPECT_EQ(FormatRfc3339Millis(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Millis(1677672000123), "2023-03-01T12:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Millis(1677672000100), "2023-03-01T12:00:00.1Z");
  EXPECT_EQ(FormatRfc3339Millis(1677672000000), "2023-03-01T12:00:00Z");
}

}  // namespace
}  // namespace vigil
