#include "tsdb/block_chunk.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <vector>

#include "base/varint.h"
#include "tsdb/chunk_codes.h"

namespace vigil::tsdb {
namespace {

using chunk_codes::BitWidth;
using chunk_codes::DecimalToDouble;
using chunk_codes::FindDecimal;
using chunk_codes::kExponentBits;
using chunk_codes::kMaxExponent;
using chunk_codes::ReadVarBits;
using chunk_codes::StreamEndError;
using chunk_codes::ToDecimal;
using chunk_codes::VarBitsCost;
using chunk_codes::WriteVarBits;

constexpr int kWidthBits = 7;  // field widths 0..64
constexpr int kKindBits = 2;
constexpr int kWindowFieldBits = 6;
enum BlockKind : uint64_t { kDecimalContinue = 0, kDecimalRestart = 1, kXorBlock = 2 };

// Bytes before the streams: format id and sample count (as tsdb/chunk.h).
constexpr size_t kHeaderSize = 3;

// Reads a `width`-bit field, 0 <= width <= 64.
[[gnu::always_inline]] inline uint64_t ReadField(BitReader* r, int width) {
  return width <= 56 ? r->Read(width) : r->ReadWide(width);
}

// What the value coding carries from one block to the next.
struct ValueCarry {
  bool decimal = false;
  int exponent = 0;
  uint64_t mantissa = 0;
  uint64_t step = 0;
  uint64_t bits = 0;  // the last value's bits
};

// Finds one exponent at which every value of `block` is a decimal, trying
// `guess` first, and the mantissas there; false if there is none. Lowers the
// exponent while every mantissa ends in a zero.
bool FindBlockDecimals(std::span<const Sample> block, int guess, int* exponent, int64_t* mantissas) {
  int e = guess;
  for (int pass = 0; pass <= kMaxExponent + 2; ++pass) {
    bool retry = false;
    for (size_t i = 0; i < block.size() && !retry; ++i) {
      if (ToDecimal(block[i].value, e, &mantissas[i])) continue;
      int own = 0;
      int64_t m = 0;
      if (!FindDecimal(block[i].value, &own, &m)) return false;
      if (own > e) {
        e = own;
      } else {
        // The mantissa overflows at e: use the smallest exponent every
        // value needs, if that is lower.
        int needed = 0;
        for (const Sample& s : block) {
          if (!FindDecimal(s.value, &own, &m)) return false;
          needed = std::max(needed, own);
        }
        if (needed >= e) return false;
        e = needed;
      }
      retry = true;
    }
    if (retry) continue;
    while (e > 0 && std::all_of(mantissas, mantissas + block.size(), [](int64_t m) { return m % 10 == 0; })) {
      for (size_t i = 0; i < block.size(); ++i) mantissas[i] /= 10;
      --e;
    }
    *exponent = e;
    return true;
  }
  return false;
}

// Writes the mantissas[0, n) that follow (carry->mantissa, carry->step) as
// a predictor bit, a width and the fields: either each delta's offset from
// the block's smallest delta (written first, as VarBits(zigzag)), or each
// delta's zigzag difference from the delta before it, whichever is smaller.
// Advances *carry.
void WriteDecimalRun(const int64_t* mantissas, size_t n, ValueCarry* carry, BitWriter* w) {
  std::array<uint64_t, kBlockSamples> deltas;
  std::array<uint64_t, kBlockSamples> by_step;
  uint64_t step_or = 0;
  int64_t min_delta = INT64_MAX;
  uint64_t prev = carry->mantissa, step = carry->step;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t d = static_cast<uint64_t>(mantissas[i]) - prev;
    deltas[i] = d;
    by_step[i] = ZigZagEncode(static_cast<int64_t>(d - step));
    step_or |= by_step[i];
    min_delta = std::min(min_delta, static_cast<int64_t>(d));
    prev = static_cast<uint64_t>(mantissas[i]);
    step = d;
  }
  uint64_t offset_or = 0;
  for (size_t i = 0; i < n; ++i) {
    deltas[i] -= static_cast<uint64_t>(min_delta);
    offset_or |= deltas[i];
  }
  const uint64_t base = ZigZagEncode(min_delta);
  const size_t offset_cost = static_cast<size_t>(VarBitsCost(base)) + n * static_cast<size_t>(BitWidth(offset_or));
  const size_t step_cost = n * static_cast<size_t>(BitWidth(step_or));
  const bool use_step = step_cost < offset_cost;
  const int width = BitWidth(use_step ? step_or : offset_or);
  w->Write(use_step ? 1 : 0, 1);
  w->Write(static_cast<uint64_t>(width), kWidthBits);
  if (!use_step) WriteVarBits(w, base);
  const auto& fields = use_step ? by_step : deltas;
  for (size_t i = 0; i < n; ++i) w->Write(fields[i], width);
  carry->mantissa = prev;
  carry->step = step;
}

void WriteXorRun(std::span<const Sample> block, ValueCarry* carry, BitWriter* w) {
  int window_leading = 0, window_significant = 64;
  for (const Sample& s : block) {
    const uint64_t bits = std::bit_cast<uint64_t>(s.value);
    const uint64_t x = bits ^ carry->bits;
    carry->bits = bits;
    if (x == 0) {
      w->Write(0, 1);
      continue;
    }
    const int leading = std::countl_zero(x);
    const int trailing = std::countr_zero(x);
    const int significant = 64 - leading - trailing;
    const int window_trailing = 64 - window_leading - window_significant;
    if (leading >= window_leading && trailing >= window_trailing &&
        window_significant <= 2 * kWindowFieldBits + significant) {
      w->Write(0b10, 2);
      w->Write(x >> window_trailing, window_significant);
      continue;
    }
    w->Write(0b11, 2);
    w->Write(static_cast<uint64_t>(leading), kWindowFieldBits);
    w->Write(static_cast<uint64_t>(significant - 1), kWindowFieldBits);
    w->Write(x >> trailing, significant);
    window_leading = leading;
    window_significant = significant;
  }
  carry->decimal = false;
}

void WriteValueBlock(std::span<const Sample> block, ValueCarry* carry, BitWriter* w) {
  std::array<int64_t, kBlockSamples> mantissas;
  int exponent = 0;
  if (!FindBlockDecimals(block, carry->decimal ? carry->exponent : 0, &exponent, mantissas.data())) {
    w->Write(kXorBlock, kKindBits);
    WriteXorRun(block, carry, w);
    return;
  }
  if (carry->decimal && carry->exponent == exponent) {
    w->Write(kDecimalContinue, kKindBits);
    WriteDecimalRun(mantissas.data(), block.size(), carry, w);
  } else {
    w->Write(kDecimalRestart, kKindBits);
    w->Write(static_cast<uint64_t>(exponent), kExponentBits);
    WriteVarBits(w, ZigZagEncode(mantissas[0]));
    carry->decimal = true;
    carry->exponent = exponent;
    carry->mantissa = static_cast<uint64_t>(mantissas[0]);
    carry->step = 0;
    if (block.size() > 1) WriteDecimalRun(mantissas.data() + 1, block.size() - 1, carry, w);
  }
  carry->bits = std::bit_cast<uint64_t>(block.back().value);
}

// Writes the timestamp fields of block samples [first, end) (first >= 1):
// a width and, if it is not zero, a sparseness bit, then either every field
// (dense) or per sample a bit saying whether its field follows (sparse:
// cheaper when most deltas equal the base).
void WriteTimeBlock(std::span<const Sample> samples, size_t first, size_t end, uint64_t base, BitWriter* w) {
  std::array<uint64_t, kBlockSamples> fields;
  uint64_t all = 0;
  size_t nonzero = 0;
  for (size_t i = first; i < end; ++i) {
    const uint64_t delta = static_cast<uint64_t>(samples[i].timestamp_ms) - static_cast<uint64_t>(samples[i - 1].timestamp_ms);
    fields[i - first] = ZigZagEncode(static_cast<int64_t>(delta - base));
    all |= fields[i - first];
    nonzero += fields[i - first] != 0;
  }
  const size_t n = end - first;
  const int width = BitWidth(all);
  w->Write(static_cast<uint64_t>(width), kWidthBits);
  if (width == 0) return;
  const bool sparse = n + nonzero * static_cast<size_t>(width) < n * static_cast<size_t>(width);
  w->Write(sparse ? 1 : 0, 1);
  for (size_t i = 0; i < n; ++i) {
    if (sparse) w->Write(fields[i] != 0 ? 1 : 0, 1);
    if (!sparse || fields[i] != 0) w->Write(fields[i], width);
  }
}

// The median of the deltas between consecutive timestamps: the scrape
// interval, even when some scrapes (the first ones included) landed late.
// REQUIRES: samples.size() >= 2.
uint64_t MedianDelta(std::span<const Sample> samples) {
  std::vector<int64_t> deltas(samples.size() - 1);
  for (size_t i = 1; i < samples.size(); ++i) {
    deltas[i - 1] = static_cast<int64_t>(static_cast<uint64_t>(samples[i].timestamp_ms) -
                                         static_cast<uint64_t>(samples[i - 1].timestamp_ms));
  }
  auto mid = deltas.begin() + static_cast<ptrdiff_t>(deltas.size() / 2);
  std::nth_element(deltas.begin(), mid, deltas.end());
  return static_cast<uint64_t>(*mid);
}

}  // namespace

