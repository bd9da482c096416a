// libFuzzer target for the .deb reader and the tar header codec of the
// local repository (src/repo/deb_package.h, tar.h). Packages and offline
// bundles come from elsewhere (downloads, other machines), so they are
// untrusted input. Properties checked besides "no crash" (ASan/UBSan):
//   - ExtractControlFromBytes returns the control text or an error, and a
//     returned control text is within the documented bound;
//   - ParseControl of that text succeeds only with Package, Version and
//     Architecture present;
//   - a tar header that parses re-encodes to a header that parses to the
//     same name, size and type.
//
// Build: cmake -DVIGIL_FUZZ=ON with clang (see CMakeLists.txt).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "repo/deb_package.h"
#include "repo/tar.h"

namespace {

using namespace vigil;
using namespace vigil::repo;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto control = ExtractControlFromBytes(in);
  if (control.ok()) {
    Check(control->size() <= kMaxControlFileBytes);
    auto p = ParseControl(*control);
    if (p.ok()) Check(p->Find("Package") && p->Find("Version") && p->Find("Architecture"));
  }
  auto p = ParseControl(in);
  if (p.ok()) Check(!p->Find("Package")->empty());
  if (in.size() >= kTarBlock && !IsZeroBlock(in.substr(0, kTarBlock))) {
    auto h = ParseTarHeader(in.substr(0, kTarBlock));
    if (h.ok() && h->name.find('\0') == std::string::npos && !h->name.empty()) {
      std::string blocks = EncodeTarHeader(*h);
      std::string_view last(blocks.data() + blocks.size() - kTarBlock, kTarBlock);
      auto again = ParseTarHeader(last);
      Check(again.ok());
      Check(again->size == h->size && again->type == h->type);
      if (blocks.size() == kTarBlock) Check(again->name == h->name);
    }
  }
  FindTarMember(in, "control").ok();
  return 0;
}
