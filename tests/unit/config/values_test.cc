#include "config/values.h"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

using std::chrono::milliseconds;

int64_t Ms(std::string_view s) {
  auto r = ParseDuration(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? r->count() : -1;
}

TEST(ParseDurationTest, SingleUnits) {
  EXPECT_EQ(Ms("500ms"), 500);
  EXPECT_EQ(Ms("15s"), 15'000);
  EXPECT_EQ(Ms("5m"), 300'000);
  EXPECT_EQ(Ms("2h"), 7'200'000);
  EXPECT_EQ(Ms("15d"), 15LL * 86'400'000);
  EXPECT_EQ(Ms("2w"), 14LL * 86'400'000);
  EXPECT_EQ(Ms("1y"), 365LL * 86'400'000);
}

TEST(ParseDurationTest, CompoundTermsLargestFirst) {
  EXPECT_EQ(Ms("1m30s"), 90'000);
  EXPECT_EQ(Ms("1h0m5s"), 3'605'000);
  EXPECT_EQ(Ms("1d12h"), 36LL * 3'600'000);
  EXPECT_EQ(Ms("1s500ms"), 1500);
}

TEST(ParseDurationTest, BareZeroAndZeroWithUnit) {
  EXPECT_EQ(Ms("0"), 0);
  EXPECT_EQ(Ms("0s"), 0);
  EXPECT_EQ(Ms("0ms"), 0);
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (std::string_view bad : {"", "10", "1", "s", "-1s", "1.5h", "30s1m", "1m1m", "1 m", "1M", "1sec", "15dd",
                               "1ms1s", "abc", " 1s", "1s "}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << "accepted \"" << bad << "\"";
  }
}

TEST(ParseDurationTest, RejectsOverflow) {
  EXPECT_FALSE(ParseDuration("999999999999y").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999s").ok());
  EXPECT_TRUE(ParseDuration("100y").ok());
}

TEST(ParseDurationTest, ErrorSaysWhatIsWrong) {
  auto r = ParseDuration("10");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing unit"), std::string::npos) << r.status().message();
  r = ParseDuration("30s1m");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("largest to smallest"), std::string::npos) << r.status().message();
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(15LL * 86'400'000)), "15d");
  EXPECT_EQ(FormatDuration(milliseconds(14LL * 86'400'000)), "2w");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  for (int64_t v : {1LL, 999LL, 61'001LL, 400LL * 86'400'000 + 7}) {
    EXPECT_EQ(Ms(FormatDuration(milliseconds(v))), v);
  }
}

uint64_t Bytes(std::string_view s) {
  auto r = ParseSize(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

TEST(ParseSizeTest, PlainBytes) {
  EXPECT_EQ(Bytes("0"), 0u);
  EXPECT_EQ(Bytes("1048576"), 1048576u);
  EXPECT_EQ(Bytes("12B"), 12u);
}

TEST(ParseSizeTest, DecimalAndBinaryUnits) {
  EXPECT_EQ(Bytes("1KB"), 1000u);
  EXPECT_EQ(Bytes("1KiB"), 1024u);
  EXPECT_EQ(Bytes("64MiB"), 64u << 20);
  EXPECT_EQ(Bytes("2MB"), 2'000'000u);
  EXPECT_EQ(Bytes("1GiB"), 1u << 30);
  EXPECT_EQ(Bytes("3GB"), 3'000'000'000u);
  EXPECT_EQ(Bytes("1TiB"), uint64_t(1) << 40);
  EXPECT_EQ(Bytes("1TB"), 1'000'000'000'000u);
}

TEST(ParseSizeTest, UnitsAreCaseInsensitive) {
  EXPECT_EQ(Bytes("16kib"), 16u << 10);
  EXPECT_EQ(Bytes("1mb"), 1'000'000u);
}

TEST(ParseSizeTest, FractionRoundsDown) {
  EXPECT_EQ(Bytes("1.5MiB"), 3u << 19);
  EXPECT_EQ(Bytes("0.5KB"), 500u);
  EXPECT_EQ(Bytes("1.0001KiB"), 1024u);
}

TEST(ParseSizeTest, RejectsMalformed) {
  for (std::string_view bad : {"", "-1", "MiB", "1XB", "1K", "1 MiB", "1.5", "1.MiB", "1e6", "abc", "1PiB"}) {
    EXPECT_FALSE(ParseSize(bad).ok()) << "accepted \"" << bad << "\"";
  }
}

TEST(ParseSizeTest, RejectsOverflowButAcceptsMax) {
  EXPECT_TRUE(ParseSize("18446744073709551615").ok());
  EXPECT_FALSE(ParseSize("18446744073709551616").ok());
  EXPECT_FALSE(ParseSize("20000000TiB").ok());
}

TEST(ParseHostPortTest, Accepted) {
  struct Case {
    std::string_view in;
    std::string host;
    uint16_t port;
  };
  for (const Case& c : std::initializer_list<Case>{{"0.0.0.0:8428", "0.0.0.0", 8428},
                                                   {"127.0.0.1:0", "127.0.0.1", 0},
                                                   {":80", "", 80},
                                                   {"localhost:65535", "localhost", 65535},
                                                   {"my-host.example_1.com:53", "my-host.example_1.com", 53},
                                                   {"[::1]:53", "::1", 53},
                                                   {"[::]:9100", "::", 9100},
                                                   {"[fe80::1%eth0]:123", "fe80::1%eth0", 123},
                                                   {"[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", 1}}) {
    auto r = ParseHostPort(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(r->first, c.host) << c.in;
    EXPECT_EQ(r->second, c.port) << c.in;
  }
}

TEST(ParseHostPortTest, PortOutOfRange) {
  auto r = ParseHostPort("1.2.3.4:70000");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("out of range"), std::string::npos) << r.status().message();
  EXPECT_FALSE(ParseHostPort(":65536").ok());
  EXPECT_FALSE(ParseHostPort(":999999").ok());
}

TEST(ParseHostPortTest, Rejected) {
  for (std::string_view bad : {"", "abc", "8428", "host:", ":", "::1:53", "[::1]", "[::1]53", "[nothex]:1",
                               "1.2.3:80", "256.1.1.1:80", "bad host:1", "-a.com:1", "a..b:1", "h:-1", "h:8a",
                               "h:+80"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << "accepted \"" << bad << "\"";
  }
}

TEST(ParseHostPortTest, UnbracketedIpv6SaysToUseBrackets) {
  auto r = ParseHostPort("::1:53");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("[::1]:53"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace vigil::config
