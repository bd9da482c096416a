#pragma once
// Body codecs for HTTP Content-Encoding and for protocols that carry their own
// compression (Prometheus remote_write uses the snappy block format).
//
// Decompress parses hostile network input: every codec is bounded by the
// caller's max_out and never allocates much more than that for the output.
// All functions are stateless and safe to call from any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::net {

enum class Encoding { kIdentity, kGzip, kDeflate, kSnappy, kZstd };

// Parses one Content-Encoding value, case-insensitively, ignoring surrounding
// blanks: "gzip" or "x-gzip", "deflate", "snappy", "zstd", "identity" or "".
// Returns nullopt for anything else (including lists such as "gzip, br").
std::optional<Encoding> ParseContentEncoding(std::string_view value);

// The canonical token for `e` ("identity", "gzip", "deflate", "snappy", "zstd").
std::string_view EncodingName(Encoding e);

// Decodes `in` into *out (replacing its contents).
//   gzip:    one or more concatenated gzip members.
//   deflate: zlib-wrapped (RFC 1950) as HTTP specifies; raw RFC 1951 data is
//            accepted too, since some servers send it.
//   snappy:  block format (remote_write); a framed stream is accepted when it
//            starts with the stream identifier chunk (CRCs are verified).
//   zstd:    one or more frames, streamed; window size capped near max_out.
// Empty input decodes to empty output for every codec.
// Returns InvalidArgument naming the codec and the reason on corrupt or
// truncated input, ResourceExhausted if the output would exceed max_out.
// On error *out is left empty.
Status Decompress(Encoding e, std::string_view in, size_t max_out, std::string* out);

// Encodes `in` into *out (replacing its contents). `level` -1 means the
// codec's default; otherwise zlib codecs take 0..9 and zstd takes its own
// range (ZSTD_minCLevel..ZSTD_maxCLevel); snappy ignores it. gzip output is a
// single member, deflate output is zlib-wrapped, snappy output is the block
// format. Returns InvalidArgument for an out-of-range level.
Status Compress(Encoding e, std::string_view in, std::string* out, int level = -1);

// Picks the response encoding for an Accept-Encoding header value. Honours
// q-values and "*"; among acceptable codings with the highest q, gzip is
// preferred over deflate. Returns kIdentity when neither is acceptable.
Encoding ChooseResponseEncoding(std::string_view accept_encoding);

}  // namespace vigil::net
