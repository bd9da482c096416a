#pragma once
// Block chunks (kChunkFormatBlocks): the sample chunk layout of sealed head
// chunks and of parts, built for decoding speed.
//
// The adaptive codes of tsdb/chunk.h chain every sample to the one before it
// through the bit position (a Rice parameter learned from the last
// residuals), so a decoder cannot start on a field before it has finished
// the previous one. Here samples go in blocks of kBlockSamples whose fields
// all have one width, written in the block's header: a decoder reads them
// back to back and then runs short prefix sums. Sizes stay close to the
// adaptive codes' on scrape data (tsdb_chunk_bench), because a block's
// widest residual is rarely much wider than its typical one.
//
// Layout (bit fields MSB-first, as tsdb/bitstream.h):
//   byte 0      kChunkFormatBlocks
//   bytes 1-2   sample count n, little-endian uint16
//   varint      byte length of the timestamp stream
//   timestamps  VarBits(zigzag(t0)); if n >= 2, VarBits(zigzag(base)), the
//               base delta (the encoder takes the median delta); then per block, when it holds samples after
//               the first of the chunk: a 7-bit width w and, if w > 0, a
//               bit: 0 dense = for each such sample zigzag(delta - base) in
//               w bits; 1 sparse = per sample a bit, and the w-bit field
//               only when that bit is 1 (else the delta is the base).
//               Zero-padded.
//   values      per block, a 2-bit kind:
//                 0 decimal, continuing the previous block's exponent,
//                   mantissa and step: a predictor bit, a 7-bit width w and
//                   per sample a w-bit field. Predictor 0: VarBits(zigzag(
//                   b)) first, and each field is the mantissa's delta minus
//                   b (b = the block's smallest delta); predictor 1: each
//                   field is zigzag(delta - previous delta);
//                 1 decimal restart: a 4-bit exponent, the first mantissa as
//                   VarBits(zigzag(m)) (its step counts as 0), then for the
//                   block's other samples, if any, as kind 0;
//                 2 xor: per sample, the bits XOR the previous value's:
//                   "0" equal, "10" inside the current window, "11" then a
//                   6-bit leading-zero count, a 6-bit (length - 1) and the
//                   bits; the window starts full at each xor block.
//               Decimal value = mantissa / 10^exponent (see chunk_codes.h).
//               Zero-padded.
// A timestamp stream of equally spaced samples is all zero widths, so
// series scraped together also share byte-identical timestamp streams.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/sample_row.h"
#include "tsdb/bitstream.h"

namespace vigil::tsdb {

// First byte of a block chunk.
inline constexpr uint8_t kChunkFormatBlocks = 0x03;
// Samples per block (the last block of a chunk may hold fewer).
inline constexpr size_t kBlockSamples = 32;

// Encodes `samples` as a block chunk. Every double comes back bit for bit.
// REQUIRES: samples.size() <= 65535; timestamps non-decreasing.
std::string EncodeBlockChunk(std::span<const Sample> samples);

// BlockChunkReader decodes a block chunk a block at a time.
//
// Safe on arbitrary bytes: reads stay within the given view, and malformed
// input (bad header, truncation, impossible widths, decreasing timestamps,
// trailing garbage) yields an error message. Not thread-safe.
class BlockChunkReader {
 public:
  // An empty reader (zero samples); Open() gives it a chunk.
  BlockChunkReader() = default;

  // Starts reading `bytes`, whose first byte is kChunkFormatBlocks. Returns
  // nullptr, or why the header is malformed (then num_samples() is 0).
  // REQUIRES: `bytes` outlives the reader and does not change meanwhile.
  const char* Open(std::string_view bytes);

  // Samples in the chunk, per its header.
  size_t num_samples() const { return total_; }
  // Samples decoded so far.
  size_t decoded() const { return index_; }
  // Samples the next DecodeBlock() writes: min(kBlockSamples, left).
  size_t next_block_size() const { return total_ - index_ < kBlockSamples ? total_ - index_ : kBlockSamples; }

  // Decodes the next block into out[0, next_block_size()). Returns nullptr,
  // or why the bytes are malformed (out may then hold partial garbage and
  // decoding must stop). After the last block, also checks that nothing
  // follows it. REQUIRES: out holds next_block_size() > 0 samples.
  const char* DecodeBlock(Sample* out);

 private:
  const char* DecodeTimes(Sample* out, size_t count);
  const char* DecodeValues(Sample* out, size_t count);
  // Decodes a decimal run (predictor bit, width, `count` residuals) into
  // out[0, count).
  const char* DecodeDecimalRun(Sample* out, size_t count);
  const char* DecodeXorRun(Sample* out, size_t count);

  BitReader time_reader_;
  BitReader value_reader_;
  size_t total_ = 0;
  size_t index_ = 0;
  uint64_t time_ = 0;       // last decoded timestamp (two's complement)
  uint64_t base_delta_ = 0;
  bool decimal_ = false;    // the previous block was decimal
  int exponent_ = 0;
  uint64_t mantissa_ = 0;
  uint64_t step_ = 0;
  uint64_t bits_ = 0;       // last value's bits
};

}  // namespace vigil::tsdb
