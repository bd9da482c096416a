#include "cmdb_service/commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

#include "base/file_util.h"
#include "cmdb/yaml_codec.h"
#include "cmdb_service/inventory_service.h"

namespace vigil::cmdb_service {
namespace {

int Fail(const Status& st) {
  std::fprintf(stderr, "vigil: %s\n", st.message().c_str());
  return 1;
}

// Loads the config and opens the CMDB; prints the errors and returns null
// (with *rc set) on failure.
std::unique_ptr<InventoryService> OpenService(const config::LoadOptions& opts, int* rc,
                                              config::Settings* settings_out = nullptr) {
  config::Settings settings;
  std::vector<config::ConfigError> errors;
  if (!config::LoadSettings(opts, &settings, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    *rc = 2;
    return nullptr;
  }
  auto service = InventoryService::Open(PathsFromSettings(settings));
  if (!service.ok()) {
    *rc = Fail(service.status());
    return nullptr;
  }
  if (settings_out) *settings_out = settings;
  return std::move(*service);
}

void PrintDerived(const InventoryService& svc, const DeriveStats& d) {
  if (!svc.paths().targets_dir.empty()) {
    std::printf("targets: %zu written, %zu unchanged, %zu removed in %s\n", d.targets.written, d.targets.unchanged,
                d.targets.removed, svc.paths().targets_dir.c_str());
  }
  if (!svc.paths().hosts_dir.empty()) {
    std::printf("hosts files: %zu written, %zu unchanged, %zu removed in %s\n", d.hosts.written, d.hosts.unchanged,
                d.hosts.removed, svc.paths().hosts_dir.c_str());
  }
}

int RunChange(InventoryService* svc, const cmdb::Mutator& mutate, const char* what) {
  DeriveStats stats;
  auto r = svc->Change(mutate, &stats);
  if (!r.ok()) return Fail(r.status());
  if (!r->changed) {
    std::printf("%s: inventory unchanged (revision %lld)\n", what, static_cast<long long>(r->revision));
    return 0;
  }
  std::printf("%s: inventory changed (revision %lld)\n", what, static_cast<long long>(r->revision));
  PrintDerived(*svc, stats);
  return 0;
}

// The var lists a scope names for writing. For a host without a group: every
// group entry of that host (set writes the first, rm removes from all).
Result<std::vector<std::vector<cmdb::Var>*>> ScopeVars(cmdb::Inventory* inv, const VarScope& scope) {
  std::vector<std::vector<cmdb::Var>*> out;
  if (scope.group.empty() && scope.host.empty()) return std::vector<std::vector<cmdb::Var>*>{&inv->global_vars};
  for (auto& g : inv->groups) {
    if (!scope.group.empty() && g.name != scope.group) continue;
    if (scope.host.empty()) {
      out.push_back(&g.vars);
      continue;
    }
    for (auto& h : g.hosts) {
      if (h.name == scope.host) out.push_back(&h.vars);
    }
  }
  if (out.empty()) {
    if (!scope.host.empty()) {
      return Status::NotFound("no host \"" + scope.host + "\"" +
                              (scope.group.empty() ? std::string() : " in group \"" + scope.group + "\""));
    }
    return Status::NotFound("no group \"" + scope.group + "\"");
  }
  return out;
}

std::string ScopeName(const VarScope& scope) {
  if (!scope.host.empty()) return "host " + scope.host + (scope.group.empty() ? "" : " in group " + scope.group);
  if (!scope.group.empty()) return "group " + scope.group;
  return "all.vars";
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

int LoadCommand(const config::LoadOptions& opts, const std::string& file, bool merge) {
  auto text = ReadFile(file, cmdb::kMaxInventoryBytes);
  if (!text.ok()) return Fail(text.status());
  auto parsed = cmdb::ParseInventoryYaml(*text, file);
  if (!parsed.ok()) return Fail(parsed.status());
  if (Status st = cmdb::Validate(*parsed); !st.ok()) return Fail(Status::InvalidArgument(file + ": " + st.message()));
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  cmdb::Inventory loaded = std::move(*parsed);
  return RunChange(
      svc.get(),
      [&](cmdb::Inventory* inv) {
        if (merge) {
          cmdb::Merge(inv, loaded);
        } else {
          *inv = loaded;
        }
        return Status::Ok();
      },
      merge ? "merge" : "load");
}

int DumpCommand(const config::LoadOptions& opts) {
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  auto inv = svc->store().Read();
  if (!inv.ok()) return Fail(inv.status());
  std::fputs(cmdb::DumpInventoryYaml(*inv).c_str(), stdout);
  return 0;
}

int GetCommand(const config::LoadOptions& opts, const VarScope& scope, const std::string& key) {
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  auto inv = svc->store().Read();
  if (!inv.ok()) return Fail(inv.status());
  const std::string* value = nullptr;
  std::string host_value;
  if (!scope.host.empty() && scope.group.empty()) {
    auto vars = cmdb::HostVars(*inv, scope.host);
    if (auto it = vars.find(key); it != vars.end()) host_value = it->second, value = &host_value;
    if (auto hosts = cmdb::ListHosts(*inv); hosts.ok()) {
      bool known = false;
      for (const auto& h : *hosts) known |= h.name == scope.host;
      if (!known) return Fail(Status::NotFound("no host \"" + scope.host + "\""));
    }
  } else {
    auto lists = ScopeVars(&*inv, scope);
    if (!lists.ok()) return Fail(lists.status());
    value = cmdb::FindVar(*lists->front(), key);
  }
  if (value == nullptr) return Fail(Status::NotFound(key + " is not set for " + ScopeName(scope)));
  std::printf("%s\n", cmdb::JsonToYamlInline(*value).c_str());
  return 0;
}

int SetCommand(const config::LoadOptions& opts, const VarScope& scope, const std::string& key, const std::string& value) {
  auto json = cmdb::YamlValueToJson(value);
  if (!json.ok()) return Fail(json.status());
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  return RunChange(
      svc.get(),
      [&](cmdb::Inventory* inv) -> Status {
        auto lists = ScopeVars(inv, scope);
        if (!lists.ok()) return lists.status();
        cmdb::SetVar(lists->front(), key, *json);
        return Status::Ok();
      },
      "set");
}

int RmCommand(const config::LoadOptions& opts, const VarScope& scope, const std::string& key) {
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  return RunChange(
      svc.get(),
      [&](cmdb::Inventory* inv) -> Status {
        auto lists = ScopeVars(inv, scope);
        if (!lists.ok()) return lists.status();
        bool removed = false;
        for (auto* vars : *lists) removed |= cmdb::RemoveVar(vars, key);
        if (!removed) return Status::NotFound(key + " is not set for " + ScopeName(scope));
        return Status::Ok();
      },
      "rm");
}

int HostsCommand(const config::LoadOptions& opts, const std::string& group) {
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  auto inv = svc->store().Read();
  if (!inv.ok()) return Fail(inv.status());
  auto hosts = cmdb::ListHosts(*inv, group);
  if (!hosts.ok()) return Fail(hosts.status());
  for (const auto& h : *hosts) {
    std::string groups;
    for (const auto& g : h.groups) groups += (groups.empty() ? "" : ",") + g;
    std::printf("%s %s\n", h.name.c_str(), groups.c_str());
  }
  return 0;
}

int InventoryCommand(const config::LoadOptions& opts, bool list, const std::string& host) {
  if (list == !host.empty()) {
    std::fprintf(stderr, "vigil inventory: give exactly one of --list or --host HOST\n");
    return 2;
  }
  int rc = 0;
  auto svc = OpenService(opts, &rc);
  if (!svc) return rc;
  auto inv = svc->store().Read();
  if (!inv.ok()) return Fail(inv.status());
  const std::string out = list ? cmdb::RenderAnsibleList(*inv) : cmdb::RenderAnsibleHost(*inv, host);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

int InventoryScriptCommand(const config::LoadOptions& opts, const std::string& path) {
  config::Settings settings;
  std::vector<config::ConfigError> errors;
  if (!config::LoadSettings(opts, &settings, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    return 2;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return Fail(Status::IOError("cannot find the vigil binary (/proc/self/exe)"));
  std::string cmd = "exec " + ShellQuote(std::string(exe, static_cast<size_t>(n))) + " inventory";
  std::error_code ec;
  if (!opts.config_path.empty()) {
    cmd += " --config " + ShellQuote(std::filesystem::absolute(opts.config_path, ec).string());
  } else if (settings.source.find('/') != std::string::npos || std::filesystem::exists(settings.source, ec)) {
    cmd += " --config " + ShellQuote(std::filesystem::absolute(settings.source, ec).string());
  }
  cmd += " --data-dir " + ShellQuote(std::filesystem::absolute(settings.data_dir, ec).string());
  for (const auto& s : opts.set_overrides) cmd += " --set " + ShellQuote(s);
  const std::string script =
      "#!/bin/sh\n"
      "# Ansible dynamic inventory from Vigil's CMDB, written by `vigil inventory script`.\n"
      "# Ansible runs it with --list (and --host HOST).\n" +
      cmd + " \"$@\"\n";
  if (Status st = WriteFileAtomic(path, script, 0755); !st.ok()) return Fail(st);
  ::chmod(path.c_str(), 0755);
  std::printf("wrote %s\n", path.c_str());
  return 0;
}

}  // namespace vigil::cmdb_service
