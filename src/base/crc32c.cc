#include "base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define VIGIL_CRC32C_X86 1
#endif

namespace vigil::crc32c {
namespace {

constexpr uint32_t kReflectedPoly = 0x82f63b78u;

// Slicing-by-8 tables: kTables[0] is the classic byte-at-a-time table;
// kTables[k][b] is the CRC of byte b followed by k zero bytes, which lets the
// loop fold 8 input bytes with 8 independent lookups.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kReflectedPoly : 0);
    t[0][b] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// Little-endian load independent of host byte order; compiles to one mov on x86.
inline uint32_t LoadLE32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

uint32_t SoftwareExtend(uint32_t init_crc, const uint8_t* p, size_t n) {
  uint32_t crc = ~init_crc;
  while (n >= 8) {
    uint32_t lo = crc ^ LoadLE32(p);
    uint32_t hi = LoadLE32(p + 4);
    crc = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
          kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xff];
    ++p;
    --n;
  }
  return ~crc;
}

#ifdef VIGIL_CRC32C_X86
// Compiled for SSE4.2 by attribute only; called only after the CPU check.
__attribute__((target("sse4.2"))) uint32_t Sse42Extend(uint32_t init_crc, const uint8_t* p, size_t n) {
  uint32_t crc = ~init_crc;
#if defined(__x86_64__)
  uint64_t crc64 = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    crc64 = _mm_crc32_u64(crc64, word);
    p += 8;
    n -= 8;
  }
  crc = static_cast<uint32_t>(crc64);
#endif
  while (n >= 4) {
    uint32_t word;
    std::memcpy(&word, p, sizeof(word));
    crc = _mm_crc32_u32(crc, word);
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    crc = _mm_crc32_u8(crc, *p);
    ++p;
    --n;
  }
  return ~crc;
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

ExtendFn ChooseExtend() {
#ifdef VIGIL_CRC32C_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) return Sse42Extend;
#endif
  return SoftwareExtend;
}

ExtendFn Implementation() {
  static const ExtendFn fn = ChooseExtend();
  return fn;
}

}  // namespace

uint32_t Extend(uint32_t init_crc, const void* data, size_t n) {
  if (n == 0) return init_crc;
  return Implementation()(init_crc, static_cast<const uint8_t*>(data), n);
}

uint32_t ExtendPortable(uint32_t init_crc, const void* data, size_t n) {
  if (n == 0) return init_crc;
  return SoftwareExtend(init_crc, static_cast<const uint8_t*>(data), n);
}

bool IsHardwareAccelerated() { return Implementation() != SoftwareExtend; }

}  // namespace vigil::crc32c
