#include "tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tsdb/bitstream.h"

namespace vigil::tsdb {
namespace {

struct Sample {
  int64_t t;
  double v;
};

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;

double FromBits(uint64_t bits) { return std::bit_cast<double>(bits); }
uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

std::string Encode(const std::vector<Sample>& samples, ChunkLayout layout = ChunkLayout::kInterleaved) {
  ChunkEncoder enc(layout);
  for (const Sample& s : samples) enc.Append(s.t, s.v);
  return enc.Finish();
}

std::vector<Sample> DecodeAll(std::string_view bytes, Status* status = nullptr) {
  std::vector<Sample> out;
  ChunkDecoder dec(bytes);
  while (dec.Next()) out.push_back({dec.t(), dec.v()});
  if (status != nullptr) *status = dec.status();
  return out;
}

// Asserts that `got` equals the first got.size() samples of `want`, bit for bit.
void ExpectPrefix(const std::vector<Sample>& want, const std::vector<Sample>& got) {
  ASSERT_LE(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].t, want[i].t) << "sample " << i;
    ASSERT_EQ(Bits(got[i].v), Bits(want[i].v)) << "sample " << i << " want " << want[i].v
                                               << " got " << got[i].v;
  }
}

void ExpectRoundTrip(const std::vector<Sample>& samples, ChunkLayout layout = ChunkLayout::kInterleaved) {
  const std::string bytes = Encode(samples, layout);
  EXPECT_EQ(CountSamples(bytes), samples.size());
  Status status;
  const std::vector<Sample> got = DecodeAll(bytes, &status);
  EXPECT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(got.size(), samples.size());
  ExpectPrefix(samples, got);
  EXPECT_TRUE(ValidateChunk(bytes).ok());
}

std::vector<double> EdgeValues() {
  return {0.0,
          -0.0,
          FromBits(kStaleNaNBits),
          FromBits(kNormalNaNBits),
          std::numeric_limits<double>::quiet_NaN(),
          FromBits(0xfff8000000000000ULL),  // negative NaN
          FromBits(0x7ff0000000000001ULL),  // signalling NaN, smallest payload
          std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(),
          std::numeric_limits<double>::denorm_min(),
          -std::numeric_limits<double>::denorm_min(),
          FromBits(0x000fffffffffffffULL),  // largest denormal
          std::numeric_limits<double>::min(),
          std::numeric_limits<double>::max(),
          std::numeric_limits<double>::lowest(),
          std::numeric_limits<double>::epsilon(),
          1.0,
          -1.0,
          0.1,
          45.23,
          -45.23,
          1e-15,
          1.5e-15,
          123456789.123456,
          9007199254740991.0,   // 2^53 - 1
          9007199254740992.0,   // 2^53
          9007199254740993.0,   // rounds to 2^53
          9.2233720368547758e18,
          -9.2233720368547758e18,
          1e300,
          1.0 / 3.0};
}

TEST(ChunkTest, EmptyChunkIsHeaderOnlyAndDecodesToNothing) {
  ChunkEncoder enc;
  EXPECT_EQ(enc.num_samples(), 0u);
  EXPECT_EQ(enc.size_bytes(), kChunkHeaderSize);
  EXPECT_EQ(CountSamples(enc.bytes()), 0u);
  Status status;
  EXPECT_TRUE(DecodeAll(enc.bytes(), &status).empty());
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(ValidateChunk(enc.Finish()).ok());
}

