#pragma once
// Bit-granular writer and reader for the sample chunk codec.
//
// Bits are packed most-significant-bit first: the first bit written is the top
// bit of byte 0. Multi-bit fields are written high bit first, so a field read
// back with the same width yields the same value. Both classes are header-only
// because they sit on the innermost loop of chunk encoding and decoding.
//
// Neither class is thread-safe; distinct objects are independent.

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil::tsdb {

namespace bitstream_internal {

inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  return w;
}

inline void StoreBigEndian64(uint8_t* p, uint64_t w) {
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  std::memcpy(p, &w, sizeof(w));
}

}  // namespace bitstream_internal

// Maps signed integers to unsigned so that small magnitudes get small codes:
// 0, -1, 1, -2, 2 ... -> 0, 1, 2, 3, 4 ... Total over all of int64 (no UB).
inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
// Inverse of ZigZagEncode; total over all of uint64.
inline int64_t ZigZagDecode(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

// BitWriter appends bit fields to a byte buffer that it owns.
//
// Complete 64-bit words go to the buffer as they fill; the last partial word
// lives in a register until Publish() copies it into the buffer, so callers
// publish once per logical record rather than once per field. bytes() covers
// everything written up to the last Publish(); the unused low bits of its
// final byte are zero.
class BitWriter {
 public:
  // Starts with `header_bytes` zero bytes that the caller may patch through
  // mutable_header(); bit fields are appended after them.
  explicit BitWriter(size_t header_bytes = 0)
      : committed_(header_bytes), buf_(header_bytes + kScratch, '\0') {}

  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;
  BitWriter(BitWriter&&) = default;
  BitWriter& operator=(BitWriter&&) = default;

  // Appends the low `nbits` bits of `value`, high bit first.
  // REQUIRES: 0 <= nbits <= 64 and value < 2^nbits.
  void Write(uint64_t value, int nbits) {
    assert(nbits >= 0 && nbits <= 64);
    assert(nbits == 64 || (value >> nbits) == 0);
    const int free_bits = 64 - acc_bits_;  // in [1, 64]
    if (nbits < free_bits) [[likely]] {
      acc_ = (acc_ << nbits) | value;  // nbits <= 63 here
      acc_bits_ += nbits;
      return;
    }
    WriteAndFlush(value, nbits);
  }

  // Appends `n` one-bits followed by a zero-bit (a unary code), n <= 32.
  void WriteUnary(int n, int max_ones) {
    if (n < max_ones) {
      Write(((uint64_t{1} << n) - 1) << 1, n + 1);
    } else {
      Write((uint64_t{1} << max_ones) - 1, max_ones);
    }
  }

  // Makes every bit written so far visible through bytes().
  void Publish() {
    if (acc_bits_ > 0) {
      bitstream_internal::StoreBigEndian64(Data() + committed_, acc_ << (64 - acc_bits_));
    }
  }

  // The published bytes. Valid until the next Write() or mutable_header().
  std::string_view bytes() const { return std::string_view(buf_.data(), size_bytes()); }

  // Bytes covered by the bits written so far (header included).
  size_t size_bytes() const { return committed_ + (static_cast<size_t>(acc_bits_) + 7) / 8; }

  // The first `header_bytes` bytes given to the constructor.
  uint8_t* mutable_header() { return Data(); }

  // Moves the published bytes out; the writer must not be used afterwards
  // except for destruction or assignment.
  std::string Release() && {
    buf_.resize(size_bytes());
    return std::move(buf_);
  }

 private:
  // Spare bytes after the committed words: room for one partial word.
  static constexpr size_t kScratch = 8;

  uint8_t* Data() { return reinterpret_cast<uint8_t*>(buf_.data()); }

  // Write() when the accumulator fills up: emits one full word and keeps the
  // remainder. REQUIRES: nbits >= 64 - acc_bits_.
  [[gnu::noinline]] void WriteAndFlush(uint64_t value, int nbits) {
    const int free_bits = 64 - acc_bits_;
    const int rest = nbits - free_bits;  // in [0, 63]
    const uint64_t word =
        free_bits == 64 ? value : (acc_ << free_bits) | (value >> rest);
    bitstream_internal::StoreBigEndian64(Data() + committed_, word);
    committed_ += 8;
    buf_.resize(committed_ + kScratch);
    acc_ = rest == 0 ? 0 : (value & ((uint64_t{1} << rest) - 1));
    acc_bits_ = rest;
  }

  uint64_t acc_ = 0;    // pending bits, right-aligned
  int acc_bits_ = 0;    // in [0, 63]
  size_t committed_;    // bytes of complete words (plus header)
  std::string buf_;     // committed_ + kScratch bytes
};

// BitReader reads bit fields from a byte range it does not own, never touching
// memory outside it. Reading past the end yields zero bits and latches
// overrun(); callers check it once per record instead of once per field.
class BitReader {
 public:
  // REQUIRES: [data, data + size) stays valid while the reader is used.
  BitReader(const uint8_t* data, size_t size) : begin_(data), p_(data), end_(data + size) {}
  BitReader() : BitReader(nullptr, 0) {}

  // Buffers at least 56 bits, or everything that remains of the input.
  [[gnu::always_inline]] void Refill() {
    if (end_ - p_ >= 8) [[likely]] {
      // Bits past avail_ in the loaded word duplicate the next unread byte, so
      // OR-ing them again on the next refill is harmless.
      bits_ |= bitstream_internal::LoadBigEndian64(p_) >> avail_;
      const int take = (63 - avail_) >> 3;
      p_ += take;
      avail_ += take * 8;
    } else {
      while (avail_ <= 56 && p_ < end_) {
        bits_ |= static_cast<uint64_t>(*p_++) << (56 - avail_);
        avail_ += 8;
      }
    }
  }

  // Reads an `nbits`-bit field. REQUIRES: 0 <= nbits <= 56.
  [[gnu::always_inline]] uint64_t Read(int nbits) {
    assert(nbits >= 0 && nbits <= 56);
    if (nbits > avail_) [[unlikely]] {
      Refill();
      if (nbits > avail_) return Overrun();
    }
    const uint64_t v = (bits_ >> (63 - nbits)) >> 1;  // 0 when nbits == 0
    bits_ <<= nbits;
    avail_ -= nbits;
    return v;
  }

  // Reads an `nbits`-bit field. REQUIRES: 0 <= nbits <= 64.
  [[gnu::always_inline]] uint64_t ReadWide(int nbits) {
    if (nbits <= 56) return Read(nbits);
    const uint64_t hi = Read(nbits - 32);
    return (hi << 32) | Read(32);
  }

  bool ReadBit() { return Read(1) != 0; }

  // The next bit without consuming it (0 when none is buffered).
  [[gnu::always_inline]] uint64_t PeekBit() const { return bits_ >> 63; }
  // Bits buffered now (after Refill(): at least 56, or all that remain).
  [[gnu::always_inline]] int available() const { return avail_; }
  // Consumes `nbits` buffered bits. REQUIRES: nbits <= available().
  [[gnu::always_inline]] void Skip(int nbits) {
    bits_ <<= nbits;
    avail_ -= nbits;
  }

  // Reads a unary code written by BitWriter::WriteUnary with the same
  // `max_ones`: returns the number of leading one-bits, at most max_ones.
  // REQUIRES: 1 <= max_ones <= 32.
  [[gnu::always_inline]] int ReadUnary(int max_ones) {
    if (avail_ <= max_ones) [[unlikely]] Refill();
    int ones = std::countl_one(bits_);
    if (ones > max_ones) ones = max_ones;
    const int used = ones < max_ones ? ones + 1 : max_ones;
    if (used > avail_) {
      Overrun();
      return max_ones;
    }
    bits_ <<= used;
    avail_ -= used;
    return ones;
  }

  // Whether a read ran past the end of the input (sticky).
  bool overrun() const { return overrun_; }

  // Bits consumed so far (bits in the input minus bits not yet read).
  size_t bits_consumed() const {
    return static_cast<size_t>(p_ - begin_) * 8 - static_cast<size_t>(avail_);
  }
  size_t size_bits() const { return static_cast<size_t>(end_ - begin_) * 8; }

  // The value of the unread bits, which must number at most 56.
  // REQUIRES: size_bits() - bits_consumed() <= 56.
  uint64_t PeekRemainder() {
    const int left = static_cast<int>(size_bits() - bits_consumed());
    Refill();
    return left == 0 ? 0 : bits_ >> (64 - left);
  }

 private:
  uint64_t Overrun() {
    overrun_ = true;
    bits_ = 0;
    avail_ = 0;
    p_ = end_;
    return 0;
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t bits_ = 0;  // buffered bits, left-aligned
  int avail_ = 0;      // valid bits in bits_, in [0, 63]
  bool overrun_ = false;
};

}  // namespace vigil::tsdb
