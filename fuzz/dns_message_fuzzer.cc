// Fuzzes the DNS message parser and the resolver's whole query path
// (network input): parse, answer from local records, encode with a size bound.
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/metrics_registry.h"
#include "dns/resolver.h"

namespace {

vigil::dns::Resolver& TheResolver() {
  static vigil::MetricsRegistry* registry = new vigil::MetricsRegistry();
  static vigil::dns::Resolver* resolver = [] {
    auto* r = new vigil::dns::Resolver(nullptr, *registry);
    std::vector<vigil::dns::HostsEntry> entries;
    std::vector<std::string> problems;
    vigil::dns::ParseHosts("10.0.0.1 h.pigsty a.pigsty\nfd00::1 h.pigsty\n", "fuzz", &entries, &problems);
    r->SetStore(vigil::dns::RecordStore::Build(entries, {}, true, 60));
    return r;
  }();
  return *resolver;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535) return 0;
  std::span<const uint8_t> in(data, size);
  auto m = vigil::dns::ParseMessage(in);
  if (m.ok()) {
    for (const auto& q : m->questions) (void)vigil::dns::NameToText(q.name);
  }
  std::vector<std::string> entries_text;
  for (bool tcp : {false, true}) {
    TheResolver().Handle(in, tcp, [&](std::vector<uint8_t> out) {
      if (out.size() > (tcp ? 65535u : vigil::dns::kServerUdpSize)) __builtin_trap();
      if (!vigil::dns::ParseMessage(out).ok()) __builtin_trap();  // our own output must parse
    });
  }
  // The hosts parser sees files that anyone with write access may edit.
  std::vector<vigil::dns::HostsEntry> entries;
  std::vector<std::string> problems;
  vigil::dns::ParseHosts(std::string_view(reinterpret_cast<const char*>(data), size), "f", &entries, &problems);
  return 0;
}