TEST(ChunkTest, SingleSampleOfEveryEdgeValue) {
  for (double v : EdgeValues()) {
    for (int64_t t : {int64_t{0}, int64_t{1700000000000}, int64_t{-1},
                      std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
      ExpectRoundTrip({{t, v}});
    }
  }
}

TEST(ChunkTest, EdgeValuesInEveryOrderPairRoundTripBitExact) {
  const std::vector<double> edges = EdgeValues();
  std::vector<Sample> samples;
  int64_t t = 1000;
  for (double a : edges) {
    for (double b : edges) {
      samples.push_back({t += 15000, a});
      samples.push_back({t += 15000, b});
    }
  }
  ASSERT_LE(samples.size(), kMaxSamplesPerChunk);
  ExpectRoundTrip(samples);
}

TEST(ChunkTest, StaleMarkerStaysDistinctFromNormalNaN) {
  const std::vector<Sample> samples = {{0, 1.5},
                                       {15000, FromBits(kStaleNaNBits)},
                                       {30000, FromBits(kNormalNaNBits)},
                                       {45000, FromBits(kStaleNaNBits)},
                                       {60000, FromBits(kStaleNaNBits)},
                                       {75000, 1.5}};
  const std::string bytes = Encode(samples);
  const std::vector<Sample> got = DecodeAll(bytes);
  ASSERT_EQ(got.size(), samples.size());
  EXPECT_EQ(Bits(got[1].v), kStaleNaNBits);
  EXPECT_EQ(Bits(got[2].v), kNormalNaNBits);
  EXPECT_EQ(Bits(got[3].v), kStaleNaNBits);
  EXPECT_EQ(Bits(got[4].v), kStaleNaNBits);
  EXPECT_EQ(got[5].v, 1.5);
}

TEST(ChunkTest, DecimalExponentChangesAndExcursionsRoundTrip) {
  const std::vector<double> values = {45,    45.2,  45.23, 45.231, 45,   -3.5,   FromBits(kStaleNaNBits),
                                      45.2,  1e300, 45.2,  1e-20,  45.2, 0.0,    -0.0,
                                      1e15,  -1e15, 1e-15, 2e-15,  7,    7.0001, 1e16,
                                      1e16,  1e16,  45.2,  45.2,   45.2, 1e-300, 100};
  std::vector<Sample> samples;
  for (size_t i = 0; i < values.size(); ++i) samples.push_back({int64_t(i) * 15000, values[i]});
  ExpectRoundTrip(samples);
}

TEST(ChunkTest, MantissaDeltasOfEveryWidthRoundTrip) {
  // Jumps of 2^k exercise every residual bucket and the escape to a restart.
  std::vector<Sample> samples;
  int64_t m = 0;
  int64_t t = 0;
  for (int k = 0; k < 53; ++k) {
    for (int sign : {1, -1}) {
      m = sign * ((int64_t{1} << k) - 1);
      samples.push_back({t += 15000, static_cast<double>(m)});
      samples.push_back({t += 15000, static_cast<double>(m) / 100});
    }
  }
  ExpectRoundTrip(samples);
}

TEST(ChunkTest, EqualTimestampsRoundTrip) {
  ExpectRoundTrip({{5, 1}, {5, 2}, {5, 2}, {5, FromBits(kStaleNaNBits)}, {6, 3}, {6, 3}});
}

TEST(ChunkTest, BigGapsUseTheWideEncoding) {
  ExpectRoundTrip({{0, 1}, {int64_t{1} << 62, 2}, {(int64_t{1} << 62) + 15000, 3}});
  ExpectRoundTrip({{std::numeric_limits<int64_t>::min(), 1},
                   {0, 2},
                   {std::numeric_limits<int64_t>::max(), 3},
                   {std::numeric_limits<int64_t>::max(), 4}});
  ExpectRoundTrip({{std::numeric_limits<int64_t>::min(), 1}, {std::numeric_limits<int64_t>::max(), 2}});
}

TEST(ChunkTest, NegativeTimestampsRoundTrip) {
  std::vector<Sample> samples;
  for (int64_t t = -1000000; t < 1000000; t += 15001) samples.push_back({t, double(t) / 1000});
  ExpectRoundTrip(samples);
}

TEST(ChunkTest, MinAndMaxTimeTrackAppends) {
  ChunkEncoder enc;
  enc.Append(-5, 1);
  enc.Append(10, 1);
  enc.Append(10, 1);
  EXPECT_EQ(enc.min_time(), -5);
  EXPECT_EQ(enc.max_time(), 10);
  EXPECT_EQ(enc.num_samples(), 3u);
}

TEST(ChunkTest, FinishResetsTheEncoder) {
  ChunkEncoder enc;
  enc.Append(1, 1.5);
  enc.Append(2, 2.5);
  const std::string first = enc.Finish();
  EXPECT_EQ(CountSamples(first), 2u);
  EXPECT_EQ(enc.num_samples(), 0u);
  EXPECT_EQ(enc.size_bytes(), kChunkHeaderSize);
  enc.Append(7, 9);
  const std::vector<Sample> got = DecodeAll(enc.Finish());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].t, 7);
  EXPECT_EQ(got[0].v, 9);
}

TEST(ChunkTest, BytesAreAValidChunkAfterEveryAppend) {
  std::mt19937_64 rng(7);
  std::vector<Sample> samples;
  ChunkEncoder enc;
  int64_t t = 1700000000000;
  for (int i = 0; i < 300; ++i) {
    t += 15000 + static_cast<int64_t>(rng() % 3) - 1;
    const double v = (i % 17 == 0) ? FromBits(kStaleNaNBits) : static_cast<double>(rng() % 1000) / 100;
    samples.push_back({t, v});
    enc.Append(t, v);
    Status status;
    const std::vector<Sample> got = DecodeAll(enc.bytes(), &status);
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_EQ(got.size(), samples.size());
    ExpectPrefix(samples, got);
  }
}

