// Inventory YAML as POST /api/v1/cmdb/load receives it: parse, validate,
// render the Ansible JSON, derive the target and hosts files, and dump and
// re-parse (which must give the same inventory back).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cmdb/derive.h"
#include "cmdb/inventory.h"
#include "cmdb/yaml_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)vigil::cmdb::YamlValueToJson(text);
  auto inv = vigil::cmdb::ParseInventoryYaml(text, "fuzz");
  if (!inv.ok() || !vigil::cmdb::Validate(*inv).ok()) return 0;
  (void)vigil::cmdb::RenderAnsibleList(*inv);
  (void)vigil::cmdb::DeriveTargets(*inv);
  (void)vigil::cmdb::DeriveHostsFiles(*inv);
  auto back = vigil::cmdb::ParseInventoryYaml(vigil::cmdb::DumpInventoryYaml(*inv), "dump");
  if (!back.ok() || !(*back == *inv)) std::abort();  // the dump must read back equal
  return 0;
}
