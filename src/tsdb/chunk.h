#pragma once
// Compressed chunk of (timestamp, value) samples of one series.
//
// Timestamps are int64 milliseconds, stored as the difference between each
// delta and the series' interval, in variable-width buckets: a regular scrape
// interval costs one bit a sample, a few ms of jitter about six.
// Values are float64, stored in one of two modes chosen per sample:
//   - decimal: a value that is exactly m / 10^k for an integer |m| < 2^53 and
//     k <= 15 (integers, counters, gauges with a few decimal digits: almost
//     every real metric) is stored as the residual of m against a predictor,
//     Rice-coded with a parameter adapted to recent residuals.
//     The predictor is either the previous m (gauges) or the previous m plus
//     the previous step (counters growing at a steady rate); encoder and
//     decoder both pick the one that recently gave smaller residuals, so the
//     choice costs no bits.
//   - xor: any other double (NaN payloads, ±Inf, -0.0, denormals, values
//     that are not short decimals) is XOR-ed with the previous value's bits,
//     Gorilla style, reusing the previous leading/trailing-zero window.
// Every double comes back bit for bit, so Prometheus' stale marker NaN stays
// distinct from other NaNs.
//
// Two layouts of the same codes (all fields MSB-first bits):
//   interleaved (kChunkFormatV1), the head's: valid after every Append, so a
//   head chunk can be read or persisted while it is still being filled.
//     byte 0     kChunkFormatV1
//     bytes 1-2  sample count, little-endian uint16
//     bits       each sample's timestamp code then its value code; the
//                final byte is zero-padded
//   split (kChunkFormatSplit), the parts' layout before block chunks; still
//   read, and written by Finish() for ChunkLayout::kSplit.
//     byte 0     kChunkFormatSplit
//     bytes 1-2  sample count, little-endian uint16
//     varint     byte length of the timestamp stream
//     bytes      the timestamp codes, zero-padded
//     bytes      the value codes, zero-padded
//   Series scraped together have equal timestamps, so their split chunks
//   carry byte-identical timestamp streams that a block compressor (zstd,
//   tsdb/part.h) stores once.
// A third format, block chunks (kChunkFormatBlocks, tsdb/block_chunk.h), uses
// fixed-width blocks instead of these adaptive codes; ChunkDecoder reads all
// three. Sealed head chunks and parts are block chunks; the head's open chunk
// stays interleaved, as it must be readable after every Append.
// There is no checksum: whatever stores chunks (WAL records, part blocks)
// must carry one. The decoder is safe on any bytes and reports structural
// damage, but a flipped bit inside a raw value field decodes as another value.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/sample_row.h"
#include "base/status.h"
#include "tsdb/bitstream.h"
#include "tsdb/block_chunk.h"