TEST(ChunkTest, FullChunkHoldsMaxSamples) {
  ChunkEncoder enc;
  std::vector<Sample> samples;
  for (size_t i = 0; i < kMaxSamplesPerChunk; ++i) {
    samples.push_back({int64_t(i) * 15000, double(i % 100)});
    enc.Append(samples.back().t, samples.back().v);
  }
  EXPECT_TRUE(enc.full());
  const std::string bytes = enc.Finish();
  EXPECT_EQ(CountSamples(bytes), kMaxSamplesPerChunk);
  const std::vector<Sample> got = DecodeAll(bytes);
  ASSERT_EQ(got.size(), samples.size());
  ExpectPrefix(samples, got);
}

// Mixed series: every generator the engine meets, switching mid-chunk.
std::vector<Sample> RandomSamples(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  const std::vector<double> edges = EdgeValues();
  std::vector<Sample> out;
  int64_t t = static_cast<int64_t>(rng());
  if (t > 0) t = -t / 2;  // leave headroom for gaps
  double v = 0;
  int64_t counter = 0;
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 8) {
      case 0: t += 0; break;
      case 1: t += static_cast<int64_t>(rng() % (uint64_t{1} << (rng() % 62))); break;
      default: t += 15000 + static_cast<int64_t>(rng() % 11) - 5; break;
    }
    switch (rng() % 9) {
      case 0: v = std::bit_cast<double>(rng()); break;               // any bits, NaN payloads
      case 1: v = edges[rng() % edges.size()]; break;
      case 2: v = static_cast<double>(static_cast<int64_t>(rng() % 100000) - 50000) / 100; break;
      case 3: counter += static_cast<int64_t>(rng() % 20); v = static_cast<double>(counter); break;
      case 4: v = static_cast<double>(rng() % 1000) * 1e-12; break;
      case 5: v = static_cast<double>(static_cast<int64_t>(rng())); break;
      default: break;  // repeat the previous value
    }
    out.push_back({t, v});
  }
  return out;
}

TEST(ChunkTest, RandomSeriesRoundTripBitExact) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(seed);
    ExpectRoundTrip(RandomSamples(seed, 1 + seed % 400));
  }
}

TEST(ChunkTest, SeekFindsFirstSampleAtOrAfter) {
  const std::string bytes = Encode({{10, 1}, {20, 2}, {20, 3}, {30, 4}, {40, 5}});
  {
    ChunkDecoder dec(bytes);  // before the first Next(): starts at the beginning
    ASSERT_TRUE(dec.Seek(-100));
    EXPECT_EQ(dec.t(), 10);
  }
  {
    ChunkDecoder dec(bytes);
    ASSERT_TRUE(dec.Seek(20));  // equal timestamps: the first of them
    EXPECT_EQ(dec.t(), 20);
    EXPECT_EQ(dec.v(), 2);
    ASSERT_TRUE(dec.Seek(15));  // never moves backward
    EXPECT_EQ(dec.v(), 2);
    ASSERT_TRUE(dec.Seek(25));  // between samples: the next one
    EXPECT_EQ(dec.t(), 30);
    ASSERT_TRUE(dec.Next());
    EXPECT_EQ(dec.t(), 40);
    EXPECT_FALSE(dec.Seek(41));  // past the end
    EXPECT_FALSE(dec.Seek(0));   // stays exhausted
    EXPECT_TRUE(dec.status().ok());
  }
  {
    ChunkDecoder dec(bytes);
    ASSERT_TRUE(dec.Seek(40));  // exactly the last
    EXPECT_EQ(dec.v(), 5);
    EXPECT_FALSE(dec.Next());
  }
  ChunkEncoder empty;
  ChunkDecoder dec(empty.bytes());
  EXPECT_FALSE(dec.Seek(0));
  EXPECT_TRUE(dec.status().ok());
}

