#include <gtest/gtest.h>

#include "template/template.h"

namespace vigil::tmpl {
namespace {

TEST(TemplateSmoke, PlainTextAndValue) {
  auto t = Template::Parse("test", "hello {{ 1 }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto out = t->Execute(Value());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "hello 1");
}

}  // namespace
}  // namespace vigil::tmpl
