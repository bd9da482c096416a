#pragma once
// The NTP server's state and its answer to one request, without sockets.
//
// SyncState is what Vigil tells clients about its own clock: leap
// indicator, stratum, reference ID, root delay and dispersion, reference
// time, and `offset`, the correction (seconds) added to the system clock
// when timestamps are served. It comes either from `ntp.local_stratum`
// (the local clock, reference "LOCL" as 127.127.1.1, like chrony's
// `local stratum N`) or from the selected upstream (NtpClient).
//
// Thread-safety: SyncStateCell is safe for concurrent use; BuildReply is
// reentrant.

#include <time.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

#include "ntp/packet.h"

namespace vigil::ntp {

// The reference ID chrony and ntpd use for the local clock (127.127.1.1).
inline constexpr uint32_t kLocalReferenceId = 0x7F7F0101;
// log2 seconds of the clock's read precision that Vigil reports (~60 ns).
inline constexpr int8_t kPrecision = -24;

struct SyncState {
  uint8_t leap = kLeapNone;
  uint8_t stratum = 10;
  uint32_t reference_id = kLocalReferenceId;
  double root_delay = 0;          // seconds
  double root_dispersion = 0.0001;  // seconds, at reference_time
  timespec reference_time{};      // when the state was last set
  double offset = 0;              // seconds added to the system clock when serving
  bool from_upstream = false;

  // The local clock at `stratum`, referenced now.
  static SyncState Local(uint8_t stratum);
};

// Holds the current SyncState; readers copy it.
class SyncStateCell {
 public:
  explicit SyncStateCell(SyncState initial) : state_(initial) {}
  SyncState Get() const {
    std::lock_guard lock(mu_);
    return state_;
  }
  void Set(const SyncState& s) {
    std::lock_guard lock(mu_);
    state_ = s;
  }

 private:
  mutable std::mutex mu_;
  SyncState state_;
};

// Adds `offset` seconds to a timespec.
timespec AddSeconds(const timespec& t, double offset);

// What to send back for one datagram.
enum class ReplyKind { kDrop, kReply, kKissRate };

// Decides how to answer `request` received at `received` (system clock).
// Only client-mode (3) requests of versions 1..4 are answered; control
// (6) and private (7) queries, other modes, short or oversized packets are
// dropped. With `rate_limited`, a valid request gets a RATE kiss-o'-death
// instead. On kReply/kKissRate, *reply holds the packet with every field
// but the transmit timestamp, which the caller stamps just before sending
// (StampTransmit).
ReplyKind BuildReply(std::span<const uint8_t> request, const timespec& received, const SyncState& state,
                     bool rate_limited, Packet* reply);

// Sets the transmit timestamp to the current system time plus `offset` and
// serializes. Call immediately before sending.
std::array<uint8_t, kHeaderSize> StampTransmit(Packet* reply, double offset);

}  // namespace vigil::ntp
