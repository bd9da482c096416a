#include "tsdb/chunk.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <utility>

#include "base/varint.h"
#include "tsdb/chunk_codes.h"

namespace vigil::tsdb {
namespace {

using chunk_internal::ValueMode;
using chunk_internal::ValueState;
using chunk_codes::kExponentBits;
using chunk_codes::kMaxExponent;
using chunk_codes::BitWidth;
using chunk_codes::DecimalToDouble;
using chunk_codes::ToDecimal;
using chunk_codes::FindDecimal;
using chunk_codes::WriteVarBits;
using chunk_codes::ReadVarBits;
using chunk_codes::VarBitsCost;

// Bit stream layout, per sample after the first:
//
//   timestamp: unary bucket index (at most kTimeMaxOnes ones), then the
//              zigzag residual in kTimeBucketBits[index] bits. The residual
//              is the delta minus the series' interval: the last delta that
//              repeated (or the first delta). A scrape that lands a few ms
//              late thus costs two small residuals (+j, -j), not three.
//   value, decimal mode: the zigzag residual of the mantissa as a Rice code
//              with parameter k adapted to recent residuals: the quotient
//              (residual >> k) in unary, then its k low bits. A quotient of
//              kRiceMaxQuotient or more escapes: kRiceMaxQuotient ones, then
//              a bit: 0 = residual as VarBits, 1 = switch to xor mode and an
//              xor-mode code follows.
//   value, xor mode: unary code (at most kXorMaxOnes ones), see XorCode.
//
// The first sample is the timestamp as VarBits(zigzag(t)), then the value as
// an xor-mode code against the bits of +0.0 with a full 64-bit window.

constexpr int kTimeMaxOnes = 5;
constexpr std::array<int, 6> kTimeBucketBits = {0, 4, 10, 17, 32, 64};

constexpr int kRiceMaxQuotient = 8;
constexpr uint32_t kMaxRiceParameter = 56;  // BitReader::Read's limit

// In xor mode, looking for a decimal form costs up to 16 divisions. After
// failed looks the encoder skips up to this many values before looking again.
constexpr uint32_t kMaxDecimalSearchBackoff = 15;

constexpr int kXorMaxOnes = 3;
enum XorCode : int {
  kXorSame = 0,            // "0": same bits as the previous value
  kXorReuseWindow = 1,     // "10": meaningful bits within the previous window
  kXorNewWindow = 2,       // "110": 6-bit leading zeros, 6-bit (length-1), bits
  kXorDecimalRestart = 3,  // "111": 4-bit exponent, VarBits(zigzag(mantissa))
};

constexpr int kWindowFieldBits = 6;

// For each bit width 0..64, the smallest bucket that holds it (N if none).
template <size_t N>
constexpr std::array<uint8_t, 65> BucketsByWidth(const std::array<int, N>& widths) {
  std::array<uint8_t, 65> out{};
  for (int w = 0; w <= 64; ++w) {
    size_t b = 0;
    while (b < N && widths[b] < w) ++b;
    out[w] = static_cast<uint8_t>(b);
  }
  return out;
}
constexpr auto kTimeBucketByWidth = BucketsByWidth(kTimeBucketBits);

// Advances the decimal predictor past a sample whose mantissa moved by
// `delta`. Both predictors' recent residual widths decay by 1/8 a sample.
inline void AdvanceDecimal(ValueState* s, uint64_t delta) {
  const uint64_t step_residual = delta - s->step;
  s->delta_cost = s->delta_cost - (s->delta_cost >> 3) +
                  static_cast<uint32_t>(BitWidth(ZigZagEncode(static_cast<int64_t>(delta))));
  s->step_cost = s->step_cost - (s->step_cost >> 3) +
                 static_cast<uint32_t>(BitWidth(ZigZagEncode(static_cast<int64_t>(step_residual))));
  s->step = delta;
  s->mantissa += delta;
}

// Whether the next residual is taken against prev + step (else prev).
inline bool PredictsWithStep(const ValueState& s) { return s.step_cost < s.delta_cost; }

// Rice parameter for the next residual: about the mean bit width of the
// chosen predictor's recent residuals (the costs are 8x that mean).
inline int RiceParameter(const ValueState& s) {
  const uint32_t cost = s.step_cost < s.delta_cost ? s.step_cost : s.delta_cost;
  const uint32_t k = cost >> 3;
  return static_cast<int>(k < kMaxRiceParameter ? k : kMaxRiceParameter);
}

inline void StartDecimal(ValueState* s, int exponent, uint64_t mantissa) {
  s->mode = ValueMode::kDecimal;
  s->exponent = exponent;
  s->mantissa = mantissa;
  s->step = 0;
}

inline void StartXor(ValueState* s) {
  s->mode = ValueMode::kXor;
  s->xor_leading = 0;
  s->xor_significant = 64;
}

// The cheapest xor code (other than a decimal restart) for `bits`.
struct XorPlan {
  XorCode code;
  int leading;
  int significant;
  int cost_bits;
};

XorPlan PlanXor(const ValueState& s, uint64_t bits) {
  const uint64_t x = bits ^ s.bits;
  if (x == 0) return {kXorSame, 0, 0, 1};
  const int leading = std::countl_zero(x);
  const int trailing = std::countr_zero(x);
  const int significant = 64 - leading - trailing;
  const int new_cost = 3 + 2 * kWindowFieldBits + significant;
  const bool fits_window =
      leading >= s.xor_leading && trailing >= 64 - s.xor_leading - s.xor_significant;
  if (fits_window && 2 + s.xor_significant <= new_cost) {
    return {kXorReuseWindow, s.xor_leading, s.xor_significant, 2 + s.xor_significant};
  }
  return {kXorNewWindow, leading, significant, new_cost};
}

void WriteHeaderCount(uint8_t* header, size_t count) {
  header[1] = static_cast<uint8_t>(count & 0xff);
  header[2] = static_cast<uint8_t>(count >> 8);
}

}  // namespace

// ---------------------------------------------------------------- encoder

ChunkEncoder::ChunkEncoder(ChunkLayout layout)
    : layout_(layout),
      writer_(kChunkHeaderSize),
      time_writer_(layout == ChunkLayout::kSplit ? std::make_unique<BitWriter>() : nullptr) {
  writer_.mutable_header()[0] = layout == ChunkLayout::kSplit ? kChunkFormatSplit : kChunkFormatV1;
  WriteHeaderCount(writer_.mutable_header(), 0);
  StartXor(&value_);
}

void ChunkEncoder::Append(int64_t t, double v) {
  assert(!full());
  assert(count_ == 0 || t >= max_time());
  if (layout_ == ChunkLayout::kBlocks) {
    if (count_ == 0) first_time_ = t;
    last_time_ = static_cast<uint64_t>(t);
    pending_.push_back(Sample{t, v});
    ++count_;
    return;
  }
  if (count_ == 0) {
    first_time_ = t;
    last_time_ = static_cast<uint64_t>(t);
    WriteVarBits(time_writer_ != nullptr ? time_writer_.get() : &writer_, ZigZagEncode(t));
  } else {
    AppendTimestamp(t);
  }
  AppendValue(v);
  ++count_;
  writer_.Publish();
  WriteHeaderCount(writer_.mutable_header(), count_);
}

void ChunkEncoder::AppendTimestamp(int64_t t) {
  // Unsigned arithmetic: wraps instead of overflowing, and the decoder wraps
  // the same way, so even a jump from INT64_MIN to INT64_MAX round-trips.
  const uint64_t delta = static_cast<uint64_t>(t) - last_time_;
  const uint64_t zz = ZigZagEncode(static_cast<int64_t>(delta - interval_));
  const int bucket = kTimeBucketByWidth[BitWidth(zz)];
  BitWriter& w = time_writer_ != nullptr ? *time_writer_ : writer_;
  w.WriteUnary(bucket, kTimeMaxOnes);
  w.Write(zz, kTimeBucketBits[bucket]);
  if (count_ == 1 || delta == last_delta_) interval_ = delta;
  last_time_ = static_cast<uint64_t>(t);
  last_delta_ = delta;
}

void ChunkEncoder::AppendValue(double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (value_.mode == ValueMode::kDecimal) {
    int64_t m;
    if (ToDecimal(v, value_.exponent, &m)) {
      const uint64_t delta = static_cast<uint64_t>(m) - value_.mantissa;
      const uint64_t residual = PredictsWithStep(value_) ? delta - value_.step : delta;
      const uint64_t zz = ZigZagEncode(static_cast<int64_t>(residual));
      const int k = RiceParameter(value_);
      const uint64_t quotient = zz >> k;
      if (quotient < kRiceMaxQuotient) {
        writer_.WriteUnary(static_cast<int>(quotient), kRiceMaxQuotient);
        writer_.Write(zz & ((uint64_t{1} << k) - 1), k);
      } else {
        writer_.WriteUnary(kRiceMaxQuotient, kRiceMaxQuotient);
        writer_.Write(0, 1);
        WriteVarBits(&writer_, zz);
      }
      AdvanceDecimal(&value_, delta);
      value_.bits = bits;
      return;
    }
    // Not a decimal at this exponent.
    writer_.WriteUnary(kRiceMaxQuotient, kRiceMaxQuotient);
    writer_.Write(1, 1);
    StartXor(&value_);
  }
  WriteXorModeCode(v, bits);
}

void ChunkEncoder::WriteXorModeCode(double v, uint64_t bits) {
  const XorPlan plan = PlanXor(value_, bits);
  int exponent;
  int64_t mantissa;
  if (plan.cost_bits > 1 && ShouldSearchDecimal() && FindDecimal(v, &exponent, &mantissa)) {
    decimal_search_backoff_ = 0;
    decimal_search_cooldown_ = 0;
    const int restart_cost = 3 + kExponentBits + VarBitsCost(ZigZagEncode(mantissa));
    if (restart_cost <= plan.cost_bits) {
      writer_.WriteUnary(kXorDecimalRestart, kXorMaxOnes);
      WriteDecimalRestart(exponent, mantissa);
      value_.bits = bits;
      return;
    }
  }
  writer_.WriteUnary(plan.code, kXorMaxOnes);
  if (plan.code == kXorNewWindow) {
    writer_.Write(static_cast<uint64_t>(plan.leading), kWindowFieldBits);
    writer_.Write(static_cast<uint64_t>(plan.significant - 1), kWindowFieldBits);
    value_.xor_leading = plan.leading;
    value_.xor_significant = plan.significant;
  }
  if (plan.code != kXorSame) {
    const int trailing = 64 - plan.leading - plan.significant;
    writer_.Write((bits ^ value_.bits) >> trailing, plan.significant);
  }
  value_.bits = bits;
}

bool ChunkEncoder::ShouldSearchDecimal() {
  if (decimal_search_cooldown_ > 0) {
    --decimal_search_cooldown_;
    return false;
  }
  // Assume this search fails; a success resets the backoff.
  decimal_search_backoff_ = std::min(2 * decimal_search_backoff_ + 1, kMaxDecimalSearchBackoff);
  decimal_search_cooldown_ = decimal_search_backoff_;
  return true;
}

void ChunkEncoder::WriteDecimalRestart(int exponent, int64_t mantissa) {
  writer_.Write(static_cast<uint64_t>(exponent), kExponentBits);
  WriteVarBits(&writer_, ZigZagEncode(mantissa));
  StartDecimal(&value_, exponent, static_cast<uint64_t>(mantissa));
}

std::string ChunkEncoder::Finish() {
  const ChunkLayout layout = layout_;
  if (layout == ChunkLayout::kBlocks) {
    std::string out = EncodeBlockChunk(pending_);
    pending_.clear();
    count_ = 0;
    return out;
  }
  std::string out = std::move(writer_).Release();
  if (layout == ChunkLayout::kSplit) {
    time_writer_->Publish();
    const std::string times = std::move(*time_writer_).Release();
    std::string split = out.substr(0, kChunkHeaderSize);
    PutVarint64(&split, times.size());
    split += times;
    split.append(out, kChunkHeaderSize);
    out = std::move(split);
  }
  *this = ChunkEncoder(layout);
  return out;
}

// ---------------------------------------------------------------- decoder

namespace {

using chunk_internal::DecoderState;

// Why a sample could not be decoded; nullptr when it could.
using DecodeError = const char*;
constexpr DecodeError kDecodeOk = nullptr;

[[gnu::always_inline]] inline DecodeError DecodeXorCode(DecoderState* s) {
  BitReader& r = s->reader;
  ValueState& value = s->value;
  switch (r.ReadUnary(kXorMaxOnes)) {
    case kXorSame:
      return kDecodeOk;
    case kXorNewWindow: {
      const int leading = static_cast<int>(r.Read(kWindowFieldBits));
      const int significant = static_cast<int>(r.Read(kWindowFieldBits)) + 1;
      if (leading + significant > 64) return "xor window exceeds 64 bits";
      value.xor_leading = leading;
      value.xor_significant = significant;
      [[fallthrough]];
    }
    case kXorReuseWindow: {
      const int trailing = 64 - value.xor_leading - value.xor_significant;
      value.bits ^= r.ReadWide(value.xor_significant) << trailing;
      return kDecodeOk;
    }
    default: {  // kXorDecimalRestart
      const int exponent = static_cast<int>(r.Read(kExponentBits));
      const uint64_t mantissa = static_cast<uint64_t>(ZigZagDecode(ReadVarBits(&r)));
      StartDecimal(&value, exponent, mantissa);
      value.bits = std::bit_cast<uint64_t>(DecimalToDouble(mantissa, exponent));
      return kDecodeOk;
    }
  }
}

// Applies a decimal-mode residual (zigzag-coded) to the value state.
[[gnu::always_inline]] inline void ApplyDecimalResidual(ValueState* value, uint64_t zz) {
  const uint64_t residual = static_cast<uint64_t>(ZigZagDecode(zz));
  AdvanceDecimal(value, PredictsWithStep(*value) ? value->step + residual : residual);
  value->bits = std::bit_cast<uint64_t>(DecimalToDouble(value->mantissa, value->exponent));
}

// Decodes what follows a decimal-mode escape: a wide residual or a switch to
// xor mode.
[[gnu::always_inline]] inline DecodeError DecodeDecimalEscape(DecoderState* s) {
  if (!s->reader.ReadBit()) {
    ApplyDecimalResidual(&s->value, ReadVarBits(&s->reader));
    return kDecodeOk;
  }
  StartXor(&s->value);
  return DecodeXorCode(s);
}

// Decodes the next sample into *s, reading timestamp codes from their own
// stream when kSplit. REQUIRES: s->index < the sample count.
template <bool kSplit>
[[gnu::always_inline]] inline DecodeError DecodeSample(DecoderState* s) {
  BitReader& r = s->reader;
  BitReader& tr = kSplit ? s->time_reader : s->reader;
  r.Refill();
  if constexpr (kSplit) tr.Refill();
  if (s->index == 0) [[unlikely]] {
    s->time = static_cast<uint64_t>(ZigZagDecode(ReadVarBits(&tr)));
  } else if (s->index > 1 && tr.PeekBit() == 0 && tr.available() > 0) [[likely]] {
    // Residual 0 (bucket 0: one bit): the delta is the interval, which is
    // then also the last delta; the interval was checked when it was set.
    tr.Skip(1);
    const uint64_t next = s->time + s->interval;
    if (static_cast<int64_t>(next) < static_cast<int64_t>(s->time)) [[unlikely]] return "timestamps decrease";
    s->last_delta = s->interval;
    s->time = next;
  } else {
    const int bucket = tr.ReadUnary(kTimeMaxOnes);
    const int width = kTimeBucketBits[bucket];
    const uint64_t zz = width <= 56 ? tr.Read(width) : tr.ReadWide(width);
    const uint64_t delta = s->interval + static_cast<uint64_t>(ZigZagDecode(zz));
    const uint64_t next = s->time + delta;
    if (static_cast<int64_t>(next) < static_cast<int64_t>(s->time)) [[unlikely]] {
      return tr.overrun() ? "truncated" : "timestamps decrease";
    }
    if (s->index == 1 || delta == s->last_delta) s->interval = delta;
    s->last_delta = delta;
    s->time = next;
  }
  ValueState& value = s->value;
  if (value.mode == ValueMode::kDecimal) [[likely]] {
    const int quotient = r.ReadUnary(kRiceMaxQuotient);
    if (quotient < kRiceMaxQuotient) [[likely]] {
      const int k = RiceParameter(value);
      ApplyDecimalResidual(&value, (static_cast<uint64_t>(quotient) << k) | r.Read(k));
    } else {
      const DecodeError error = DecodeDecimalEscape(s);
      if (error != kDecodeOk) return error;
    }
  } else {
    const DecodeError error = DecodeXorCode(s);
    if (error != kDecodeOk) return error;
  }
  if (r.overrun() || tr.overrun()) [[unlikely]] return "truncated";
  ++s->index;
  return kDecodeOk;
}

}  // namespace

ChunkDecoder::ChunkDecoder(std::string_view bytes) {
  StartXor(&state_.value);
  if (bytes.size() < kChunkHeaderSize) {
    Fail("chunk shorter than its header");
    return;
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (data[0] == kChunkFormatBlocks) {
    blocks_ = true;
    if (const char* error = block_reader_.Open(bytes)) {
      Fail(error);
      return;
    }
    total_ = block_reader_.num_samples();
    return;
  }
  if (data[0] != kChunkFormatV1 && data[0] != kChunkFormatSplit) {
    Fail("unknown chunk format");
    return;
  }
  total_ = static_cast<size_t>(data[1]) | (static_cast<size_t>(data[2]) << 8);
  if (data[0] == kChunkFormatV1) {
    state_.reader = BitReader(data + kChunkHeaderSize, bytes.size() - kChunkHeaderSize);
    return;
  }
  split_ = true;
  const char* p = bytes.data() + kChunkHeaderSize;
  const char* end = bytes.data() + bytes.size();
  uint64_t time_bytes = 0;
  p = GetVarint64Ptr(p, end, &time_bytes);
  if (p == nullptr || time_bytes > static_cast<uint64_t>(end - p)) {
    total_ = 0;
    Fail("bad timestamp stream length");
    return;
  }
  const auto* times = reinterpret_cast<const uint8_t*>(p);
  state_.time_reader = BitReader(times, time_bytes);
  state_.reader = BitReader(times + time_bytes, static_cast<size_t>(end - p) - time_bytes);
}

bool ChunkDecoder::Fail(const char* what) {
  if (status_.ok()) {
    status_ = Status::Corruption(std::string("chunk: ") + what + " (sample " +
                                 std::to_string(state_.index) + " of " + std::to_string(total_) + ")");
  }
  done_ = true;
  return false;
}

bool ChunkDecoder::Next() {
  if (done_) return false;
  if (blocks_) {
    if (!FillBlockBuffer()) return false;
    TakeBuffered(1, [](size_t, int64_t, double) {});
    return true;
  }
  if (state_.index >= total_) {
    done_ = true;
    return CheckEnd();
  }
  const DecodeError error = split_ ? DecodeSample<true>(&state_) : DecodeSample<false>(&state_);
  if (error != kDecodeOk) [[unlikely]] return Fail(error);
  return true;
}

namespace {

// Decodes up to `want` samples from *state, handing sample n to
// store(n, t, v); returns how many and sets *error on the first failure.
template <bool kSplit, typename Store>
[[gnu::always_inline]] inline size_t DecodeBatch(DecoderState* state, size_t want, Store store, DecodeError* error) {
  DecoderState s = *state;  // a local copy the compiler can keep in registers
  size_t n = 0;
  for (; n < want; ++n) {
    *error = DecodeSample<kSplit>(&s);
    if (*error != kDecodeOk) [[unlikely]] break;
    store(n, static_cast<int64_t>(s.time), std::bit_cast<double>(s.value.bits));
  }
  *state = s;
  return n;
}

}  // namespace

bool ChunkDecoder::FillBlockBuffer() {
  if (buffer_pos_ < buffered_) return true;
  if (block_reader_.decoded() == total_) {
    done_ = true;  // the reader checked the end with the last block
    return false;
  }
  buffered_ = block_reader_.next_block_size();
  buffer_pos_ = 0;
  if (const char* error = block_reader_.DecodeBlock(buffer_.data())) {
    buffered_ = 0;
    return Fail(error);
  }
  return true;
}

template <typename Store>
size_t ChunkDecoder::TakeBuffered(size_t capacity, Store store) {
  const size_t take = std::min(capacity, buffered_ - buffer_pos_);
  for (size_t i = 0; i < take; ++i) {
    const Sample& s = buffer_[buffer_pos_ + i];
    store(i, s.timestamp_ms, s.value);
  }
  buffer_pos_ += take;
  state_.index += take;
  const Sample& last = buffer_[buffer_pos_ - 1];
  state_.time = static_cast<uint64_t>(last.timestamp_ms);
  state_.value.bits = std::bit_cast<uint64_t>(last.value);
  return take;
}

template <typename Store>
size_t ChunkDecoder::DecodeInto(size_t capacity, Store store) {
  if (done_) return 0;
  if (blocks_) {
    size_t n = 0;
    while (n < capacity && FillBlockBuffer()) {
      n += TakeBuffered(capacity - n, [&](size_t i, int64_t ts, double value) { store(n + i, ts, value); });
    }
    return n;
  }
  const size_t want = std::min(capacity, total_ - state_.index);
  DecodeError error = kDecodeOk;
  const size_t n = split_ ? DecodeBatch<true>(&state_, want, store, &error)
                          : DecodeBatch<false>(&state_, want, store, &error);
  if (error != kDecodeOk) {
    Fail(error);
  } else if (n < capacity) {
    Next();  // at the end: runs the end-of-chunk checks
  }
  return n;
}

size_t ChunkDecoder::NextBatch(std::span<int64_t> t, std::span<double> v) {
  return DecodeInto(std::min(t.size(), v.size()), [&](size_t n, int64_t ts, double value) {
    t[n] = ts;
    v[n] = value;
  });
}

size_t ChunkDecoder::NextSamples(std::span<Sample> out) {
  if (blocks_ && !done_) {
    // Whole blocks decode straight into out; the buffer takes the rest.
    size_t n = 0;
    while (n < out.size()) {
      if (buffer_pos_ == buffered_ && block_reader_.decoded() < total_ &&
          out.size() - n >= block_reader_.next_block_size()) {
        const size_t count = block_reader_.next_block_size();
        if (const char* error = block_reader_.DecodeBlock(out.data() + n)) {
          Fail(error);
          return n;
        }
        n += count;
        state_.index += count;
        state_.time = static_cast<uint64_t>(out[n - 1].timestamp_ms);
        state_.value.bits = std::bit_cast<uint64_t>(out[n - 1].value);
        continue;
      }
      if (!FillBlockBuffer()) break;
      n += TakeBuffered(out.size() - n, [&](size_t i, int64_t ts, double value) { out[n + i] = Sample{ts, value}; });
    }
    if (block_reader_.decoded() == total_ && buffer_pos_ == buffered_) done_ = true;
    return n;
  }
  return DecodeInto(out.size(), [&](size_t n, int64_t ts, double value) { out[n] = Sample{ts, value}; });
}

bool ChunkDecoder::CheckEnd() {
  for (BitReader* r : {&state_.reader, &state_.time_reader}) {
    if (r == &state_.time_reader && !split_) break;
    if (const char* error = chunk_codes::StreamEndError(r)) return Fail(error);
  }
  return false;
}

bool ChunkDecoder::Seek(int64_t t) {
  if (done_) return false;
  if (state_.index > 0 && static_cast<int64_t>(state_.time) >= t) return true;
  while (Next()) {
    if (static_cast<int64_t>(state_.time) >= t) return true;
  }
  return false;
}

// ---------------------------------------------------------------- helpers

Status ValidateChunk(std::string_view bytes) {
  ChunkDecoder decoder(bytes);
  while (decoder.Next()) {
  }
  return decoder.status();
}

size_t CountSamples(std::string_view bytes) {
  if (bytes.size() < kChunkHeaderSize) return 0;
  const auto format = static_cast<uint8_t>(bytes[0]);
  if (format != kChunkFormatV1 && format != kChunkFormatSplit && format != kChunkFormatBlocks) return 0;
  return static_cast<size_t>(static_cast<uint8_t>(bytes[1])) |
         (static_cast<size_t>(static_cast<uint8_t>(bytes[2])) << 8);
}

bool ChunkFirstTime(std::string_view bytes, int64_t* t) {
  if (CountSamples(bytes) == 0) return false;
  const char* p = bytes.data() + kChunkHeaderSize;
  const char* end = bytes.data() + bytes.size();
  if (bytes[0] != static_cast<char>(kChunkFormatV1)) {
    uint64_t time_bytes = 0;  // split and block chunks: the stream's length first
    p = GetVarint64Ptr(p, end, &time_bytes);
    if (p == nullptr) return false;
  }
  BitReader r(reinterpret_cast<const uint8_t*>(p), static_cast<size_t>(end - p));
  const uint64_t zz = ReadVarBits(&r);
  if (r.overrun()) return false;
  *t = ZigZagDecode(zz);
  return true;
}

Status AppendChunkSamples(std::string_view bytes, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                          bool* past_maxt) {
  ChunkDecoder dec(bytes);
  // Decode the whole chunk straight into *out, then drop what lies outside
  // [mint, maxt]: only a range's first and last chunks have such samples.
  const size_t base = out->size();
  out->resize(base + dec.num_samples());
  const size_t n = dec.NextSamples(std::span<Sample>(out->data() + base, dec.num_samples()));
  auto first = out->begin() + static_cast<ptrdiff_t>(base);
  auto end = first + static_cast<ptrdiff_t>(n);
  auto hi = end;
  if (n > 0 && (end - 1)->timestamp_ms > maxt) {
    hi = std::upper_bound(first, end, maxt, [](int64_t t, const Sample& x) { return t < x.timestamp_ms; });
    *past_maxt = true;
  }
  auto lo = first;
  if (n > 0 && first->timestamp_ms < mint) {
    lo = std::lower_bound(first, hi, mint, [](const Sample& x, int64_t t) { return x.timestamp_ms < t; });
  }
  if (lo != first) std::copy(lo, hi, first);
  out->resize(base + static_cast<size_t>(hi - lo));
  return dec.status();
}

}  // namespace vigil::tsdb
