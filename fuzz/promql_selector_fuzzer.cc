// Fuzzes the series selector parser used by every match[] parameter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "promql/selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = vigil::promql::ParseSeriesSelector(in);
  if (r.ok()) {
    for (const auto& m : *r) (void)m.Matches(in);
  }
  return 0;
}
