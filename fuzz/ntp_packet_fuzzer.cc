// Fuzzes the NTP packet parser and the server's reply decision (network input).
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "ntp/client.h"
#include "ntp/server_core.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::span<const uint8_t> in(data, size);
  auto p = vigil::ntp::ParsePacket(in);
  if (p) {
    auto wire = vigil::ntp::SerializePacket(*p);
    auto again = vigil::ntp::ParsePacket(wire);
    if (!again || again->transmit != p->transmit || again->origin != p->origin) __builtin_trap();
    (void)vigil::ntp::ComputeSample(p->reference, p->origin, p->receive, p->transmit);
  }
  timespec rx{1700000000, 123456789};
  vigil::ntp::Packet reply;
  for (bool limited : {false, true}) {
    auto kind = vigil::ntp::BuildReply(in, rx, vigil::ntp::SyncState::Local(10), limited, &reply);
    if (kind != vigil::ntp::ReplyKind::kDrop && p && reply.origin != p->transmit) __builtin_trap();
  }
  return 0;
}
