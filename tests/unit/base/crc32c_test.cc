#include "base/crc32c.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace vigil::crc32c {
namespace {

// RFC 3720 appendix B.4 vectors, checked on both paths.
TEST(Crc32cTest, Rfc3720VectorsOnDispatchedAndPortablePaths) {
  std::string buf(32, '\0');
  EXPECT_EQ(Value(buf), 0x8a9136aau);
  EXPECT_EQ(ExtendPortable(0, buf.data(), buf.size()), 0x8a9136aau);

  buf.assign(32, '\xff');
  EXPECT_EQ(Value(buf), 0x62a8ab43u);
  EXPECT_EQ(ExtendPortable(0, buf.data(), buf.size()), 0x62a8ab43u);

  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(Value(buf), 0x46dd794eu);
  EXPECT_EQ(ExtendPortable(0, buf.data(), buf.size()), 0x46dd794eu);

  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Value(buf), 0x113fdb5cu);
  EXPECT_EQ(ExtendPortable(0, buf.data(), buf.size()), 0x113fdb5cu);

  const unsigned char iscsi_read_pdu[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(Value(iscsi_read_pdu, sizeof(iscsi_read_pdu)), 0xd9963a56u);
  EXPECT_EQ(ExtendPortable(0, iscsi_read_pdu, sizeof(iscsi_read_pdu)), 0xd9963a56u);
}

TEST(Crc32cTest, CheckString123456789) {
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
  EXPECT_EQ(ExtendPortable(0, "123456789", 9), 0xe3069283u);
}

TEST(Crc32cTest, EmptyInputIsZeroAndExtendByNothingIsIdentity) {
  EXPECT_EQ(Value("", 0), 0u);
  EXPECT_EQ(Extend(0x12345678u, nullptr, 0), 0x12345678u);
}

TEST(Crc32cTest, ExtendEqualsValueOfConcatenationAtEverySplit) {
  std::string s = "The quick brown fox jumps over the lazy dog, repeatedly and at length.";
  const uint32_t whole = Value(s);
  for (size_t split = 0; split <= s.size(); ++split) {
    uint32_t head = Value(s.data(), split);
    EXPECT_EQ(Extend(head, s.data() + split, s.size() - split), whole) << "split " << split;
  }
}

// Every length 0..300 at every alignment 0..7, so the 8-byte, 4-byte and
// 1-byte loops of both paths are exercised and must agree.
TEST(Crc32cTest, HardwareAndPortableAgreeOnAllLengthsAndAlignments) {
  std::mt19937 rng(42);
  std::string buf(320, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len + align <= 308; ++len) {
      ASSERT_EQ(Value(buf.data() + align, len), ExtendPortable(0, buf.data() + align, len))
          << "align " << align << " len " << len;
    }
  }
}

TEST(Crc32cTest, ReportsHardwarePathWhenCpuHasSse42) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  EXPECT_EQ(IsHardwareAccelerated(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  EXPECT_FALSE(IsHardwareAccelerated());
#endif
}

TEST(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  for (uint32_t crc : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x80000000u}) {
    EXPECT_NE(Mask(crc), crc);
    EXPECT_NE(Mask(Mask(crc)), crc);
    EXPECT_EQ(Unmask(Mask(crc)), crc);
    EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
  }
}

}  // namespace
}  // namespace vigil::crc32c
