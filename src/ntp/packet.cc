#include "ntp/packet.h"

#include <cmath>

namespace vigil::ntp {
namespace {

uint32_t Get32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 24 | static_cast<uint32_t>(b[at + 1]) << 16 |
         static_cast<uint32_t>(b[at + 2]) << 8 | b[at + 3];
}

void Put32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

}  // namespace

Timestamp ToTimestamp(const timespec& ts) {
  uint64_t seconds = static_cast<uint64_t>(ts.tv_sec) + kUnixEpochOffset;
  uint64_t fraction = (static_cast<uint64_t>(ts.tv_nsec) << 32) / 1000000000ULL;
  return (seconds & 0xFFFFFFFFULL) << 32 | (fraction & 0xFFFFFFFFULL);
}

double TimestampDiff(Timestamp a, Timestamp b) {
  // Two's complement difference of the 64-bit values covers era wraps.
  auto d = static_cast<int64_t>(a - b);
  return static_cast<double>(d) / 4294967296.0;
}

double TimestampToUnix(Timestamp t, double pivot) {
  timespec p{};
  p.tv_sec = static_cast<time_t>(pivot);
  p.tv_nsec = static_cast<long>((pivot - std::floor(pivot)) * 1e9);
  return pivot + TimestampDiff(t, ToTimestamp(p));
}

uint32_t ToShort(double seconds) {
  if (!(seconds > 0)) return 0;
  double v = seconds * 65536.0;
  if (v >= 4294967295.0) return 0xFFFFFFFFu;
  return static_cast<uint32_t>(v);
}

double FromShort(uint32_t v) { return static_cast<double>(v) / 65536.0; }

std::optional<Packet> ParsePacket(std::span<const uint8_t> b) {
  if (b.size() < kHeaderSize || b.size() > kMaxPacketSize) return std::nullopt;
  Packet p;
  p.leap = b[0] >> 6;
  p.version = (b[0] >> 3) & 0x07;
  p.mode = static_cast<Mode>(b[0] & 0x07);
  p.stratum = b[1];
  p.poll = static_cast<int8_t>(b[2]);
  p.precision = static_cast<int8_t>(b[3]);
  p.root_delay = Get32(b, 4);
  p.root_dispersion = Get32(b, 8);
  p.reference_id = Get32(b, 12);
  p.reference = static_cast<uint64_t>(Get32(b, 16)) << 32 | Get32(b, 20);
  p.origin = static_cast<uint64_t>(Get32(b, 24)) << 32 | Get32(b, 28);
  p.receive = static_cast<uint64_t>(Get32(b, 32)) << 32 | Get32(b, 36);
  p.transmit = static_cast<uint64_t>(Get32(b, 40)) << 32 | Get32(b, 44);
  return p;
}

std::array<uint8_t, kHeaderSize> SerializePacket(const Packet& p) {
  std::array<uint8_t, kHeaderSize> out{};
  out[0] = static_cast<uint8_t>((p.leap & 0x03) << 6 | (p.version & 0x07) << 3 | (static_cast<uint8_t>(p.mode) & 0x07));
  out[1] = p.stratum;
  out[2] = static_cast<uint8_t>(p.poll);
  out[3] = static_cast<uint8_t>(p.precision);
  Put32(&out[4], p.root_delay);
  Put32(&out[8], p.root_dispersion);
  Put32(&out[12], p.reference_id);
  Put32(&out[16], static_cast<uint32_t>(p.reference >> 32));
  Put32(&out[20], static_cast<uint32_t>(p.reference));
  Put32(&out[24], static_cast<uint32_t>(p.origin >> 32));
  Put32(&out[28], static_cast<uint32_t>(p.origin));
  Put32(&out[32], static_cast<uint32_t>(p.receive >> 32));
  Put32(&out[36], static_cast<uint32_t>(p.receive));
  Put32(&out[40], static_cast<uint32_t>(p.transmit >> 32));
  Put32(&out[44], static_cast<uint32_t>(p.transmit));
  return out;
}

}  // namespace vigil::ntp
