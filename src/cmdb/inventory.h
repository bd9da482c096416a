#pragma once
// The fleet inventory as Pigsty keeps it: global vars (`all.vars`), groups
// (clusters) with group vars, and hosts inside groups with host vars. A host
// (by IP or name) may sit in several groups with different host vars, as in
// Ansible's YAML inventory.
//
// Values are canonical JSON text (compact, object keys sorted, produced by
// CanonicalJson), so two inventories with the same content compare equal
// byte for byte whichever backend they came from.
//
// Thread-safety: plain values; const functions may run concurrently.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::cmdb {

// One variable: a key and its canonical JSON value.
struct Var {
  std::string key;
  std::string value;  // canonical JSON text
  bool operator==(const Var&) const = default;
};

// A host as listed inside one group: its name (an IP address in Pigsty) and
// the host vars given there, in input order, keys unique.
struct Host {
  std::string name;
  std::vector<Var> vars;
  bool operator==(const Host&) const = default;
};

// A group (Pigsty's cluster): its vars and hosts, in input order.
struct Group {
  std::string name;
  std::vector<Var> vars;
  std::vector<Host> hosts;
  bool operator==(const Group&) const = default;
};

// The whole inventory. Group order is the order of `all.children` in the
// loaded file, which decides host-var precedence across groups (later wins).
struct Inventory {
  std::vector<Var> global_vars;
  std::vector<Group> groups;
  bool operator==(const Inventory&) const = default;

  // The group named `name`, or nullptr.
  const Group* FindGroup(std::string_view name) const;
  Group* FindGroup(std::string_view name);
  // Total number of distinct hosts.
  size_t HostCount() const;
};

// Largest accepted name of a group or host, and key of a var.
inline constexpr size_t kMaxNameBytes = 255;

// Re-encodes JSON text canonically (compact, keys sorted). InvalidArgument
// when `json` is not one JSON value.
Result<std::string> CanonicalJson(std::string_view json);

// Checks what the store and Ansible rely on: group and host names non-empty,
// printable, at most kMaxNameBytes, no whitespace; no group named "all" or
// "_meta"; unique group names, unique hosts per group, unique var keys per
// scope; and no host whose identity vars (`*_cluster`, `*_seq`, `*_role`,
// `nodename`, `admin_ip`) get different values from two of its groups.
// The error names the host, the key, both groups and both values.
Status Validate(const Inventory& inv);

// Overlays `update` on `base`: global and group vars set or replaced key by
// key, new groups appended, new hosts appended to their group, host vars set
// or replaced key by key. Nothing in `base` is removed.
void Merge(Inventory* base, const Inventory& update);

// Sets `key` to `value` in `vars` (replacing in place, or appending).
void SetVar(std::vector<Var>* vars, std::string key, std::string value);
// Removes `key` from `vars`; returns whether it was there.
bool RemoveVar(std::vector<Var>* vars, std::string_view key);
// The value of `key` in `vars`, or nullptr.
const std::string* FindVar(const std::vector<Var>& vars, std::string_view key);

// A host and the groups it belongs to, in group order.
struct HostEntry {
  std::string name;
  std::vector<std::string> groups;
};

// Every distinct host in order of first appearance; with `group` non-empty,
// only the hosts of that group. NotFound when `group` names no group.
Result<std::vector<HostEntry>> ListHosts(const Inventory& inv, std::string_view group = {});

// The host-level vars of `host` as Ansible sees them: the host vars given
// in each of its groups, later groups overriding earlier ones. Keys sorted.
std::map<std::string, std::string> HostVars(const Inventory& inv, std::string_view host);

// Every var that applies to `host`, with Ansible's precedence: global vars,
// then group vars (groups ordered by name, later wins), then HostVars.
std::map<std::string, std::string> EffectiveVars(const Inventory& inv, std::string_view host);

// The Ansible dynamic inventory (`--list`):
//   {"_meta":{"hostvars":{host:{...}}},"all":{"children":[...],"vars":{...}},
//    group:{"hosts":[...],"vars":{...}},...}
// Keys sorted, compact; identical bytes for equal inventories.
std::string RenderAnsibleList(const Inventory& inv);

// `--host H`: the HostVars of `host` as a JSON object ("{}" for an unknown
// host, as Ansible expects).
std::string RenderAnsibleHost(const Inventory& inv, std::string_view host);

}  // namespace vigil::cmdb