namespace vigil::tsdb {

// First byte of an interleaved chunk.
inline constexpr uint8_t kChunkFormatV1 = 0x01;
// First byte of a split chunk.
inline constexpr uint8_t kChunkFormatSplit = 0x02;

// Where ChunkEncoder writes timestamp codes: between the value codes, or in
// a stream of their own.
// kBlocks: Finish() encodes the samples as a block chunk (tsdb/block_chunk.h),
// which decodes several times faster; Append() only collects them.
enum class ChunkLayout : uint8_t { kInterleaved, kSplit, kBlocks };
// Bytes before the bit stream: format id and sample count.
inline constexpr size_t kChunkHeaderSize = 3;
// A chunk holds at most this many samples (the count is a uint16).
inline constexpr size_t kMaxSamplesPerChunk = 65535;

namespace chunk_internal {

// How the previous value was stored; the next value's code depends on it.
enum class ValueMode : uint8_t { kDecimal, kXor };

// Value-coding state that the encoder and decoder evolve identically. Both
// start in xor mode against the bits of +0.0 with a full 64-bit window.
struct ValueState {
  ValueMode mode = ValueMode::kXor;
  int exponent = 0;          // decimal mode: values are m / 10^exponent
  uint64_t mantissa = 0;     // decimal mode: previous m (two's complement)
  uint64_t step = 0;         // decimal mode: previous m minus the one before
  uint32_t delta_cost = 0;   // recent residual widths when predicting m = prev
  uint32_t step_cost = 0;    // ... when predicting m = prev + step
  uint64_t bits = 0;         // previous value's IEEE-754 bits
  int xor_leading = 0;       // xor mode: window of meaningful bits
  int xor_significant = 64;
};

// Everything the decoder advances per sample, kept together so that a batch
// decode can work on a local copy held in registers.
struct DecoderState {
  BitReader reader;          // value codes; timestamps too when interleaved
  BitReader time_reader;     // split layout: timestamp codes
  size_t index = 0;          // samples decoded so far
  uint64_t time = 0;         // current sample's timestamp (two's complement)
  uint64_t last_delta = 0;
  uint64_t interval = 0;
  ValueState value;
};

}  // namespace chunk_internal

// ChunkEncoder builds one chunk by appending samples in time order.
// Not thread-safe: a reader of bytes() must be synchronized with Append().
class ChunkEncoder {
 public:
  // An empty chunk: bytes() is a valid encoding of zero samples.
  explicit ChunkEncoder(ChunkLayout layout = ChunkLayout::kInterleaved);

  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;
  ChunkEncoder(ChunkEncoder&&) = default;
  ChunkEncoder& operator=(ChunkEncoder&&) = default;

  // Appends one sample; any double, stored bit for bit.
  // REQUIRES: !full(); t >= max_time() if num_samples() > 0. (Equal
  // timestamps are stored as given. A decreasing timestamp is a caller bug:
  // it asserts in debug builds, and decoding reports Corruption there.)
  void Append(int64_t t, double v);

  // Samples appended so far.
  size_t num_samples() const { return count_; }
  // Whether the chunk holds kMaxSamplesPerChunk samples.
  bool full() const { return count_ >= kMaxSamplesPerChunk; }

  // Timestamp of the first / last sample. REQUIRES: num_samples() > 0.
  int64_t min_time() const { return first_time_; }
  int64_t max_time() const { return static_cast<int64_t>(last_time_); }

  // The encoding of all samples appended so far; decodable at any time and
  // records its own sample count. Valid until the next Append() or Finish().
  // REQUIRES: interleaved layout.
  std::string_view bytes() const { return writer_.bytes(); }
  // bytes().size(). REQUIRES: interleaved layout.
  size_t size_bytes() const { return writer_.size_bytes(); }

  // Returns the encoding of all samples appended so far and resets the
  // encoder to empty (same layout).
  std::string Finish();

 private:
  void AppendFirst(int64_t t, double v);
  void AppendTimestamp(int64_t t);
  void AppendValue(double v);
  // Writes `bits` with the xor-mode code (which includes decimal restarts).
  void WriteXorModeCode(double v, uint64_t bits);
  // Starts decimal mode at (exponent, mantissa), resetting the predictor.
  void WriteDecimalRestart(int exponent, int64_t mantissa);
  // Rate-limits the decimal search for series whose values are not decimals.
  bool ShouldSearchDecimal();

  ChunkLayout layout_;
  BitWriter writer_;       // header, value codes (and timestamp codes when interleaved)
  std::unique_ptr<BitWriter> time_writer_;  // split layout only: timestamp codes
  size_t count_ = 0;
  int64_t first_time_ = 0;
  uint64_t last_time_ = 0;   // two's complement; deltas wrap harmlessly
  uint64_t last_delta_ = 0;
  uint64_t interval_ = 0;    // predicted delta
  chunk_internal::ValueState value_;
  std::vector<Sample> pending_;  // block layout only: the samples appended
  uint32_t decimal_search_backoff_ = 0;   // values skipped after the last miss
  uint32_t decimal_search_cooldown_ = 0;  // values still to skip
};

// ChunkDecoder iterates over the samples of an encoded chunk, in order.
//
// Safe on arbitrary bytes: reads stay within the given view, and malformed
// input (bad header, truncation, impossible codes, decreasing timestamps,
// trailing garbage) stops iteration with a Corruption status. Samples returned
// before the error are the ones the bytes encode up to that point.
// Not thread-safe; distinct decoders over the same bytes are independent.
class ChunkDecoder {
 public:
  // REQUIRES: `bytes` outlives the decoder and does not change meanwhile.
  explicit ChunkDecoder(std::string_view bytes);