TEST(ChunkTest, NextBatchMatchesNextForEveryBatchSize) {
  const std::vector<Sample> samples = RandomSamples(31, 500);
  const std::string bytes = Encode(samples);
  for (size_t batch : {size_t{1}, size_t{7}, size_t{500}, size_t{1000}}) {
    SCOPED_TRACE(batch);
    ChunkDecoder dec(bytes);
    std::vector<int64_t> ts(batch);
    std::vector<double> vs(batch);
    std::vector<Sample> got;
    for (;;) {
      const size_t n = dec.NextBatch(ts, vs);
      for (size_t i = 0; i < n; ++i) got.push_back({ts[i], vs[i]});
      if (n > 0) {
        EXPECT_EQ(dec.t(), ts[n - 1]);
        EXPECT_EQ(Bits(dec.v()), Bits(vs[n - 1]));
      }
      if (n < batch) break;
    }
    EXPECT_TRUE(dec.status().ok()) << dec.status().ToString();
    ASSERT_EQ(got.size(), samples.size());
    ExpectPrefix(samples, got);
    EXPECT_EQ(dec.NextBatch(ts, vs), 0u);
    EXPECT_FALSE(dec.Next());
  }
}

TEST(ChunkTest, NextSamplesMatchesNext) {
  const std::vector<Sample> samples = RandomSamples(37, 500);
  const std::string bytes = Encode(samples);
  ChunkDecoder dec(bytes);
  std::vector<vigil::Sample> got(600);
  ASSERT_EQ(dec.NextSamples(std::span<vigil::Sample>(got).first(300)), 300u);
  EXPECT_EQ(dec.t(), got[299].timestamp_ms);
  ASSERT_EQ(dec.NextSamples(std::span<vigil::Sample>(got).subspan(300)), 200u);  // the rest, then the end
  EXPECT_TRUE(dec.status().ok()) << dec.status().ToString();
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ(got[i].timestamp_ms, samples[i].t) << i;
    ASSERT_EQ(Bits(got[i].value), Bits(samples[i].v)) << i;
  }
  EXPECT_FALSE(dec.Next());
}

// AppendChunkSamples appends only [mint, maxt] after what *out held, and
// says whether the chunk goes past maxt.
TEST(ChunkTest, AppendChunkSamplesKeepsTheRangeAndFlagsPastMaxt) {
  std::vector<Sample> samples;
  for (int i = 0; i < 200; ++i) samples.push_back({1000 + 10 * i, i * 0.5});
  const std::string bytes = Encode(samples);
  struct Case {
    int64_t mint, maxt;
    size_t first, count;
    bool past_maxt;
  };
  for (const Case& c : {Case{1000, 2990, 0, 200, false}, Case{1005, 1500, 1, 50, true}, Case{0, 999, 0, 0, true},
                        Case{3000, 9000, 0, 0, false}, Case{1500, 1500, 50, 1, true}}) {
    SCOPED_TRACE(c.mint);
    std::vector<vigil::Sample> out = {{1, 9.0}};
    bool past_maxt = false;
    ASSERT_TRUE(AppendChunkSamples(bytes, c.mint, c.maxt, &out, &past_maxt).ok());
    ASSERT_EQ(out.size(), 1 + c.count);
    EXPECT_EQ(out[0].timestamp_ms, 1);
    for (size_t k = 0; k < c.count; ++k) EXPECT_EQ(out[1 + k].timestamp_ms, samples[c.first + k].t);
    EXPECT_EQ(past_maxt, c.past_maxt);
  }
}

TEST(ChunkTest, NextBatchAfterNextContinuesAndStopsAtCorruption) {
  const std::vector<Sample> samples = RandomSamples(32, 100);
  const std::string bytes = Encode(samples);
  ChunkDecoder dec(bytes);
  ASSERT_TRUE(dec.Next());
  std::vector<int64_t> ts(1000);
  std::vector<double> vs(1000);
  ASSERT_EQ(dec.NextBatch(ts, vs), samples.size() - 1);
  EXPECT_EQ(ts[0], samples[1].t);
  EXPECT_TRUE(dec.status().ok());

  const std::string truncated = bytes.substr(0, bytes.size() / 2);
  ChunkDecoder broken(truncated);
  const size_t n = broken.NextBatch(ts, vs);
  EXPECT_LT(n, samples.size());
  EXPECT_EQ(broken.status().code(), Status::Code::kCorruption);
  std::vector<Sample> got;
  for (size_t i = 0; i < n; ++i) got.push_back({ts[i], vs[i]});
  ExpectPrefix(samples, got);
}

