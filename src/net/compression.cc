#include "net/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <memory>

#include "base/crc32c.h"

namespace vigil::net {
namespace {

// Output is produced in pieces of this size, so the decoded string never
// grows past max_out by more than zero bytes: each piece is checked first.
constexpr size_t kPieceSize = 64 << 10;

// zstd windows are capped at max(8 MiB, next power of two >= max_out), so a
// hostile frame header cannot make us allocate a 2 GiB window for a 1 MiB
// limit. 8 MiB is the window that common streaming encoders use.
constexpr int kZstdMinWindowLog = 23;
constexpr int kZstdMaxWindowLog = 27;  // zstd's own default limit

// Snappy framing format (framing_format.txt in the snappy sources).
constexpr std::string_view kSnappyStreamId("\xff\x06\x00\x00sNaPpY", 10);
constexpr size_t kSnappyMaxChunkData = 65536;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsAsciiNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Status TooLarge(std::string_view codec, size_t max_out) {
  return Status::ResourceExhausted(std::string(codec) + ": decoded body exceeds " + std::to_string(max_out) +
                                   " bytes");
}

Status Corrupt(std::string_view codec, std::string_view why) {
  return Status::InvalidArgument(std::string(codec) + ": " + std::string(why));
}

// Appends `n` bytes to *out unless that would pass max_out.
bool AppendBounded(const char* data, size_t n, size_t max_out, std::string* out) {
  if (n > max_out - out->size()) return false;
  out->append(data, n);
  return true;
}

// ---- zlib (gzip, deflate) ----

struct InflateGuard {
  z_stream* zs;
  ~InflateGuard() { inflateEnd(zs); }
};

// Inflates `in` with the given zlib windowBits (31 gzip, 15 zlib, -15 raw).
// With `gzip_members`, further gzip members after the first are decoded too.
Status InflateBounded(std::string_view in, int window_bits, bool gzip_members, std::string_view codec, size_t max_out,
                      std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return Status::Internal(std::string(codec) + ": inflateInit2 failed");
  InflateGuard guard{&zs};
  auto piece = std::make_unique<char[]>(kPieceSize);
  const char* next = in.data();
  size_t remaining = in.size();
  while (true) {
    if (zs.avail_in == 0 && remaining > 0) {
      uInt feed = static_cast<uInt>(std::min<size_t>(remaining, UINT_MAX));
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(next));
      zs.avail_in = feed;
      next += feed;
      remaining -= feed;
    }
    zs.next_out = reinterpret_cast<Bytef*>(piece.get());
    zs.avail_out = static_cast<uInt>(kPieceSize);
    int ret = inflate(&zs, Z_NO_FLUSH);
    size_t produced = kPieceSize - zs.avail_out;
    if (!AppendBounded(piece.get(), produced, max_out, out)) return TooLarge(codec, max_out);
    switch (ret) {
      case Z_OK:
        break;
      case Z_STREAM_END: {
        size_t unread = remaining + zs.avail_in;
        if (unread == 0) return Status::Ok();
        const auto* rest = reinterpret_cast<const unsigned char*>(zs.next_in);
        if (gzip_members && zs.avail_in >= 2 && rest[0] == 0x1f && rest[1] == 0x8b) {
          if (inflateReset(&zs) != Z_OK) return Status::Internal(std::string(codec) + ": inflateReset failed");
          break;
        }
        return Corrupt(codec, std::to_string(unread) + " bytes of trailing data after end of stream");
      }
      case Z_NEED_DICT:
        return Corrupt(codec, "stream needs a preset dictionary");
      case Z_DATA_ERROR:
        return Corrupt(codec, zs.msg != nullptr ? zs.msg : "invalid data");
      case Z_BUF_ERROR:
        // No progress was possible with a fresh output piece: input ran out.
        if (zs.avail_in == 0 && remaining == 0) return Corrupt(codec, "truncated input");
        return Corrupt(codec, "no progress");
      case Z_MEM_ERROR:
        return Status::ResourceExhausted(std::string(codec) + ": out of memory");
      default:
        return Corrupt(codec, "inflate error " + std::to_string(ret));
    }
  }
}

bool LooksLikeZlibHeader(std::string_view in) {
  if (in.size() < 2) return false;
  auto cmf = static_cast<unsigned char>(in[0]);
  auto flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

Status DecompressDeflate(std::string_view in, size_t max_out, std::string* out) {
  if (LooksLikeZlibHeader(in)) {
    Status st = InflateBounded(in, 15, false, "deflate", max_out, out);
    if (st.ok() || st.code() != Status::Code::kInvalidArgument) return st;
    // A raw stream can start with bytes that happen to form a zlib header.
    out->clear();
    if (InflateBounded(in, -15, false, "deflate", max_out, out).ok()) return Status::Ok();
    return st;
  }
  return InflateBounded(in, -15, false, "deflate", max_out, out);
}

struct DeflateGuard {
  z_stream* zs;
  ~DeflateGuard() { deflateEnd(zs); }
};

Status DeflateAll(std::string_view in, int window_bits, int level, std::string_view codec, std::string* out) {
  if (level == -1) level = Z_DEFAULT_COMPRESSION;
  if (level != Z_DEFAULT_COMPRESSION && (level < 0 || level > 9)) {
    return Status::InvalidArgument(std::string(codec) + ": level must be 0..9, got " + std::to_string(level));
  }
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal(std::string(codec) + ": deflateInit2 failed");
  }
  DeflateGuard guard{&zs};
  out->reserve(deflateBound(&zs, in.size()));
  auto piece = std::make_unique<char[]>(kPieceSize);
  const char* next = in.data();
  size_t remaining = in.size();
  int ret = Z_OK;
  while (ret != Z_STREAM_END) {
    if (zs.avail_in == 0 && remaining > 0) {
      uInt feed = static_cast<uInt>(std::min<size_t>(remaining, UINT_MAX));
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(next));
      zs.avail_in = feed;
      next += feed;
      remaining -= feed;
    }
    int flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_out = reinterpret_cast<Bytef*>(piece.get());
    zs.avail_out = static_cast<uInt>(kPieceSize);
    ret = deflate(&zs, flush);
    if (ret == Z_STREAM_ERROR) return Status::Internal(std::string(codec) + ": deflate failed");
    out->append(piece.get(), kPieceSize - zs.avail_out);
  }
  return Status::Ok();
}

