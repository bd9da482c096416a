#include "ntp/server_core.h"

#include <algorithm>
#include <cmath>

namespace vigil::ntp {

// Dispersion grows by this much per second since the reference time
// (RFC 5905 PHI: 15 ppm).
constexpr double kPhi = 15e-6;

SyncState SyncState::Local(uint8_t stratum) {
  SyncState s;
  s.stratum = stratum;
  clock_gettime(CLOCK_REALTIME, &s.reference_time);
  return s;
}

timespec AddSeconds(const timespec& t, double offset) {
  if (offset == 0) return t;
  double whole = std::floor(offset);
  timespec out = t;
  out.tv_sec += static_cast<time_t>(whole);
  out.tv_nsec += static_cast<long>((offset - whole) * 1e9);
  if (out.tv_nsec >= 1000000000L) {
    out.tv_nsec -= 1000000000L;
    ++out.tv_sec;
  }
  return out;
}

ReplyKind BuildReply(std::span<const uint8_t> request, const timespec& received, const SyncState& state,
                     bool rate_limited, Packet* reply) {
  auto req = ParsePacket(request);
  if (!req) return ReplyKind::kDrop;
  if (req->mode != Mode::kClient || req->version < 1 || req->version > 4) return ReplyKind::kDrop;

  Packet p;
  p.version = req->version;
  p.mode = Mode::kServer;
  p.poll = std::clamp<int8_t>(req->poll, 4, 17);
  p.precision = kPrecision;
  p.origin = req->transmit;
  if (rate_limited) {
    // RFC 5905 §7.4: stratum 0, the kiss code in the reference ID.
    p.leap = kLeapUnsynchronized;
    p.stratum = 0;
    p.reference_id = KissCode("RATE");
    p.receive = ToTimestamp(AddSeconds(received, state.offset));
    *reply = p;
    return ReplyKind::kKissRate;
  }
  p.leap = state.leap;
  p.stratum = state.stratum;
  p.reference_id = state.reference_id;
  p.root_delay = ToShort(state.root_delay);
  double age = static_cast<double>(received.tv_sec - state.reference_time.tv_sec) +
               static_cast<double>(received.tv_nsec - state.reference_time.tv_nsec) * 1e-9;
  p.root_dispersion = ToShort(state.root_dispersion + kPhi * std::max(age, 0.0));
  p.reference = ToTimestamp(AddSeconds(state.reference_time, state.offset));
  p.receive = ToTimestamp(AddSeconds(received, state.offset));
  *reply = p;
  return ReplyKind::kReply;
}

std::array<uint8_t, kHeaderSize> StampTransmit(Packet* reply, double offset) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  reply->transmit = ToTimestamp(AddSeconds(now, offset));
  return SerializePacket(*reply);
}

}  // namespace vigil::ntp
