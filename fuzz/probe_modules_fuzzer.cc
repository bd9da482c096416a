// libFuzzer target for blackbox.yml module parsing (src/probe/module.h), the
// input of probe.config_file and inline probe.modules.
//
// Properties: parsing never crashes or hangs (yaml-cpp input, RE2 patterns,
// durations, status code lists); a success yields modules whose prober is
// one of http, tcp, icmp, dns and whose timeout is not negative.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "probe/module.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64 << 10)) return 0;
  auto modules = vigil::probe::ParseModules(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!modules.ok()) return 0;
  for (const auto& [name, module] : *modules) {
    (void)name;
    const bool known = module.prober == "http" || module.prober == "tcp" || module.prober == "icmp" ||
                       module.prober == "dns";
    if (!known || module.timeout.count() < 0) std::abort();
  }
  return 0;
}
