#include "base/varint.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(VarintTest, FixedWidthIsLittleEndianAndRoundTrips) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  ASSERT_EQ(s, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  std::string_view in = s;
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0x04030201u);
  EXPECT_EQ(b, 0x0807060504030201ull);
  EXPECT_TRUE(in.empty());
}

TEST(VarintTest, FixedWidthFailsOnShortInputWithoutConsuming) {
  std::string_view in("\x01\x02\x03", 3);
  uint32_t a = 7;
  uint64_t b = 9;
  EXPECT_FALSE(GetFixed32(&in, &a));
  EXPECT_FALSE(GetFixed64(&in, &b));
  EXPECT_EQ(in.size(), 3u);
  EXPECT_EQ(a, 7u);
  EXPECT_EQ(b, 9u);
}

TEST(VarintTest, KnownEncodings) {
  auto enc = [](uint64_t v) {
    std::string s;
    PutVarint64(&s, v);
    return s;
  };
  EXPECT_EQ(enc(0), std::string("\x00", 1));
  EXPECT_EQ(enc(1), "\x01");
  EXPECT_EQ(enc(127), "\x7f");
  EXPECT_EQ(enc(128), "\x80\x01");
  EXPECT_EQ(enc(300), "\xac\x02");
  EXPECT_EQ(enc(UINT64_MAX), "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
}

TEST(VarintTest, Varint64RoundTripsPowersOfTwoAndNeighbours) {
  std::vector<uint64_t> values = {0, UINT64_MAX};
  for (int k = 0; k < 64; ++k) {
    uint64_t p = uint64_t{1} << k;
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (uint64_t v : values) {
    uint64_t got = 0;
    const size_t before = in.size();
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(before - in.size(), VarintLength(v));
  }
  EXPECT_TRUE(in.empty());
}

TEST(VarintTest, Varint32RoundTripsAndEncodeReturnsEnd) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 16383u, 16384u, 0x0fffffffu, 0x10000000u, UINT32_MAX}) {
    char buf[kMaxVarint32Bytes];
    char* end = EncodeVarint32(buf, v);
    ASSERT_EQ(static_cast<size_t>(end - buf), VarintLength(v));
    std::string_view in(buf, static_cast<size_t>(end - buf));
    uint32_t got = 0;
    ASSERT_TRUE(GetVarint32(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(VarintTest, TruncatedVarintFailsAtEveryCutWithoutConsuming) {
  std::string s;
  PutVarint64(&s, UINT64_MAX);
  for (size_t cut = 0; cut < s.size(); ++cut) {
    std::string_view in(s.data(), cut);
    uint64_t got = 5;
    EXPECT_FALSE(GetVarint64(&in, &got)) << cut;
    EXPECT_EQ(in.size(), cut);
    EXPECT_EQ(got, 5u);
  }
}

TEST(VarintTest, Varint64RejectsOverflowAndOverlongEncodings) {
  uint64_t got;
  std::string_view eleven("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x01", 11);
  EXPECT_FALSE(GetVarint64(&eleven, &got));
  std::string_view tenth_byte_too_big("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  EXPECT_FALSE(GetVarint64(&tenth_byte_too_big, &got));
  EXPECT_EQ(tenth_byte_too_big.size(), 10u);
}

TEST(VarintTest, Varint32RejectsValuesAbove32BitsAndSixByteEncodings) {
  uint32_t got = 3;
  std::string s;
  PutVarint64(&s, uint64_t{UINT32_MAX} + 1);
  std::string_view too_big = s;
  EXPECT_FALSE(GetVarint32(&too_big, &got));
  EXPECT_EQ(too_big.size(), s.size());
  std::string_view six("\x80\x80\x80\x80\x80\x00", 6);
  EXPECT_FALSE(GetVarint32(&six, &got));
  EXPECT_EQ(got, 3u);
}

TEST(VarintTest, NonMinimalEncodingIsAccepted) {
  std::string_view in("\x80\x00", 2);
  uint64_t got = 9;
  ASSERT_TRUE(GetVarint64(&in, &got));
  EXPECT_EQ(got, 0u);
  EXPECT_TRUE(in.empty());
}

TEST(VarintTest, ZigZagMapsSmallMagnitudesToSmallCodes) {
  EXPECT_EQ(ZigZagEncode64(0), 0u);
  EXPECT_EQ(ZigZagEncode64(-1), 1u);
  EXPECT_EQ(ZigZagEncode64(1), 2u);
  EXPECT_EQ(ZigZagEncode64(-2), 3u);
  EXPECT_EQ(ZigZagEncode64(std::numeric_limits<int64_t>::max()), UINT64_MAX - 1);
  EXPECT_EQ(ZigZagEncode64(std::numeric_limits<int64_t>::min()), UINT64_MAX);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-123456789}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ZigZagDecode64(ZigZagEncode64(v)), v);
    std::string s;
    PutVarintSigned64(&s, v);
    std::string_view in = s;
    int64_t got = 0;
    ASSERT_TRUE(GetVarintSigned64(&in, &got));
    EXPECT_EQ(got, v);
  }
}

TEST(VarintTest, LengthPrefixedRoundTripsIncludingEmpty) {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "hello");
  PutLengthPrefixed(&s, std::string(300, 'x'));
  std::string_view in = s;
  std::string_view a, b, c;
  ASSERT_TRUE(GetLengthPrefixed(&in, &a));
  ASSERT_TRUE(GetLengthPrefixed(&in, &b));
  ASSERT_TRUE(GetLengthPrefixed(&in, &c));
  EXPECT_EQ(a, "");
  EXPECT_EQ(b, "hello");
  EXPECT_EQ(c, std::string(300, 'x'));
  EXPECT_TRUE(in.empty());
}

TEST(VarintTest, LengthPrefixedFailsWhenBytesAreMissingWithoutConsuming) {
  std::string s;
  PutLengthPrefixed(&s, "hello");
  std::string_view in(s.data(), s.size() - 1);
  std::string_view out = "untouched";
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(in.size(), s.size() - 1);
  EXPECT_EQ(out, "untouched");
}

}  // namespace
}  // namespace vigil
