#include <gtest/gtest.h>

#include "ntp/client.h"
#include "ntp/packet.h"
#include "ntp/server_core.h"

namespace vigil::ntp {
namespace {

std::vector<uint8_t> Request(uint8_t first_byte, Timestamp transmit, size_t extra = 0) {
  Packet p;
  p.transmit = transmit;
  auto wire = SerializePacket(p);
  std::vector<uint8_t> out(wire.begin(), wire.end());
  out[0] = first_byte;
  out.resize(out.size() + extra);
  return out;
}

TEST(PacketTest, TimestampsConvertBothWays) {
  timespec t{1700000000, 500000000};
  Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts >> 32, 1700000000ULL + kUnixEpochOffset);
  EXPECT_NEAR(static_cast<double>(ts & 0xFFFFFFFF) / 4294967296.0, 0.5, 1e-9);
  EXPECT_NEAR(TimestampToUnix(ts, 1700000000.0), 1700000000.5, 1e-6);
  EXPECT_NEAR(TimestampDiff(ToTimestamp({1700000001, 0}), ts), 0.5, 1e-9);
  EXPECT_EQ(ToShort(1.5), 0x00018000u);
  EXPECT_EQ(ToShort(-1), 0u);
}

TEST(PacketTest, ParseRejectsShortAndOversizedPackets) {
  std::vector<uint8_t> b(47);
  EXPECT_FALSE(ParsePacket(b).has_value());
  b.resize(kMaxPacketSize + 1);
  EXPECT_FALSE(ParsePacket(b).has_value());
  b.resize(48);
  EXPECT_TRUE(ParsePacket(b).has_value());
}

TEST(ServerCoreTest, ClientRequestGetsServerReplyWithOriginEchoed) {
  SyncState state = SyncState::Local(7);
  timespec rx{};
  clock_gettime(CLOCK_REALTIME, &rx);
  Packet reply;
  auto req = Request(0x23, 0x1122334455667788ULL);  // v4, mode 3
  ASSERT_EQ(BuildReply(req, rx, state, false, &reply), ReplyKind::kReply);
  EXPECT_EQ(reply.mode, Mode::kServer);
  EXPECT_EQ(reply.version, 4);
  EXPECT_EQ(reply.stratum, 7);
  EXPECT_EQ(reply.reference_id, kLocalReferenceId);
  EXPECT_EQ(reply.origin, 0x1122334455667788ULL);
  EXPECT_EQ(reply.receive, ToTimestamp(rx));
  auto wire = StampTransmit(&reply, 0);
  EXPECT_GE(reply.transmit, reply.receive);
  EXPECT_EQ(ParsePacket(wire)->transmit, reply.transmit);
}

TEST(ServerCoreTest, ControlPrivateOtherModesAndBadVersionsAreDropped) {
  SyncState state = SyncState::Local(10);
  timespec rx{};
  Packet reply;
  for (uint8_t b : {0x26, 0x27, 0x24, 0x25, 0x21, 0x22, 0x03, 0x2b, 0x3b}) {
    EXPECT_EQ(BuildReply(Request(b, 1), rx, state, false, &reply), ReplyKind::kDrop) << int(b);
  }
  EXPECT_EQ(BuildReply(Request(0x1b, 1), rx, state, false, &reply), ReplyKind::kReply);  // v3
  EXPECT_EQ(BuildReply(Request(0x23, 1, 24), rx, state, false, &reply), ReplyKind::kReply);  // extension
}

TEST(ServerCoreTest, RateLimitedClientGetsRateKiss) {
  Packet reply;
  timespec rx{};
  ASSERT_EQ(BuildReply(Request(0x23, 42), rx, SyncState::Local(10), true, &reply), ReplyKind::kKissRate);
  EXPECT_EQ(reply.stratum, 0);
  EXPECT_EQ(reply.leap, kLeapUnsynchronized);
  EXPECT_EQ(reply.reference_id, KissCode("RATE"));
  EXPECT_EQ(reply.origin, 42u);
}

TEST(ServerCoreTest, ServedTimestampsIncludeTheOffset) {
  SyncState state = SyncState::Local(3);
  state.offset = 2.25;
  timespec rx{1700000000, 900000000};
  Packet reply;
  ASSERT_EQ(BuildReply(Request(0x23, 1), rx, state, false, &reply), ReplyKind::kReply);
  EXPECT_NEAR(TimestampDiff(reply.receive, ToTimestamp(rx)), 2.25, 1e-6);
}

TEST(ClientTest, OffsetAndDelayFollowRfc5905) {
  // Server clock 1 s ahead; 10 ms each way; 2 ms in the server.
  auto at = [](double s) {
    timespec t{static_cast<time_t>(s), static_cast<long>((s - static_cast<double>(static_cast<time_t>(s))) * 1e9)};
    return ToTimestamp(t);
  };
  double t1 = 1700000000.0;
  Sample s = ComputeSample(at(t1), at(t1 + 1.010), at(t1 + 1.012), at(t1 + 0.022));
  EXPECT_NEAR(s.offset, 1.0, 1e-6);
  EXPECT_NEAR(s.delay, 0.020, 1e-6);
}

}  // namespace
}  // namespace vigil::ntp
