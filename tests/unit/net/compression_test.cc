#include "net/compression.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>
#include <string>

namespace vigil::net {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "metric_name{label=\"value\"} 12345 1700000000000\n";
  s.resize(n);
  return s;
}

const Encoding kAllCodecs[] = {Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd};

// Independently produced streams of "hello, world" (Python's gzip/zlib).
constexpr std::string_view kHelloGzipHex = "1f8b0800000000000203cb48cdc9c9d75128cf2fca4901003a72abff0c000000";
constexpr std::string_view kHelloZlibHex = "789ccb48cdc9c9d75128cf2fca4901001d540489";
constexpr std::string_view kHelloRawDeflateHex = "cb48cdc9c9d75128cf2fca490100";
// Masked CRC-32C of "hello, world", little-endian, per the snappy framing format.
constexpr std::string_view kHelloMaskedCrcHex = "0bbec1ea";

TEST(ParseContentEncodingTest, KnownTokensAnyCaseAndBlanks) {
  EXPECT_EQ(ParseContentEncoding("gzip"), Encoding::kGzip);
  EXPECT_EQ(ParseContentEncoding("x-gzip"), Encoding::kGzip);
  EXPECT_EQ(ParseContentEncoding(" GZip\t"), Encoding::kGzip);
  EXPECT_EQ(ParseContentEncoding("deflate"), Encoding::kDeflate);
  EXPECT_EQ(ParseContentEncoding("snappy"), Encoding::kSnappy);
  EXPECT_EQ(ParseContentEncoding("ZSTD"), Encoding::kZstd);
  EXPECT_EQ(ParseContentEncoding("identity"), Encoding::kIdentity);
  EXPECT_EQ(ParseContentEncoding(""), Encoding::kIdentity);
}

TEST(ParseContentEncodingTest, UnknownAndListsAreRejected) {
  EXPECT_EQ(ParseContentEncoding("br"), std::nullopt);
  EXPECT_EQ(ParseContentEncoding("gzip, br"), std::nullopt);
  EXPECT_EQ(ParseContentEncoding("gzipx"), std::nullopt);
}

TEST(EncodingNameTest, RoundTripsThroughParse) {
  for (Encoding e : {Encoding::kIdentity, Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd}) {
    EXPECT_EQ(ParseContentEncoding(EncodingName(e)), e) << EncodingName(e);
  }
}

TEST(CompressionTest, RoundTripEveryCodecAndSize) {
  for (Encoding e : kAllCodecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{1} << 20}) {
      for (const std::string& input : {Compressible(n), RandomBytes(n, static_cast<uint32_t>(n))}) {
        std::string packed, unpacked;
        ASSERT_TRUE(Compress(e, input, &packed).ok());
        Status st = Decompress(e, packed, input.size(), &unpacked);
        ASSERT_TRUE(st.ok()) << EncodingName(e) << " n=" << n << ": " << st.ToString();
        EXPECT_EQ(unpacked, input) << EncodingName(e) << " n=" << n;
      }
    }
  }
}

TEST(CompressionTest, CompressibleInputShrinks) {
  std::string input = Compressible(100000);
  for (Encoding e : kAllCodecs) {
    std::string packed;
    ASSERT_TRUE(Compress(e, input, &packed).ok());
    EXPECT_LT(packed.size(), input.size() / 4) << EncodingName(e);
  }
}

TEST(CompressionTest, ExplicitLevelsWorkAndBadLevelsAreRejected) {
  std::string input = Compressible(5000), packed, unpacked;
  for (int level : {0, 1, 9}) {
    ASSERT_TRUE(Compress(Encoding::kGzip, input, &packed, level).ok());
    ASSERT_TRUE(Decompress(Encoding::kGzip, packed, input.size(), &unpacked).ok());
    EXPECT_EQ(unpacked, input);
  }
  ASSERT_TRUE(Compress(Encoding::kZstd, input, &packed, 19).ok());
  EXPECT_EQ(Compress(Encoding::kGzip, input, &packed, 10).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Compress(Encoding::kDeflate, input, &packed, -2).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Compress(Encoding::kZstd, input, &packed, 1000).code(), Status::Code::kInvalidArgument);
}

TEST(CompressionTest, EmptyInputDecodesToEmpty) {
  for (Encoding e : {Encoding::kIdentity, Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd}) {
    std::string out = "stale";
    EXPECT_TRUE(Decompress(e, "", 0, &out).ok());
    EXPECT_EQ(out, "");
  }
}

TEST(CompressionTest, DecodesStreamsFromOtherEncoders) {
  std::string out;
  ASSERT_TRUE(Decompress(Encoding::kGzip, FromHex(kHelloGzipHex), 100, &out).ok());
  EXPECT_EQ(out, "hello, world");
  ASSERT_TRUE(Decompress(Encoding::kDeflate, FromHex(kHelloZlibHex), 100, &out).ok());
  EXPECT_EQ(out, "hello, world");
}

