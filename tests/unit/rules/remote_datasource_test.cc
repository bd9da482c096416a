#include "rules/remote_datasource.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace vigil::rules {
namespace {

TEST(ParseQueryResponseTest, VectorScalarAndSpecialValues) {
  auto v = ParseQueryResponse(
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"__name__":"up","job":"a"},"value":[1700000000.5,"1"]},)"
      R"({"metric":{},"value":[1700000000.5,"NaN"]},{"metric":{"x":"y"},"value":[1,"-Inf"]}]}})",
      42);
  ASSERT_TRUE(v.ok()) << v.status().message();
  ASSERT_EQ(v->size(), 3u);
  EXPECT_EQ((*v)[0].metric.ToString(), "up{job=\"a\"}");
  EXPECT_EQ((*v)[0].v, 1);
  EXPECT_EQ((*v)[0].t, 42);
  EXPECT_TRUE(std::isnan((*v)[1].v));
  EXPECT_EQ((*v)[2].v, -INFINITY);
  auto s = ParseQueryResponse(R"({"status":"success","data":{"resultType":"scalar","result":[1,"2.5"]}})", 7);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].v, 2.5);
  EXPECT_TRUE((*s)[0].metric.empty());
}

TEST(ParseQueryResponseTest, ErrorsAreClear) {
  EXPECT_EQ(ParseQueryResponse(R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})", 0)
                .status()
                .message(),
            "datasource: parse error at char 3");
  EXPECT_EQ(ParseQueryResponse("not json", 0).status().message(), "datasource: answer is not JSON");
  EXPECT_EQ(ParseQueryResponse(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", 0)
                .status()
                .message(),
            "rule result is not a vector or scalar");
  EXPECT_FALSE(ParseQueryResponse(R"({"status":"success","data":{"resultType":"vector","result":[{"value":1}]}})", 0)
                   .ok());
}

}  // namespace
}  // namespace vigil::rules
