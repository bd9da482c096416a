// Fuzzes the URL query/form parser and the URL parser (network input).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/http_types.h"
#include "net/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto q = vigil::net::QueryParams::Parse(in);
  (void)q.GetAll("match[]");
  (void)vigil::net::UrlDecode(in, true);
  auto u = vigil::net::ParseUrl(in);
  if (u.ok()) (void)u->Target();
  return 0;
}