TEST(ChunkTest, MalformedHeadersAreCorruption) {
  EXPECT_EQ(ValidateChunk("").code(), Status::Code::kCorruption);
  EXPECT_EQ(ValidateChunk(std::string("\x01\x00", 2)).code(), Status::Code::kCorruption);
  EXPECT_EQ(ValidateChunk(std::string("\x02\x00\x00", 3)).code(), Status::Code::kCorruption);
  EXPECT_EQ(CountSamples("\x02\x05\x00"), 0u);
  // A header claiming one sample with no bits behind it.
  EXPECT_EQ(ValidateChunk(std::string("\x01\x01\x00", 3)).code(), Status::Code::kCorruption);
}

TEST(ChunkTest, TrailingGarbageIsCorruption) {
  std::string bytes = Encode({{1, 1}, {2, 2}});
  ASSERT_TRUE(ValidateChunk(bytes).ok());
  std::string padded = bytes + std::string(1, '\0');
  EXPECT_EQ(ValidateChunk(padded).code(), Status::Code::kCorruption);
  std::string dirty_padding = bytes;
  dirty_padding.back() = static_cast<char>(dirty_padding.back() | 1);
  // Either the flipped bit was padding (Corruption) or data; never a crash.
  (void)ValidateChunk(dirty_padding);
}

// Asserts that every proper prefix of the encoding of `samples` decodes to a
// prefix of `samples` and ends in Corruption.
void ExpectEveryTruncationIsCorruptAfterACleanPrefix(const std::vector<Sample>& samples, ChunkLayout layout) {
  const std::string bytes = Encode(samples, layout);
  for (size_t len = 0; len < bytes.size(); ++len) {
    // Copy so that ASan sees the exact end of the buffer.
    const std::string truncated = bytes.substr(0, len);
    Status status;
    const std::vector<Sample> got = DecodeAll(truncated, &status);
    ASSERT_EQ(status.code(), Status::Code::kCorruption) << "len " << len;
    ExpectPrefix(samples, got);
  }
}

TEST(ChunkTest, TruncationAtEveryByteYieldsCorruptionAfterACleanPrefix) {
  for (uint64_t seed : {11u, 12u, 13u}) {
    ExpectEveryTruncationIsCorruptAfterACleanPrefix(RandomSamples(seed, 200), ChunkLayout::kInterleaved);
  }
}

TEST(ChunkTest, BitFlippedInputNeverCrashes) {
  const std::vector<Sample> samples = RandomSamples(21, 150);
  const std::string bytes = Encode(samples);
  size_t corrupted = 0;
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    Status status;
    const std::vector<Sample> got = DecodeAll(flipped, &status);
    EXPECT_LE(got.size(), CountSamples(flipped));
    for (size_t i = 1; i < got.size(); ++i) ASSERT_LE(got[i - 1].t, got[i].t);
    if (bit < 8) {
      EXPECT_EQ(status.code(), Status::Code::kCorruption) << "format byte, bit " << bit;
    }
    if (!status.ok()) ++corrupted;
  }
  // There is no checksum (the container has one), so a flip inside a raw
  // payload field goes unnoticed; flips in codes and lengths mostly do not.
  EXPECT_GT(corrupted, 0u);
}

TEST(ChunkTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (!bytes.empty() && rng() % 2) bytes[0] = static_cast<char>(kChunkFormatV1);
    Status status;
    const std::vector<Sample> got = DecodeAll(bytes, &status);
    EXPECT_LE(got.size(), CountSamples(bytes));
  }
}

std::string EncodeSplit(const std::vector<Sample>& samples) { return Encode(samples, ChunkLayout::kSplit); }

TEST(SplitChunkTest, EmptyAndSingleSampleRoundTrip) {
  const std::string empty = EncodeSplit({});
  EXPECT_EQ(static_cast<uint8_t>(empty[0]), kChunkFormatSplit);
  Status status;
  EXPECT_TRUE(DecodeAll(empty, &status).empty());
  EXPECT_TRUE(status.ok()) << status.ToString();
  for (double v : EdgeValues()) {
    const std::vector<Sample> one{{-5, v}};
    const std::vector<Sample> got = DecodeAll(EncodeSplit(one), &status);
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_EQ(got.size(), 1u);
    ExpectPrefix(one, got);
  }
}

TEST(SplitChunkTest, RandomSeriesDecodeExactlyAsTheInterleavedLayout) {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    const std::vector<Sample> samples = RandomSamples(seed, 1000);
    ExpectRoundTrip(samples, ChunkLayout::kSplit);
    const std::string split = EncodeSplit(samples);
    // Same codes, other order: a few bytes apart (length prefix, padding).
    EXPECT_NEAR(static_cast<double>(split.size()), static_cast<double>(Encode(samples).size()), 4);
  }
}