std::string EncodeBlockChunk(std::span<const Sample> samples) {
  assert(samples.size() <= 65535);
  const size_t n = samples.size();
  BitWriter times;
  BitWriter values;
  uint64_t base = 0;
  if (n > 0) WriteVarBits(&times, ZigZagEncode(samples[0].timestamp_ms));
  if (n > 1) {
    base = MedianDelta(samples);
    WriteVarBits(&times, ZigZagEncode(static_cast<int64_t>(base)));
  }
  ValueCarry carry;
  for (size_t begin = 0; begin < n; begin += kBlockSamples) {
    const size_t end = std::min(n, begin + kBlockSamples);
    assert(std::is_sorted(samples.begin() + static_cast<ptrdiff_t>(begin), samples.begin() + static_cast<ptrdiff_t>(end),
                          [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; }));
    const size_t first = std::max<size_t>(begin, 1);
    if (first < end) WriteTimeBlock(samples, first, end, base, &times);
    WriteValueBlock(samples.subspan(begin, end - begin), &carry, &values);
  }
  times.Publish();
  values.Publish();
  const std::string_view time_bytes = times.bytes();
  const std::string_view value_bytes = values.bytes();
  std::string out;
  out.reserve(kHeaderSize + 3 + time_bytes.size() + value_bytes.size());
  out.push_back(static_cast<char>(kChunkFormatBlocks));
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>(n >> 8));
  PutVarint64(&out, time_bytes.size());
  out.append(time_bytes);
  out.append(value_bytes);
  return out;
}