// ---- zstd ----

struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

int CeilLog2(size_t n) {
  int log = 0;
  while (log < 63 && (size_t{1} << log) < n) ++log;
  return log;
}

Status DecompressZstd(std::string_view in, size_t max_out, std::string* out) {
  // Fail fast when the first frame declares a size past the limit.
  unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared > max_out) {
    return TooLarge("zstd", max_out);
  }
  std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::ResourceExhausted("zstd: cannot create decoder");
  int window_log = std::clamp(CeilLog2(max_out), kZstdMinWindowLog, kZstdMaxWindowLog);
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log);
  auto piece = std::make_unique<char[]>(kPieceSize);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t last = 0;
  while (true) {
    ZSTD_outBuffer output{piece.get(), kPieceSize, 0};
    last = ZSTD_decompressStream(dctx.get(), &output, &input);
    if (ZSTD_isError(last)) {
      if (ZSTD_getErrorCode(last) == ZSTD_error_frameParameter_windowTooLarge) {
        return Status::ResourceExhausted("zstd: frame window exceeds 2^" + std::to_string(window_log) + " bytes");
      }
      return Corrupt("zstd", ZSTD_getErrorName(last));
    }
    if (!AppendBounded(piece.get(), output.pos, max_out, out)) return TooLarge("zstd", max_out);
    // Done when the last frame ended exactly at the end of the input. With
    // input left over the next frame follows; with a full output piece the
    // decoder may hold more to flush.
    if (input.pos == input.size && (last == 0 || output.pos < output.size)) break;
  }
  if (last != 0) return Corrupt("zstd", "truncated input");
  return Status::Ok();
}