TEST(SplitChunkTest, NextBatchAndSeekMatchNext) {
  const std::vector<Sample> samples = RandomSamples(7, 500);
  const std::string bytes = EncodeSplit(samples);
  ChunkDecoder dec(bytes);
  std::vector<int64_t> t(37);
  std::vector<double> v(37);
  std::vector<Sample> got;
  size_t n;
  while ((n = dec.NextBatch(t, v)) > 0) {
    for (size_t i = 0; i < n; ++i) got.push_back({t[i], v[i]});
  }
  EXPECT_TRUE(dec.status().ok()) << dec.status().ToString();
  ASSERT_EQ(got.size(), samples.size());
  ExpectPrefix(samples, got);
  ChunkDecoder seek(bytes);
  ASSERT_TRUE(seek.Seek(samples[250].t));
  EXPECT_EQ(seek.t(), samples[250].t);
}

// Asserts that two series with equal timestamps and different values,
// encoded in `layout`, share their bytes up to the timestamp stream's end:
// the header (3 bytes), then the length-prefixed timestamp stream.
void ExpectEqualTimestampsGiveEqualTimestampStreams(ChunkLayout layout) {
  std::vector<Sample> a = RandomSamples(5, 300);
  std::vector<Sample> b = a;
  for (size_t i = 0; i < b.size(); ++i) b[i].v = static_cast<double>(i) * 0.25;
  const std::string sa = Encode(a, layout);
  const std::string sb = Encode(b, layout);
  size_t prefix = 3;
  while (prefix < sa.size() && prefix < sb.size() && sa[prefix] == sb[prefix]) ++prefix;
  EXPECT_GT(prefix, sa.size() / 4);
}

TEST(SplitChunkTest, SeriesWithEqualTimestampsHaveByteEqualTimestampStreams) {
  ExpectEqualTimestampsGiveEqualTimestampStreams(ChunkLayout::kSplit);
}

TEST(SplitChunkTest, TruncatedOrTrailingBytesAreCorruptionAfterACleanPrefix) {
  const std::vector<Sample> samples = RandomSamples(31, 200);
  ExpectEveryTruncationIsCorruptAfterACleanPrefix(samples, ChunkLayout::kSplit);
  EXPECT_EQ(ValidateChunk(EncodeSplit(samples) + std::string(1, '\0')).code(), Status::Code::kCorruption);
}

// Asserts that `bytes` with any one bit flipped, and `random_inputs` random
// byte strings behind `format`'s first byte, decode without a crash, to no
// more samples than the header claims, in non-decreasing time order.
void ExpectBitFlipsAndRandomBytesAreSafe(const std::string& bytes, uint8_t format, int random_inputs) {
  auto expect_safe = [](const std::string& input) {
    Status status;
    const std::vector<Sample> got = DecodeAll(input, &status);
    EXPECT_LE(got.size(), CountSamples(input));
    for (size_t i = 1; i < got.size(); ++i) ASSERT_LE(got[i - 1].t, got[i].t);
  };
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    expect_safe(flipped);
  }
  std::mt19937_64 rng(format);
  for (int i = 0; i < random_inputs; ++i) {
    std::string random(1 + rng() % 96, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    random[0] = static_cast<char>(format);
    expect_safe(random);
  }
}

TEST(SplitChunkTest, BitFlipsAndRandomBytesNeverCrash) {
  ExpectBitFlipsAndRandomBytesAreSafe(EncodeSplit(RandomSamples(41, 150)), kChunkFormatSplit, 2000);
}

// ---------------------------------------------------------------- block chunks

std::string EncodeBlocks(const std::vector<Sample>& samples) { return Encode(samples, ChunkLayout::kBlocks); }

TEST(BlockChunkTest, EmptyAndSingleSampleOfEveryEdgeValueRoundTrip) {
  const std::string empty = EncodeBlocks({});
  EXPECT_EQ(static_cast<uint8_t>(empty[0]), kChunkFormatBlocks);
  ExpectRoundTrip({}, ChunkLayout::kBlocks);
  for (double v : EdgeValues()) ExpectRoundTrip({{-5, v}}, ChunkLayout::kBlocks);
}

TEST(BlockChunkTest, RandomSeriesRoundTripBitExact) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(seed);
    ExpectRoundTrip(RandomSamples(seed, 1 + seed % 400), ChunkLayout::kBlocks);
  }
}

