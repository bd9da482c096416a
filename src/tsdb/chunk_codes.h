#pragma once
// Codes shared by the two sample chunk codecs (tsdb/chunk.cc's adaptive
// bit stream and tsdb/block_chunk.cc's fixed-width blocks): decimal forms of
// doubles and length-prefixed bit fields. Internal to src/tsdb.

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include "tsdb/bitstream.h"

namespace vigil::tsdb::chunk_codes {

// Bits of a decimal exponent field; exponents run 0..kMaxExponent.
inline constexpr int kExponentBits = 4;
inline constexpr int kMaxExponent = (1 << kExponentBits) - 1;
// Bits of a VarBits length prefix.
inline constexpr int kVarBitsLengthBits = 6;

// Powers of ten that are exact doubles, indexed by decimal exponent.
inline constexpr std::array<double, kMaxExponent + 1> kPow10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// Decimal mantissas are kept below this magnitude so they convert exactly.
inline constexpr double kMaxMantissa = 0x1p53;

inline int BitWidth(uint64_t v) { return static_cast<int>(std::bit_width(v)); }

// The one formula both sides use to turn a decimal back into a double. The
// division is correctly rounded, so m / 10^k reproduces the double that a
// parser gives for the literal with those digits. Total over all inputs.
// REQUIRES: 0 <= exponent <= kMaxExponent.
inline double DecimalToDouble(uint64_t mantissa, int exponent) {
  const double m = static_cast<double>(static_cast<int64_t>(mantissa));
  return exponent == 0 ? m : m / kPow10[exponent];
}

// Whether `v` is exactly DecimalToDouble(m, exponent) for some |m| < 2^53;
// sets *mantissa to that m. REQUIRES: 0 <= exponent <= kMaxExponent.
inline bool ToDecimal(double v, int exponent, int64_t* mantissa) {
  const double scaled = v * kPow10[exponent];
  if (!(std::fabs(scaled) < kMaxMantissa)) return false;  // also NaN, Inf
  int64_t m = static_cast<int64_t>(scaled);
  const double frac = scaled - static_cast<double>(m);
  if (frac >= 0.5) {
    ++m;
  } else if (frac <= -0.5) {
    --m;
  }
  if (std::bit_cast<uint64_t>(DecimalToDouble(static_cast<uint64_t>(m), exponent)) !=
      std::bit_cast<uint64_t>(v)) {
    return false;  // not a short decimal, or -0.0
  }
  *mantissa = m;
  return true;
}

// Finds the smallest exponent at which `v` is a decimal (ToDecimal holds).
inline bool FindDecimal(double v, int* exponent, int64_t* mantissa) {
  const double magnitude = std::fabs(v);
  if (!(magnitude >= 1e-15 || v == 0)) return false;  // tiny, denormal or NaN
  if (std::signbit(v) && v == 0) return false;          // -0.0 has no decimal form
  for (int e = 0; e <= kMaxExponent; ++e) {
    if (!(magnitude * kPow10[e] < kMaxMantissa)) return false;
    if (ToDecimal(v, e, mantissa)) {
      *exponent = e;
      return true;
    }
  }
  return false;
}

// Length-prefixed field for values of any width up to 64 bits: the width
// minus one in kVarBitsLengthBits bits, then the value.
inline void WriteVarBits(BitWriter* w, uint64_t v) {
  const int n = v == 0 ? 1 : BitWidth(v);
  w->Write(static_cast<uint64_t>(n - 1), kVarBitsLengthBits);
  w->Write(v, n);
}
[[gnu::always_inline]] inline uint64_t ReadVarBits(BitReader* r) {
  const int n = static_cast<int>(r->Read(kVarBitsLengthBits)) + 1;
  return r->ReadWide(n);
}
// Bits WriteVarBits takes for `v`.
inline int VarBitsCost(uint64_t v) { return kVarBitsLengthBits + (v == 0 ? 1 : BitWidth(v)); }

// Why the stream `r` does not end cleanly after its last field (more than
// a byte left, or padding bits that are not zero), or nullptr if it does.
inline const char* StreamEndError(BitReader* r) {
  const size_t left = r->size_bits() - r->bits_consumed();
  if (left >= 8) return "trailing bytes after the last sample";
  if (r->PeekRemainder() != 0) return "nonzero padding bits";
  return nullptr;
}

}  // namespace vigil::tsdb::chunk_codes
