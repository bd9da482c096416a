// libFuzzer target: every Decompress codec on arbitrary bytes, bounded at
// 1 MiB. Also checks that whatever decodes stays within the bound and that
// the codecs round-trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/compression.h"

namespace {

constexpr size_t kMaxOut = 1 << 20;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::net::Encoding;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (Encoding e : {Encoding::kIdentity, Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd}) {
    std::string out;
    vigil::Status st = vigil::net::Decompress(e, in, kMaxOut, &out);
    Check(out.size() <= kMaxOut);
    if (!st.ok()) Check(out.empty());
  }
  // Round trip: what we compress, we decode back unchanged.
  for (Encoding e : {Encoding::kGzip, Encoding::kDeflate, Encoding::kSnappy, Encoding::kZstd}) {
    std::string packed, unpacked;
    Check(vigil::net::Compress(e, in, &packed, 1).ok());
    Check(vigil::net::Decompress(e, packed, size, &unpacked).ok());
    Check(unpacked == in);
  }
  return 0;
}
