#pragma once
// CRC-32C (Castagnoli polynomial 0x1EDC6F41, bit-reflected 0x82F63B78), the
// checksum of iSCSI (RFC 3720), ext4 metadata and SSE4.2's crc32 instruction.
//
// Extend() picks, once per process, the SSE4.2 instruction when the CPU has
// it (detected at run time, so the build needs no -msse4.2) and a
// table-driven software path otherwise. Both give identical results.
//
// All functions are pure and safe to call from any thread.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil::crc32c {

// Returns the CRC-32C of A + data[0, n), where `init_crc` is the CRC-32C of
// some byte string A (0 for the empty string). So Extend(Value(a), b) ==
// Value(a + b). REQUIRES: data points to n readable bytes (may be null if n == 0).
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);

// Same as Extend(), always on the software path; for tests and benchmarks.
uint32_t ExtendPortable(uint32_t init_crc, const void* data, size_t n);

// Whether Extend() runs on the SSE4.2 instruction on this machine.
bool IsHardwareAccelerated();

// Returns the CRC-32C of data[0, n).
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// Masking: a CRC stored next to the data it covers, inside data that is itself
// checksummed (a WAL record holding an encoded block, say), makes the outer
// CRC degenerate. Storing Mask(crc) instead avoids that. Unmask(Mask(c)) == c.
inline constexpr uint32_t kMaskDelta = 0x9e3779b9u;  // any odd constant works
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace vigil::crc32c
