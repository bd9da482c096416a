#include "base/base64.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::string(plain));
  }
}

TEST(Base64Test, DecodeRefusesMalformedInput) {
  EXPECT_FALSE(Base64Decode("Zg="));     // length not a multiple of 4
  EXPECT_FALSE(Base64Decode("Z!=="));    // outside the alphabet
  EXPECT_FALSE(Base64Decode("Zg==Zg==")); // padding before the end
  EXPECT_FALSE(Base64Decode("Z=g="));    // data after padding
}

TEST(Base64Test, BinaryRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(char(i));
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

}  // namespace
}  // namespace vigil