TEST(BlockChunkTest, EveryBlockBoundaryAndTheMaximumCountRoundTrip) {
  for (size_t n : {2u, 31u, 32u, 33u, 63u, 64u, 65u, 120u, 480u, 65535u}) {
    SCOPED_TRACE(n);
    std::vector<Sample> samples;
    for (size_t i = 0; i < n; ++i) samples.push_back({int64_t(i) * 15000, double(i % 100) / 4});
    ExpectRoundTrip(samples, ChunkLayout::kBlocks);
  }
}

TEST(BlockChunkTest, ExponentChangesCounterResetsAndXorBlocksRoundTrip) {
  std::vector<Sample> samples;
  int64_t t = 1700000000000;
  auto add = [&](double v) { samples.push_back({t += 15000, v}); };
  for (int i = 0; i < 40; ++i) add(1000 + i);                    // integers
  for (int i = 0; i < 40; ++i) add(1040 + i * 0.25);             // two decimals, same block
  add(3);                                                         // counter reset mid-block
  for (int i = 0; i < 40; ++i) add(9007199254740991.0 - i);       // mantissas at 2^53 - 1
  for (int i = 0; i < 5; ++i) add(1.0 / 3.0 + i);                 // not decimals: an xor block
  add(FromBits(kStaleNaNBits));
  for (int i = 0; i < 40; ++i) add(-0.5 * i);                     // back to decimals
  add(-0.0);
  for (int i = 0; i < 40; ++i) add(1e-15 * i);                    // the largest exponent
  ExpectRoundTrip(samples, ChunkLayout::kBlocks);
}

TEST(BlockChunkTest, ExtremeTimestampGapsAndEqualTimestampsRoundTrip) {
  ExpectRoundTrip({{INT64_MIN, 1}, {INT64_MIN, 2}, {0, 3}, {INT64_MAX, 4}, {INT64_MAX, 5}}, ChunkLayout::kBlocks);
  std::vector<Sample> jittered;
  for (int i = 0; i < 200; ++i) jittered.push_back({i * 15000 + (i % 7 == 0 ? 3 : 0), 1});
  ExpectRoundTrip(jittered, ChunkLayout::kBlocks);
}

TEST(BlockChunkTest, NextSamplesNextBatchAndSeekMatchNextForEveryCapacity) {
  const std::vector<Sample> samples = RandomSamples(17, 300);
  const std::string bytes = EncodeBlocks(samples);
  for (size_t capacity = 1; capacity <= 70; ++capacity) {
    SCOPED_TRACE(capacity);
    ChunkDecoder dec(bytes);
    std::vector<vigil::Sample> buf(capacity);
    std::vector<Sample> got;
    if (dec.Next()) got.push_back({dec.t(), dec.v()});  // a buffered block, partly taken
    for (size_t n; (n = dec.NextSamples(buf)) > 0;) {
      EXPECT_EQ(dec.t(), buf[n - 1].timestamp_ms);
      for (size_t i = 0; i < n; ++i) got.push_back({buf[i].timestamp_ms, buf[i].value});
    }
    EXPECT_TRUE(dec.status().ok()) << dec.status().ToString();
    ASSERT_EQ(got.size(), samples.size());
    ExpectPrefix(samples, got);
    EXPECT_FALSE(dec.Next());
    ChunkDecoder batch(bytes);
    std::vector<int64_t> t(capacity);
    std::vector<double> v(capacity);
    size_t total = 0;
    for (size_t n; (n = batch.NextBatch(t, v)) > 0;) total += n;
    EXPECT_EQ(total, samples.size());
  }
  ChunkDecoder seek(bytes);
  ASSERT_TRUE(seek.Seek(samples[250].t));
  EXPECT_EQ(seek.t(), samples[250].t);
}

TEST(BlockChunkTest, TruncatedOrTrailingBytesAreCorruptionAfterACleanPrefix) {
  for (uint64_t seed : {31u, 32u}) ExpectEveryTruncationIsCorruptAfterACleanPrefix(RandomSamples(seed, 200), ChunkLayout::kBlocks);
  EXPECT_EQ(ValidateChunk(EncodeBlocks(RandomSamples(33, 50)) + std::string(1, '\0')).code(), Status::Code::kCorruption);
}

TEST(BlockChunkTest, BitFlipsAndRandomBytesNeverCrash) {
  ExpectBitFlipsAndRandomBytesAreSafe(EncodeBlocks(RandomSamples(41, 150)), kChunkFormatBlocks, 4000);
}

TEST(BlockChunkTest, SeriesWithEqualTimestampsHaveByteEqualTimestampStreams) {
  ExpectEqualTimestampsGiveEqualTimestampStreams(ChunkLayout::kBlocks);
}