// ---------------------------------------------------------------- reader

const char* BlockChunkReader::Open(std::string_view bytes) {
  *this = BlockChunkReader();
  if (bytes.size() < kHeaderSize) return "chunk shorter than its header";
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (data[0] != kChunkFormatBlocks) return "unknown chunk format";
  const char* p = bytes.data() + kHeaderSize;
  const char* end = bytes.data() + bytes.size();
  uint64_t time_bytes = 0;
  p = GetVarint64Ptr(p, end, &time_bytes);
  if (p == nullptr || time_bytes > static_cast<uint64_t>(end - p)) return "bad timestamp stream length";
  const auto* times = reinterpret_cast<const uint8_t*>(p);
  time_reader_ = BitReader(times, time_bytes);
  value_reader_ = BitReader(times + time_bytes, static_cast<size_t>(end - p) - time_bytes);
  total_ = static_cast<size_t>(data[1]) | (static_cast<size_t>(data[2]) << 8);
  if (total_ == 0) {
    if (const char* error = StreamEndError(&time_reader_)) return error;
    return StreamEndError(&value_reader_);
  }
  return nullptr;
}

const char* BlockChunkReader::DecodeBlock(Sample* out) {
  const size_t count = next_block_size();
  assert(count > 0);
  if (const char* error = DecodeTimes(out, count)) return error;
  if (const char* error = DecodeValues(out, count)) return error;
  if (time_reader_.overrun() || value_reader_.overrun()) return "truncated";
  index_ += count;
  if (index_ < total_) return nullptr;
  if (const char* error = StreamEndError(&time_reader_)) return error;
  return StreamEndError(&value_reader_);
}

