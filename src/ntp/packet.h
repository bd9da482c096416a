#pragma once
// NTP packets (RFC 5905 §7.3): the 48-byte header that every NTP message
// starts with, its timestamp formats, and conversions to and from Unix time.
// Extension fields and MACs after the header are accepted and ignored.
//
// Thread-safety: plain values and reentrant functions.

#include <time.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace vigil::ntp {

inline constexpr size_t kHeaderSize = 48;
// Longest packet accepted: header, a few extension fields and a MAC.
inline constexpr size_t kMaxPacketSize = 1024;
// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
inline constexpr uint64_t kUnixEpochOffset = 2208988800ULL;

enum class Mode : uint8_t {
  kReserved = 0,
  kSymmetricActive = 1,
  kSymmetricPassive = 2,
  kClient = 3,
  kServer = 4,
  kBroadcast = 5,
  kControl = 6,  // ntpq
  kPrivate = 7,  // ntpdc (the monlist amplifier)
};

// Leap indicator values.
inline constexpr uint8_t kLeapNone = 0;
inline constexpr uint8_t kLeapUnsynchronized = 3;

// 64-bit NTP timestamp: seconds since 1900 (32 bits) and fraction (32 bits).
// 0 means "unknown".
using Timestamp = uint64_t;

// Converts a CLOCK_REALTIME time to an NTP timestamp (era 0 wraps in 2036,
// as the format does).
Timestamp ToTimestamp(const timespec& ts);
// Seconds (with fraction) since the Unix epoch; for offset arithmetic.
// Timestamps are taken to lie within 68 years of `pivot_unix_seconds`.
double TimestampToUnix(Timestamp t, double pivot_unix_seconds);
// Difference a - b in seconds, valid when they are within 68 years.
double TimestampDiff(Timestamp a, Timestamp b);
// NTP short format (16.16 seconds), saturating.
uint32_t ToShort(double seconds);
double FromShort(uint32_t v);

struct Packet {
  uint8_t leap = 0;
  uint8_t version = 4;
  Mode mode = Mode::kClient;
  uint8_t stratum = 0;
  int8_t poll = 0;
  int8_t precision = 0;
  uint32_t root_delay = 0;       // short format
  uint32_t root_dispersion = 0;  // short format
  uint32_t reference_id = 0;
  Timestamp reference = 0;
  Timestamp origin = 0;
  Timestamp receive = 0;
  Timestamp transmit = 0;
};

// Parses the header. nullopt when shorter than 48 bytes or longer than
// kMaxPacketSize; every 48-byte value is otherwise a Packet.
std::optional<Packet> ParsePacket(std::span<const uint8_t> wire);
std::array<uint8_t, kHeaderSize> SerializePacket(const Packet& p);

// Reference ID for a kiss code or a 4-letter source name ("RATE", "LOCL").
constexpr uint32_t KissCode(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 8 | static_cast<uint8_t>(s[3]);
}

}  // namespace vigil::ntp