// Block chunks trade a little size for decoding speed: on scrape-shaped
// series they stay within 15% of the adaptive codes.
TEST(BlockChunkTest, ScrapeSeriesStayCloseToTheAdaptiveCodesInSize) {
  std::mt19937_64 rng(6);
  std::vector<Sample> counter, gauge, constant;
  int64_t centiseconds = 123456789, cents = 4523;
  for (int i = 0; i < 480; ++i) {
    const int64_t t = 1700000000000 + i * 15000 + (rng() % 10 == 0 ? static_cast<int64_t>(rng() % 11) - 5 : 0);
    centiseconds += 1420 + static_cast<int64_t>(rng() % 41);
    cents += static_cast<int64_t>(rng() % 41) - 20;
    counter.push_back({t, static_cast<double>(centiseconds) / 100});
    gauge.push_back({t, static_cast<double>(cents) / 100});
    constant.push_back({t, 42});
  }
  for (const auto* series : {&counter, &gauge, &constant}) {
    EXPECT_LT(static_cast<double>(EncodeBlocks(*series).size()), 1.15 * static_cast<double>(Encode(*series).size()));
  }
}

TEST(ChunkTest, FirstTimeIsReadFromTheHeaderOfEveryLayout) {
  const std::vector<Sample> samples = RandomSamples(3, 50);
  for (ChunkLayout layout : {ChunkLayout::kInterleaved, ChunkLayout::kSplit, ChunkLayout::kBlocks}) {
    int64_t t = 0;
    ASSERT_TRUE(ChunkFirstTime(Encode(samples, layout), &t));
    EXPECT_EQ(t, samples[0].t);
    EXPECT_FALSE(ChunkFirstTime(Encode({}, layout), &t));
    EXPECT_FALSE(ChunkFirstTime(Encode(samples, layout).substr(0, 4), &t));
  }
  int64_t t = 0;
  EXPECT_FALSE(ChunkFirstTime("", &t));
  EXPECT_FALSE(ChunkFirstTime(std::string("\x09\x01\x00", 3), &t));
}

// Compression guards: loose bounds that catch a regression of the format.
double BytesPerSample(const std::vector<Sample>& samples) {
  return static_cast<double>(Encode(samples).size()) / static_cast<double>(samples.size());
}

TEST(ChunkTest, RegularTimestampsAndConstantValueCostAboutTwoBits) {
  std::vector<Sample> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back({1700000000000 + i * 15000, 42});
  EXPECT_LT(BytesPerSample(samples), 0.27);
}

TEST(ChunkTest, TwoDecimalGaugeIsMuchSmallerThanRawXor) {
  std::mt19937_64 rng(3);
  std::vector<Sample> samples;
  int64_t cents = 4523;
  for (int i = 0; i < 1000; ++i) {
    cents += static_cast<int64_t>(rng() % 21) - 10;
    samples.push_back({1700000000000 + i * 15000, static_cast<double>(cents) / 100});
  }
  EXPECT_LT(BytesPerSample(samples), 1.5);
}

TEST(ChunkTest, SteadyCounterUsesTheStepPredictor) {
  std::mt19937_64 rng(4);
  std::vector<Sample> samples;
  int64_t centiseconds = 123456789;
  for (int i = 0; i < 1000; ++i) {
    centiseconds += 1500 + static_cast<int64_t>(rng() % 7) - 3;  // ~100% busy CPU
    samples.push_back({1700000000000 + i * 15000, static_cast<double>(centiseconds) / 100});
  }
  EXPECT_LT(BytesPerSample(samples), 1.25);
}

TEST(BitstreamTest, FieldsOfEveryWidthRoundTrip) {
  std::mt19937_64 rng(5);
  std::vector<std::pair<uint64_t, int>> fields;
  BitWriter w;
  for (int i = 0; i < 5000; ++i) {
    const int n = static_cast<int>(rng() % 65);
    const uint64_t v = n == 64 ? rng() : (rng() & ((uint64_t{1} << n) - 1));
    fields.emplace_back(v, n);
    w.Write(v, n);
  }
  w.Publish();
  const std::string bytes(w.bytes());
  BitReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  for (const auto& [v, n] : fields) ASSERT_EQ(r.ReadWide(n), v);
  EXPECT_FALSE(r.overrun());
  EXPECT_LT(r.size_bits() - r.bits_consumed(), 8u);
  (void)r.Read(8);
  EXPECT_TRUE(r.overrun());
}

TEST(BitstreamTest, ZigZagIsTotalAndInvertible) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
}

}  // namespace
}  // namespace vigil::tsdb
