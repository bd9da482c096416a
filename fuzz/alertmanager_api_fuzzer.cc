// libFuzzer target for the Alertmanager API decoders and matcher parser
// (src/alertmanager/codec.h, matcher.h): the bodies of POST /api/v2/alerts
// and POST /api/v2/silences and the `filter` query parameter are network
// input. The first byte picks the parser; the rest is the input. Properties
// checked besides "no crash" (ASan/UBSan):
//   - decoders return a value or InvalidArgument, never another code;
//   - a parsed matcher prints (ToString) to text that parses back to the
//     same matcher;
//   - a decoded alert that validates has a fingerprint stable across calls.
//
// Build: cmake -DVIGIL_FUZZ=ON with clang (see CMakeLists.txt).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "alertmanager/codec.h"
#include "alertmanager/matcher.h"

namespace {

using namespace vigil;
using namespace vigil::alertmanager;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto alerts = DecodePostableAlerts(in);
      if (!alerts.ok()) {
        Check(alerts.status().code() == Status::Code::kInvalidArgument);
        break;
      }
      for (auto& a : *alerts) {
        if (a.starts_at == 0) a.starts_at = 1;
        if (ValidateAlert(a).ok()) Check(Fingerprint(a.labels) == Fingerprint(a.labels));
      }
      break;
    }
    case 1: {
      auto s = DecodePostableSilence(in);
      if (!s.ok()) Check(s.status().code() == Status::Code::kInvalidArgument);
      if (s.ok()) (void)ValidateSilence(*s);
      break;
    }
    case 2: {
      auto ms = ParseMatchers(in);
      if (!ms.ok()) {
        Check(ms.status().code() == Status::Code::kInvalidArgument);
        break;
      }
      for (const auto& m : *ms) {
        auto again = ParseMatcher(m.ToString());
        Check(again.ok());
        Check(again->ToString() == m.ToString());
      }
      break;
    }
  }
  return 0;
}