Status CompressZstd(std::string_view in, int level, std::string* out) {
  if (level == -1) level = ZSTD_CLEVEL_DEFAULT;
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    return Status::InvalidArgument("zstd: level out of range: " + std::to_string(level));
  }
  out->resize(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out->data(), out->size(), in.data(), in.size(), level);
  if (ZSTD_isError(n)) {
    out->clear();
    return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  out->resize(n);
  return Status::Ok();
}

// ---- snappy ----

// The snappy framing format's own CRC mask (not base's kMaskDelta).
uint32_t SnappyMaskedCrc(std::string_view data) {
  uint32_t crc = crc32c::Value(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

uint32_t LoadLe32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

Status DecompressSnappyBlock(std::string_view in, size_t max_out, std::string* out) {
  size_t len = 0;
  if (!snappy::GetUncompressedLength(in.data(), in.size(), &len)) return Corrupt("snappy", "invalid length header");
  if (len > max_out) return TooLarge("snappy", max_out);
  out->resize(len);
  if (!snappy::RawUncompress(in.data(), in.size(), out->data())) {
    out->clear();
    return Corrupt("snappy", "invalid block");
  }
  return Status::Ok();
}

Status DecompressSnappyFramed(std::string_view in, size_t max_out, std::string* out) {
  std::string chunk_out;
  while (!in.empty()) {
    if (in.size() < 4) return Corrupt("snappy", "truncated chunk header");
    auto type = static_cast<unsigned char>(in[0]);
    size_t len = LoadLe32(in.data()) >> 8;
    if (in.size() - 4 < len) return Corrupt("snappy", "truncated chunk");
    std::string_view body = in.substr(4, len);
    in.remove_prefix(4 + len);
    if (type == 0xff) {
      if (body != kSnappyStreamId.substr(4)) return Corrupt("snappy", "bad stream identifier");
      continue;
    }
    if (type >= 0x80) continue;  // padding (0xfe) and skippable chunks
    if (type > 0x01) return Corrupt("snappy", "reserved unskippable chunk type " + std::to_string(type));
    if (body.size() < 4) return Corrupt("snappy", "chunk too short for checksum");
    uint32_t want_crc = LoadLe32(body.data());
    body.remove_prefix(4);
    std::string_view data;
    if (type == 0x00) {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(body.data(), body.size(), &n)) {
        return Corrupt("snappy", "invalid chunk length header");
      }
      if (n > kSnappyMaxChunkData) return Corrupt("snappy", "chunk decodes to more than 65536 bytes");
      chunk_out.resize(n);
      if (!snappy::RawUncompress(body.data(), body.size(), chunk_out.data())) {
        return Corrupt("snappy", "invalid compressed chunk");
      }
      data = chunk_out;
    } else {
      if (body.size() > kSnappyMaxChunkData) return Corrupt("snappy", "uncompressed chunk over 65536 bytes");
      data = body;
    }
    if (SnappyMaskedCrc(data) != want_crc) return Corrupt("snappy", "chunk checksum mismatch");
    if (!AppendBounded(data.data(), data.size(), max_out, out)) return TooLarge("snappy", max_out);
  }
  return Status::Ok();
}

Status DecompressSnappy(std::string_view in, size_t max_out, std::string* out) {
  if (in.substr(0, kSnappyStreamId.size()) == kSnappyStreamId) return DecompressSnappyFramed(in, max_out, out);
  return DecompressSnappyBlock(in, max_out, out);
}

// ---- Accept-Encoding ----

// Parses "q=0.5" style parameters of one Accept-Encoding element; returns the
// q-value (1 when absent) or -1 when it is malformed.
double ParseQValue(std::string_view params) {
  double q = 1.0;
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    size_t eq = param.find('=');
    if (eq == std::string_view::npos || !EqualsAsciiNoCase(Trim(param.substr(0, eq)), "q")) continue;
    std::string_view value = Trim(param.substr(eq + 1));
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (ec != std::errc() || end != value.data() + value.size() || q < 0 || q > 1) return -1;
  }
  return q;
}

}  // namespace

