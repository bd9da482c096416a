// Fuzzes the PromQL lexer and parser: any input must parse or fail with an
// error, never crash, overflow the stack or hang; what parses must print
// (String) without crashing and the printout must parse again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promql/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = vigil::promql::ParseExpr(in);
  if (!r.ok()) return 0;
  (void)(*r)->Type();
  std::string printed = (*r)->String();
  auto again = vigil::promql::ParseExpr(printed);
  if (!again.ok()) abort();  // String() must produce valid PromQL
  return 0;
}
