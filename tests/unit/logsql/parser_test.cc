#include <gtest/gtest.h>

#include "logsql/logsql.h"

namespace vigil::logsql {
namespace {

TEST(Parse, PlaceholderCompiles) { EXPECT_TRUE(Parse("error").ok()); }

}  // namespace
}  // namespace vigil::logsql