const char* BlockChunkReader::DecodeTimes(Sample* out, size_t count) {
  BitReader& r = time_reader_;
  size_t i = 0;
  if (index_ == 0) {
    time_ = static_cast<uint64_t>(ZigZagDecode(ReadVarBits(&r)));
    out[0].timestamp_ms = static_cast<int64_t>(time_);
    if (total_ > 1) base_delta_ = static_cast<uint64_t>(ZigZagDecode(ReadVarBits(&r)));
    i = 1;
  }
  if (i == count) return nullptr;
  const int width = static_cast<int>(r.Read(kWidthBits));
  if (width > 64) return "timestamp width over 64 bits";
  const bool sparse = width > 0 && r.Read(1) != 0;
  uint64_t t = time_;
  bool decreasing = false;
  for (; i < count; ++i) {
    const int field_width = sparse && r.Read(1) == 0 ? 0 : width;
    const uint64_t next = t + base_delta_ + static_cast<uint64_t>(ZigZagDecode(ReadField(&r, field_width)));
    decreasing |= static_cast<int64_t>(next) < static_cast<int64_t>(t);
    t = next;
    out[i].timestamp_ms = static_cast<int64_t>(t);
  }
  time_ = t;
  if (decreasing) return r.overrun() ? "truncated" : "timestamps decrease";
  return nullptr;
}

const char* BlockChunkReader::DecodeValues(Sample* out, size_t count) {
  BitReader& r = value_reader_;
  switch (r.Read(kKindBits)) {
    case kDecimalContinue:
      if (!decimal_) return "decimal block continues no decimal block";
      if (const char* error = DecodeDecimalRun(out, count)) return error;
      break;
    case kDecimalRestart:
      exponent_ = static_cast<int>(r.Read(kExponentBits));
      mantissa_ = static_cast<uint64_t>(ZigZagDecode(ReadVarBits(&r)));
      step_ = 0;
      decimal_ = true;
      out[0].value = DecimalToDouble(mantissa_, exponent_);
      if (count > 1) {
        if (const char* error = DecodeDecimalRun(out + 1, count - 1)) return error;
      }
      break;
    case kXorBlock:
      decimal_ = false;
      return DecodeXorRun(out, count);
    default:
      return "unknown value block kind";
  }
  bits_ = std::bit_cast<uint64_t>(out[count - 1].value);
  return nullptr;
}

const char* BlockChunkReader::DecodeDecimalRun(Sample* out, size_t count) {
  BitReader& r = value_reader_;
  const bool use_step = r.Read(1) != 0;
  const int width = static_cast<int>(r.Read(kWidthBits));
  if (width > 64) return "value width over 64 bits";
  uint64_t m = mantissa_, step = step_;
  const int exponent = exponent_;
  if (use_step) {
    for (size_t i = 0; i < count; ++i) {
      step += static_cast<uint64_t>(ZigZagDecode(ReadField(&r, width)));
      m += step;
      out[i].value = DecimalToDouble(m, exponent);
    }
  } else {
    const uint64_t min_delta = static_cast<uint64_t>(ZigZagDecode(ReadVarBits(&r)));
    for (size_t i = 0; i < count; ++i) {
      step = min_delta + ReadField(&r, width);
      m += step;
      out[i].value = DecimalToDouble(m, exponent);
    }
  }
  mantissa_ = m;
  step_ = step;
  return nullptr;
}

const char* BlockChunkReader::DecodeXorRun(Sample* out, size_t count) {
  BitReader& r = value_reader_;
  int leading = 0, significant = 64;
  uint64_t bits = bits_;
  for (size_t i = 0; i < count; ++i) {
    if (r.Read(1) != 0) {
      if (r.Read(1) != 0) {
        leading = static_cast<int>(r.Read(kWindowFieldBits));
        significant = static_cast<int>(r.Read(kWindowFieldBits)) + 1;
        if (leading + significant > 64) return "xor window exceeds 64 bits";
      }
      bits ^= ReadField(&r, significant) << (64 - leading - significant);
    }
    out[i].value = std::bit_cast<double>(bits);
  }
  bits_ = bits;
  return nullptr;
}

}  // namespace vigil::tsdb