TEST(CompressionTest, DeflateAcceptsRawStreamWithoutZlibWrapper) {
  std::string out;
  Status st = Decompress(Encoding::kDeflate, FromHex(kHelloRawDeflateHex), 100, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, "hello, world");
}

TEST(CompressionTest, GzipConcatenatedMembersAllDecode) {
  std::string a, b, out;
  ASSERT_TRUE(Compress(Encoding::kGzip, "first ", &a).ok());
  ASSERT_TRUE(Compress(Encoding::kGzip, "second", &b).ok());
  ASSERT_TRUE(Decompress(Encoding::kGzip, a + b, 100, &out).ok());
  EXPECT_EQ(out, "first second");
}

TEST(CompressionTest, TrailingGarbageAfterStreamIsRejected) {
  std::string gz = FromHex(kHelloGzipHex) + "junk", out;
  Status st = Decompress(Encoding::kGzip, gz, 100, &out);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("trailing"), std::string::npos) << st.message();
  EXPECT_EQ(out, "");
}

TEST(CompressionTest, TruncatedInputIsInvalidArgumentNamingCodec) {
  std::string input = RandomBytes(5000, 7);
  for (Encoding e : kAllCodecs) {
    std::string packed, out;
    ASSERT_TRUE(Compress(e, input, &packed).ok());
    Status st = Decompress(e, packed.substr(0, packed.size() / 2), 1 << 20, &out);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << EncodingName(e) << ": " << st.ToString();
    EXPECT_EQ(st.message().rfind(std::string(EncodingName(e)) + ":", 0), 0u) << st.message();
    EXPECT_TRUE(out.empty());
  }
}

TEST(CompressionTest, GarbageIsInvalidArgument) {
  std::string garbage = RandomBytes(300, 99);
  for (Encoding e : kAllCodecs) {
    std::string out;
    EXPECT_EQ(Decompress(e, garbage, 1 << 20, &out).code(), Status::Code::kInvalidArgument) << EncodingName(e);
  }
}

TEST(CompressionTest, OutputExactlyAtLimitIsAcceptedOneOverIsNot) {
  std::string input = Compressible(200000);
  for (Encoding e : {Encoding::kIdentity, Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd}) {
    std::string packed, out;
    ASSERT_TRUE(Compress(e, input, &packed).ok());
    EXPECT_TRUE(Decompress(e, packed, input.size(), &out).ok()) << EncodingName(e);
    Status st = Decompress(e, packed, input.size() - 1, &out);
    EXPECT_EQ(st.code(), Status::Code::kResourceExhausted) << EncodingName(e) << ": " << st.ToString();
    EXPECT_TRUE(out.empty());
  }
}

TEST(CompressionTest, GzipBombStopsAtLimit) {
  std::string zeros(64 << 20, '\0'), packed, out;
  ASSERT_TRUE(Compress(Encoding::kGzip, zeros, &packed, 9).ok());
  ASSERT_LT(packed.size(), 200000u);
  Status st = Decompress(Encoding::kGzip, packed, 1 << 20, &out);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted);
  EXPECT_NE(st.message().find("gzip"), std::string::npos);
}

TEST(CompressionTest, SnappyHugeDeclaredLengthFailsBeforeAllocating) {
  // Varint 0xFFFFFFFF (4 GiB - 1) followed by a literal tag and a byte.
  std::string block("\xff\xff\xff\xff\x0f\x00x", 7), out;
  Status st = Decompress(Encoding::kSnappy, block, 1 << 20, &out);
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted) << st.ToString();
}

TEST(CompressionTest, ZstdDeclaredContentSizeOverLimitFailsFast) {
  std::string packed, out;
  ASSERT_TRUE(Compress(Encoding::kZstd, std::string(3 << 20, 'a'), &packed).ok());
  EXPECT_EQ(Decompress(Encoding::kZstd, packed, 1 << 20, &out).code(), Status::Code::kResourceExhausted);
}

