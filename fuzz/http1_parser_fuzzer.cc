// Fuzzes the HTTP/1.1 head parsers and the chunked body decoder (network
// input from clients and from proxied upstreams). The input is parsed whole
// and again in two pieces, as it would arrive over two reads; both must
// agree, and every view must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/http1_parser.h"

namespace {

using vigil::net::HeadParse;

void CheckInside(std::string_view in, std::string_view v) {
  if (v.empty()) return;
  if (v.data() < in.data() || v.data() + v.size() > in.data() + in.size()) std::abort();
}

template <typename Head, typename ParseFn>
void ParseBothWays(std::string_view in, ParseFn parse) {
  vigil::net::HeadLimits limits{.max_head_bytes = 4096, .max_fields = 32};
  Head whole;
  size_t scan = 0;
  HeadParse a = parse(in, limits, &whole, &scan);
  if (a.complete()) {
    if (a.head_bytes > in.size()) std::abort();
    for (const auto& f : whole.fields) {
      CheckInside(in, f.name);
      CheckInside(in, f.value);
    }
  }
  // The same bytes over two reads give the same answer.
  Head split;
  size_t scan2 = 0;
  HeadParse b = parse(in.substr(0, in.size() / 2), limits, &split, &scan2);
  if (b.kind == HeadParse::Kind::kIncomplete) b = parse(in, limits, &split, &scan2);
  if (a.kind != b.kind || a.head_bytes != b.head_bytes || a.status != b.status) {
    // A prefix may already be invalid when the whole is too (same status or not).
    if (!(a.invalid() && b.invalid())) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ParseBothWays<vigil::net::RequestHead>(in, vigil::net::ParseRequestHead);
  ParseBothWays<vigil::net::ResponseHead>(in, vigil::net::ParseResponseHead);

  // Chunked body, fed in pieces of varying size.
  vigil::net::ChunkedDecoder dec;
  size_t pos = 0, step = 1;
  uint64_t total = 0;
  while (pos <= in.size()) {
    std::string_view piece = in.substr(pos, step);
    size_t used = 0;
    std::string_view body;
    auto s = dec.Next(piece, &used, &body);
    if (used > piece.size()) std::abort();
    pos += used;
    if (s == vigil::net::ChunkedDecoder::Step::kData) {
      CheckInside(piece, body);
      total += body.size();
      continue;
    }
    if (s != vigil::net::ChunkedDecoder::Step::kNeedMore) break;
    if (pos >= in.size()) break;
    step = step * 2 + 1;
  }
  (void)total;
  return 0;
}