  // Advances to the next sample. Returns false at the end of the chunk or on
  // corruption (then status() says which); later calls keep returning false.
  bool Next();

  // Advances to the first sample with timestamp >= t and returns true, or
  // returns false if there is none. Never moves backward: if the current
  // sample already has timestamp >= t, stays on it. Works before the first
  // Next() (starting from the first sample).
  bool Seek(int64_t t);

  // Decodes up to min(t.size(), v.size()) next samples into t and v and
  // returns how many it wrote; fewer means the end of the chunk or corruption
  // (see status()). Afterwards t()/v() are the last sample written, as if
  // Next() had been called that many times. The fast way to read a chunk.
  size_t NextBatch(std::span<int64_t> t, std::span<double> v);

  // NextBatch into samples: decodes up to out.size() next samples into out.
  size_t NextSamples(std::span<Sample> out);

  // The current sample. REQUIRES: the last Next()/Seek() returned true
  // (or NextBatch() returned > 0).
  int64_t t() const { return static_cast<int64_t>(state_.time); }
  double v() const { return std::bit_cast<double>(state_.value.bits); }

  // Sample count recorded in the header (0 if the header is malformed).
  size_t num_samples() const { return total_; }

  // OK unless the bytes were found malformed; stays OK at a clean end.
  const Status& status() const { return status_; }

 private:
  // Records a Corruption status (the first one wins) and stops; returns false.
  bool Fail(const char* what);
  // Called when every sample has been decoded; checks nothing follows.
  bool CheckEnd();
  // Decodes up to `capacity` samples, handing each to store(index, t, v).
  template <typename Store>
  size_t DecodeInto(size_t capacity, Store store);

  // Block chunks: makes the buffer hold undelivered samples, decoding the
  // next block if needed; false at the end or on corruption.
  bool FillBlockBuffer();
  // Block chunks: hands up to `capacity` buffered samples to store(i, t, v)
  // and makes the last one current. REQUIRES: the buffer is not empty.
  template <typename Store>
  size_t TakeBuffered(size_t capacity, Store store);

  chunk_internal::DecoderState state_;
  // Block chunks (kChunkFormatBlocks): the reader and the decoded samples
  // of the current block not yet handed out.
  BlockChunkReader block_reader_;
  std::array<Sample, kBlockSamples> buffer_;
  size_t buffered_ = 0;
  size_t buffer_pos_ = 0;
  bool blocks_ = false;
  Status status_;
  size_t total_ = 0;
  bool done_ = false;
  bool split_ = false;
};

// Sets *t to the chunk's first timestamp, reading only the header and that
// one field; false for an empty or malformed chunk. Does not validate the
// rest of the chunk.
bool ChunkFirstTime(std::string_view bytes, int64_t* t);

// Decodes the whole chunk and reports the first problem found, if any.
Status ValidateChunk(std::string_view bytes);

// The sample count recorded in the chunk header, without decoding; 0 if the
// header is malformed. Does not validate the samples.
size_t CountSamples(std::string_view bytes);


// Appends the samples of the chunk `bytes` with mint <= t <= maxt to *out,
// decoding straight into it. Sets *past_maxt when the chunk holds a
// sample after maxt (later chunks of the series need not be read). Returns
// the decoder's status (Corruption for a damaged chunk; samples before the
// damage are appended).
Status AppendChunkSamples(std::string_view bytes, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                          bool* past_maxt);

}  // namespace vigil::tsdb
