#pragma once
// Integer encodings for on-disk and wire formats.
//
// Byte order: fixed-width integers are little-endian, whatever the host.
// Varints are LEB128: 7 payload bits per byte, least significant group first,
// the high bit set on every byte except the last. Signed integers are zigzag
// mapped first (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...) so small magnitudes stay short.
//
// Three families, each with a fixed direction:
//   EncodeX(char* dst, v) -> writes into a caller buffer, returns the end pointer
//                            (or nothing, for fixed widths).
//   PutX(std::string* dst, v) appends to a string.
//   GetX(std::string_view* in, T* out) parses from the front of *in. On success it
//     advances *in past the parsed bytes and returns true. On truncated or
//     malformed input (too many bytes, a value that overflows T) it returns false
//     and leaves *in and *out unchanged. Never reads outside *in.
// Decoding accepts non-minimal varints (e.g. 0x80 0x00 for 0) as LevelDB does.
//
// Header-only; all functions are pure and thread-safe.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil {

inline constexpr size_t kMaxVarint32Bytes = 5;
inline constexpr size_t kMaxVarint64Bytes = 10;

// ---- Fixed width ----

// Writes 4 little-endian bytes at dst. REQUIRES: dst has 4 writable bytes.
inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
// Writes 8 little-endian bytes at dst. REQUIRES: dst has 8 writable bytes.
inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
// Reads 4 little-endian bytes. REQUIRES: p has 4 readable bytes.
inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) | (static_cast<uint32_t>(u[3]) << 24);
}
// Reads 8 little-endian bytes. REQUIRES: p has 8 readable bytes.
inline uint64_t DecodeFixed64(const char* p) {
  return static_cast<uint64_t>(DecodeFixed32(p)) | (static_cast<uint64_t>(DecodeFixed32(p + 4)) << 32);
}

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, sizeof(buf));
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, sizeof(buf));
}

inline bool GetFixed32(std::string_view* in, uint32_t* out) {
  if (in->size() < 4) return false;
  *out = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}
inline bool GetFixed64(std::string_view* in, uint64_t* out) {
  if (in->size() < 8) return false;
  *out = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

// ---- Varints ----

// Number of bytes the varint encoding of v takes (1..10).
inline size_t VarintLength(uint64_t v) {
  size_t len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

// Writes the varint of v at dst and returns one past the last byte written.
// REQUIRES: dst has kMaxVarint64Bytes writable bytes (5 suffice for uint32 values).
inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}
inline char* EncodeVarint32(char* dst, uint32_t v) { return EncodeVarint64(dst, v); }

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  char* end = EncodeVarint64(buf, v);
  dst->append(buf, static_cast<size_t>(end - buf));
}
inline void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

// Parses a varint from [p, limit). Returns one past its last byte, or nullptr
// when the input ends mid-varint, runs past kMaxVarint64Bytes, or overflows 64 bits.
inline const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* out) {
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    if (shift == 63 && byte > 1) return nullptr;  // bits beyond 64
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *out = result;
      return p;
    }
  }
  return nullptr;
}

inline bool GetVarint64(std::string_view* in, uint64_t* out) {
  uint64_t v;
  const char* end = GetVarint64Ptr(in->data(), in->data() + in->size(), &v);
  if (end == nullptr) return false;
  *out = v;
  in->remove_prefix(static_cast<size_t>(end - in->data()));
  return true;
}

// As GetVarint64, and also fails when the value does not fit in 32 bits or
// the encoding is longer than kMaxVarint32Bytes.
inline bool GetVarint32(std::string_view* in, uint32_t* out) {
  std::string_view probe = in->substr(0, kMaxVarint32Bytes);
  uint64_t v;
  if (!GetVarint64(&probe, &v) || v > UINT32_MAX) return false;
  in->remove_prefix(static_cast<size_t>(probe.data() - in->data()));
  *out = static_cast<uint32_t>(v);
  return true;
}

// ---- Signed (zigzag) ----

// Total over int64 (no UB): 0->0, -1->1, 1->2, INT64_MIN->UINT64_MAX.
inline uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
// Inverse of ZigZagEncode64; total over uint64.
inline int64_t ZigZagDecode64(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

inline void PutVarintSigned64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode64(v)); }
inline bool GetVarintSigned64(std::string_view* in, int64_t* out) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *out = ZigZagDecode64(u);
  return true;
}

// ---- Length-prefixed byte strings: varint32 length, then the bytes ----

// REQUIRES: value.size() <= UINT32_MAX.
inline void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}
// On success *out views into the original buffer of *in.
inline bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
  std::string_view rest = *in;
  uint32_t len;
  if (!GetVarint32(&rest, &len) || rest.size() < len) return false;
  *out = rest.substr(0, len);
  rest.remove_prefix(len);
  *in = rest;
  return true;
}

}  // namespace vigil