std::optional<Encoding> ParseContentEncoding(std::string_view value) {
  value = Trim(value);
  if (value.empty() || EqualsAsciiNoCase(value, "identity")) return Encoding::kIdentity;
  if (EqualsAsciiNoCase(value, "gzip") || EqualsAsciiNoCase(value, "x-gzip")) return Encoding::kGzip;
  if (EqualsAsciiNoCase(value, "deflate")) return Encoding::kDeflate;
  if (EqualsAsciiNoCase(value, "snappy")) return Encoding::kSnappy;
  if (EqualsAsciiNoCase(value, "zstd")) return Encoding::kZstd;
  return std::nullopt;
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kIdentity: return "identity";
    case Encoding::kGzip: return "gzip";
    case Encoding::kDeflate: return "deflate";
    case Encoding::kSnappy: return "snappy";
    case Encoding::kZstd: return "zstd";
  }
  return "unknown";
}

Status Decompress(Encoding e, std::string_view in, size_t max_out, std::string* out) {
  out->clear();
  if (in.empty()) return Status::Ok();
  Status st;
  switch (e) {
    case Encoding::kIdentity:
      if (in.size() > max_out) return TooLarge("identity", max_out);
      out->assign(in);
      return Status::Ok();
    case Encoding::kGzip:
      st = InflateBounded(in, 15 + 16, true, "gzip", max_out, out);
      break;
    case Encoding::kDeflate:
      st = DecompressDeflate(in, max_out, out);
      break;
    case Encoding::kSnappy:
      st = DecompressSnappy(in, max_out, out);
      break;
    case Encoding::kZstd:
      st = DecompressZstd(in, max_out, out);
      break;
  }
  if (!st.ok()) {
    out->clear();
    out->shrink_to_fit();
  }
  return st;
}

Status Compress(Encoding e, std::string_view in, std::string* out, int level) {
  out->clear();
  switch (e) {
    case Encoding::kIdentity:
      out->assign(in);
      return Status::Ok();
    case Encoding::kGzip:
      return DeflateAll(in, 15 + 16, level, "gzip", out);
    case Encoding::kDeflate:
      return DeflateAll(in, 15, level, "deflate", out);
    case Encoding::kSnappy:
      snappy::Compress(in.data(), in.size(), out);
      return Status::Ok();
    case Encoding::kZstd:
      return CompressZstd(in, level, out);
  }
  return Status::InvalidArgument("unknown encoding");
}

Encoding ChooseResponseEncoding(std::string_view accept_encoding) {
  double q_gzip = -1, q_deflate = -1, q_any = -1;  // -1: not mentioned
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = Trim(item.substr(0, semi));
    double q = semi == std::string_view::npos ? 1.0 : ParseQValue(item.substr(semi + 1));
    if (q < 0) continue;  // malformed element: ignore it
    if (EqualsAsciiNoCase(coding, "gzip") || EqualsAsciiNoCase(coding, "x-gzip")) {
      q_gzip = std::max(q_gzip, q);
    } else if (EqualsAsciiNoCase(coding, "deflate")) {
      q_deflate = std::max(q_deflate, q);
    } else if (coding == "*") {
      q_any = std::max(q_any, q);
    }
  }
  double gzip = q_gzip >= 0 ? q_gzip : std::max(q_any, 0.0);
  double deflate = q_deflate >= 0 ? q_deflate : std::max(q_any, 0.0);
  if (gzip <= 0 && deflate <= 0) return Encoding::kIdentity;
  return gzip >= deflate ? Encoding::kGzip : Encoding::kDeflate;
}

}  // namespace vigil::net