TEST(CompressionTest, ZstdStreamWithoutContentSizeIsBoundedWhileStreaming) {
  // A streaming encoder that does not write the content size into the frame.
  std::string input(4 << 20, 'b');
  std::string packed(ZSTD_compressBound(input.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  ZSTD_outBuffer outbuf{packed.data(), packed.size(), 0};
  size_t left = ZSTD_compressStream2(cctx, &outbuf, &in, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  ASSERT_EQ(left, 0u);
  packed.resize(outbuf.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(packed.data(), packed.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  std::string out;
  EXPECT_EQ(Decompress(Encoding::kZstd, packed, 1 << 20, &out).code(), Status::Code::kResourceExhausted);
  ASSERT_TRUE(Decompress(Encoding::kZstd, packed, input.size(), &out).ok());
  EXPECT_EQ(out, input);
}

TEST(CompressionTest, ZstdConcatenatedFramesAllDecode) {
  std::string a, b, out;
  ASSERT_TRUE(Compress(Encoding::kZstd, "one ", &a).ok());
  ASSERT_TRUE(Compress(Encoding::kZstd, "two", &b).ok());
  ASSERT_TRUE(Decompress(Encoding::kZstd, a + b, 100, &out).ok());
  EXPECT_EQ(out, "one two");
}

std::string SnappyChunk(unsigned char type, std::string_view body) {
  std::string c(1, static_cast<char>(type));
  c.push_back(static_cast<char>(body.size() & 0xff));
  c.push_back(static_cast<char>((body.size() >> 8) & 0xff));
  c.push_back(static_cast<char>((body.size() >> 16) & 0xff));
  return c + std::string(body);
}

const std::string kSnappyStreamId = SnappyChunk(0xff, "sNaPpY");

TEST(CompressionTest, SnappyFramedUncompressedChunkWithValidCrc) {
  std::string stream = kSnappyStreamId + SnappyChunk(0x01, FromHex(kHelloMaskedCrcHex) + "hello, world");
  std::string out;
  Status st = Decompress(Encoding::kSnappy, stream, 100, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, "hello, world");
}

TEST(CompressionTest, SnappyFramedCompressedChunkPaddingAndSkippableChunks) {
  std::string block;
  ASSERT_TRUE(Compress(Encoding::kSnappy, "hello, world", &block).ok());
  std::string stream = kSnappyStreamId + SnappyChunk(0xfe, std::string(5, '\0')) +
                       SnappyChunk(0x00, FromHex(kHelloMaskedCrcHex) + block) + SnappyChunk(0x80, "skip me") +
                       kSnappyStreamId + SnappyChunk(0x01, FromHex(kHelloMaskedCrcHex) + "hello, world");
  std::string out;
  Status st = Decompress(Encoding::kSnappy, stream, 100, &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, "hello, worldhello, world");
}

TEST(CompressionTest, SnappyFramedBadCrcReservedChunkAndTruncation) {
  std::string out;
  std::string bad_crc = kSnappyStreamId + SnappyChunk(0x01, std::string("\0\0\0\0", 4) + "hello, world");
  EXPECT_EQ(Decompress(Encoding::kSnappy, bad_crc, 100, &out).code(), Status::Code::kInvalidArgument);
  std::string reserved = kSnappyStreamId + SnappyChunk(0x02, "x");
  EXPECT_EQ(Decompress(Encoding::kSnappy, reserved, 100, &out).code(), Status::Code::kInvalidArgument);
  std::string good = kSnappyStreamId + SnappyChunk(0x01, FromHex(kHelloMaskedCrcHex) + "hello, world");
  EXPECT_EQ(Decompress(Encoding::kSnappy, good.substr(0, good.size() - 1), 100, &out).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Decompress(Encoding::kSnappy, good, 5, &out).code(), Status::Code::kResourceExhausted);
}

TEST(ChooseResponseEncodingTest, Cases) {
  auto f = [](std::string_view header, Encoding want) {
    EXPECT_EQ(ChooseResponseEncoding(header), want) << "Accept-Encoding: " << header;
  };
  f("", Encoding::kIdentity);
  f("gzip", Encoding::kGzip);
  f("GZIP", Encoding::kGzip);
  f("x-gzip", Encoding::kGzip);
  f("deflate", Encoding::kDeflate);
  f("gzip, deflate, br", Encoding::kGzip);
  f("deflate, gzip", Encoding::kGzip);                  // tie: gzip preferred
  f("deflate;q=1, gzip;q=0.5", Encoding::kDeflate);     // higher q wins
  f("gzip;q=0, deflate", Encoding::kDeflate);
  f("gzip; q=0.000, deflate;Q=0", Encoding::kIdentity);
  f("*", Encoding::kGzip);
  f("*;q=0", Encoding::kIdentity);
  f("*, gzip;q=0", Encoding::kDeflate);
  f("br, zstd", Encoding::kIdentity);
  f("identity", Encoding::kIdentity);
  f("gzip;q=abc", Encoding::kIdentity);  // malformed element ignored
  f("gzip;q=2", Encoding::kIdentity);
  f(" gzip ;q=0.8 , deflate;q=0.9", Encoding::kDeflate);
  f(",,gzip,", Encoding::kGzip);
}

}  // namespace
}  // namespace vigil::net
