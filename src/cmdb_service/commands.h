#pragma once
// `vigil cmdb ...` and `vigil inventory ...`: the CMDB from the command line,
// without a running server (each command opens the store itself). Each
// returns the process exit code: 0 success, 1 failure (message on stderr),
// 2 bad configuration.

#include <string>
#include <vector>

#include "config/config.h"

namespace vigil::cmdb_service {

// Which vars a get/set/rm addresses: global (both empty), a group's, or a
// host's (within `group` when given, else every group the host is in).
struct VarScope {
  std::string group;
  std::string host;
};

// Loads an Ansible YAML inventory (pigsty.yml); replaces the stored one, or
// with `merge` overlays it. Prints what changed.
int LoadCommand(const config::LoadOptions& opts, const std::string& file, bool merge);
// Prints the stored inventory as YAML.
int DumpCommand(const config::LoadOptions& opts);
int GetCommand(const config::LoadOptions& opts, const VarScope& scope, const std::string& key);
// `value` is YAML ("18", "[a, b]", "'quoted string'").
int SetCommand(const config::LoadOptions& opts, const VarScope& scope, const std::string& key, const std::string& value);
int RmCommand(const config::LoadOptions& opts, const VarScope& scope, const std::string& key);
// One line per host: "<host> <group>,<group>...".
int HostsCommand(const config::LoadOptions& opts, const std::string& group);
// Ansible's dynamic inventory protocol: --list or --host H.
int InventoryCommand(const config::LoadOptions& opts, bool list, const std::string& host);
// Writes an executable script at `path` that runs `vigil inventory` with
// the same config, data dir and overrides (for `ansible -i <path>`).
int InventoryScriptCommand(const config::LoadOptions& opts, const std::string& path);

}  // namespace vigil::cmdb_service
