#pragma once
// Reading and writing an inventory in Ansible's YAML format (Pigsty's
// pigsty.yml): `all: {vars: {...}, children: {<group>: {hosts: {<host>: {...}}, vars: {...}}}}`.
//
// Scalars are typed the way Ansible's loader (PyYAML, YAML 1.1) types them,
// so that the JSON Vigil serves equals what Ansible would compute: `yes`/`on`
// are booleans, `010` is octal 8, `1:30` is 90, `1e3` and `y` are strings;
// quoted scalars are always strings. Text such as `${admin_ip}` is kept as
// written. Merge keys (`<<`) and aliases are resolved.
//
// Thread-safety: free functions without shared state.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cmdb/inventory.h"

namespace vigil::cmdb {

// Bounds on one YAML document.
inline constexpr size_t kMaxInventoryBytes = 64 << 20;  // the file
inline constexpr size_t kMaxYamlNodes = 1'000'000;      // nodes after aliases are expanded
inline constexpr int kMaxYamlDepth = 64;                // nesting of maps and lists

// Parses an inventory. `source` names the input in error messages, which read
// "<source>:<line>:<col>: <what>". Only `all` with `vars`, `hosts` (stored as
// group "ungrouped", as Ansible does) and `children` (one level of groups,
// each with `hosts` and `vars`) is accepted; anything else is an error.
// Does not call Validate.
Result<Inventory> ParseInventoryYaml(std::string_view text, std::string_view source);

// Parses one YAML value (as given to `vigil cmdb set`) into canonical JSON.
Result<std::string> YamlValueToJson(std::string_view text);

// Writes `inv` as YAML that ParseInventoryYaml reads back into an equal
// inventory (group, host and var order kept; values typed the same).
std::string DumpInventoryYaml(const Inventory& inv);

// Writes one canonical JSON value as a YAML flow/plain scalar that reads back
// to the same value (for `vigil cmdb get`).
std::string JsonToYamlInline(std::string_view json);

}  // namespace vigil::cmdb
