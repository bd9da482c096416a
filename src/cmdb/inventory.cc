#include "cmdb/inventory.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "base/json.h"

namespace vigil::cmdb {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Identity vars: those that say which cluster/instance a host is. A host may
// not get two different values for one of them from two groups.
bool IsIdentityKey(std::string_view key) {
  return EndsWith(key, "_cluster") || EndsWith(key, "_seq") || EndsWith(key, "_role") || key == "nodename" ||
         key == "admin_ip";
}

Status CheckName(std::string_view what, std::string_view name) {
  if (name.empty()) return Status::InvalidArgument(std::string(what) + " name is empty");
  if (name.size() > kMaxNameBytes) {
    return Status::InvalidArgument(std::string(what) + " name longer than " + std::to_string(kMaxNameBytes) +
                                   " bytes: " + std::string(name.substr(0, 40)) + "...");
  }
  for (unsigned char c : name) {
    if (c <= ' ' || c == 0x7f) {
      return Status::InvalidArgument(std::string(what) + " name \"" + std::string(name) +
                                     "\" contains whitespace or a control character");
    }
  }
  return Status::Ok();
}

Status CheckVars(std::string_view scope, const std::vector<Var>& vars) {
  std::unordered_set<std::string_view> seen;
  for (const auto& v : vars) {
    if (v.key.empty() || v.key.size() > kMaxNameBytes) {
      return Status::InvalidArgument(std::string(scope) + ": var key empty or longer than " +
                                     std::to_string(kMaxNameBytes) + " bytes");
    }
    if (!seen.insert(v.key).second) {
      return Status::InvalidArgument(std::string(scope) + ": var \"" + v.key + "\" given twice");
    }
  }
  return Status::Ok();
}

void AppendObject(std::string* out, const std::map<std::string, std::string>& vars) {
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : vars) {
    if (!first) out->push_back(',');
    first = false;
    json::AppendString(out, k);
    out->push_back(':');
    out->append(v);
  }
  out->push_back('}');
}

std::map<std::string, std::string> ToMap(const std::vector<Var>& vars) {
  std::map<std::string, std::string> m;
  for (const auto& v : vars) m[v.key] = v.value;
  return m;
}

}  // namespace

const Group* Inventory::FindGroup(std::string_view name) const {
  for (const auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

Group* Inventory::FindGroup(std::string_view name) {
  return const_cast<Group*>(static_cast<const Inventory*>(this)->FindGroup(name));
}

size_t Inventory::HostCount() const {
  std::unordered_set<std::string_view> seen;
  for (const auto& g : groups) {
    for (const auto& h : g.hosts) seen.insert(h.name);
  }
  return seen.size();
}

Result<std::string> CanonicalJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("not a JSON value: " + std::string(text.substr(0, 80)));
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status Validate(const Inventory& inv) {
  if (Status st = CheckVars("all.vars", inv.global_vars); !st.ok()) return st;
  std::unordered_set<std::string_view> group_names;
  // host -> key -> (group, value) of the first group that set an identity var.
  std::unordered_map<std::string_view, std::unordered_map<std::string_view, std::pair<const Group*, const std::string*>>>
      identity;
  for (const auto& g : inv.groups) {
    if (Status st = CheckName("group", g.name); !st.ok()) return st;
    if (g.name == "all" || g.name == "_meta") {
      return Status::InvalidArgument("group name \"" + g.name + "\" is reserved by Ansible");
    }
    if (!group_names.insert(g.name).second) {
      return Status::InvalidArgument("group \"" + g.name + "\" is defined twice");
    }
    if (Status st = CheckVars("group " + g.name, g.vars); !st.ok()) return st;
    std::unordered_set<std::string_view> hosts;
    for (const auto& h : g.hosts) {
      if (Status st = CheckName("host", h.name); !st.ok()) return Status::InvalidArgument("group " + g.name + ": " + st.message());
      if (!hosts.insert(h.name).second) {
        return Status::InvalidArgument("group " + g.name + ": host " + h.name + " listed twice");
      }
      if (Status st = CheckVars("host " + h.name + " in group " + g.name, h.vars); !st.ok()) return st;
      // Identity vars this group gives the host: its host vars over its group vars.
      std::map<std::string_view, const std::string*> ids;
      for (const auto& v : g.vars) {
        if (IsIdentityKey(v.key)) ids[v.key] = &v.value;
      }
      for (const auto& v : h.vars) {
        if (IsIdentityKey(v.key)) ids[v.key] = &v.value;
      }
      auto& seen = identity[h.name];
      for (const auto& [key, value] : ids) {
        auto [it, inserted] = seen.emplace(key, std::make_pair(&g, value));
        if (!inserted && *it->second.second != *value) {
          return Status::InvalidArgument("host " + h.name + " has conflicting identity: " + std::string(key) + " is " +
                                         *it->second.second + " in group " + it->second.first->name + " but " + *value +
                                         " in group " + g.name);
        }
      }
    }
  }
  return Status::Ok();
}

void SetVar(std::vector<Var>* vars, std::string key, std::string value) {
  for (auto& v : *vars) {
    if (v.key == key) {
      v.value = std::move(value);
      return;
    }
  }
  vars->push_back(Var{std::move(key), std::move(value)});
}

bool RemoveVar(std::vector<Var>* vars, std::string_view key) {
  auto it = std::find_if(vars->begin(), vars->end(), [&](const Var& v) { return v.key == key; });
  if (it == vars->end()) return false;
  vars->erase(it);
  return true;
}

const std::string* FindVar(const std::vector<Var>& vars, std::string_view key) {
  for (const auto& v : vars) {
    if (v.key == key) return &v.value;
  }
  return nullptr;
}

void Merge(Inventory* base, const Inventory& update) {
  for (const auto& v : update.global_vars) SetVar(&base->global_vars, v.key, v.value);
  for (const auto& ug : update.groups) {
    Group* g = base->FindGroup(ug.name);
    if (g == nullptr) {
      base->groups.push_back(ug);
      continue;
    }
    for (const auto& v : ug.vars) SetVar(&g->vars, v.key, v.value);
    for (const auto& uh : ug.hosts) {
      auto it = std::find_if(g->hosts.begin(), g->hosts.end(), [&](const Host& h) { return h.name == uh.name; });
      if (it == g->hosts.end()) {
        g->hosts.push_back(uh);
        continue;
      }
      for (const auto& v : uh.vars) SetVar(&it->vars, v.key, v.value);
    }
  }
}

Result<std::vector<HostEntry>> ListHosts(const Inventory& inv, std::string_view group) {
  if (!group.empty() && inv.FindGroup(group) == nullptr) {
    return Status::NotFound("no group \"" + std::string(group) + "\"");
  }
  std::vector<HostEntry> out;
  std::unordered_map<std::string_view, size_t> index;
  for (const auto& g : inv.groups) {
    for (const auto& h : g.hosts) {
      auto [it, inserted] = index.emplace(h.name, out.size());
      if (inserted) out.push_back(HostEntry{h.name, {}});
      out[it->second].groups.push_back(g.name);
    }
  }
  if (!group.empty()) {
    std::erase_if(out, [&](const HostEntry& e) {
      return std::find(e.groups.begin(), e.groups.end(), group) == e.groups.end();
    });
  }
  return out;
}

std::map<std::string, std::string> HostVars(const Inventory& inv, std::string_view host) {
  std::map<std::string, std::string> vars;
  for (const auto& g : inv.groups) {
    for (const auto& h : g.hosts) {
      if (h.name != host) continue;
      for (const auto& v : h.vars) vars[v.key] = v.value;
    }
  }
  return vars;
}

std::map<std::string, std::string> EffectiveVars(const Inventory& inv, std::string_view host) {
  std::map<std::string, std::string> vars = ToMap(inv.global_vars);
  std::vector<const Group*> groups;
  for (const auto& g : inv.groups) {
    for (const auto& h : g.hosts) {
      if (h.name == host) {
        groups.push_back(&g);
        break;
      }
    }
  }
  std::sort(groups.begin(), groups.end(), [](const Group* a, const Group* b) { return a->name < b->name; });
  for (const Group* g : groups) {
    for (const auto& v : g->vars) vars[v.key] = v.value;
  }
  for (auto& [k, v] : HostVars(inv, host)) vars[k] = std::move(v);
  return vars;
}

std::string RenderAnsibleList(const Inventory& inv) {
  // host -> merged host vars, and sorted group order, built in one pass.
  std::map<std::string, std::map<std::string, std::string>> hostvars;
  std::map<std::string_view, const Group*> groups;
  for (const auto& g : inv.groups) {
    groups.emplace(g.name, &g);
    for (const auto& h : g.hosts) {
      auto& vars = hostvars[h.name];
      for (const auto& v : h.vars) vars[v.key] = v.value;
    }
  }
  std::string out;
  out.reserve(256 + hostvars.size() * 256);
  out += "{\"_meta\":{\"hostvars\":";
  out.push_back('{');
  bool first = true;
  for (const auto& [host, vars] : hostvars) {
    if (!first) out.push_back(',');
    first = false;
    json::AppendString(&out, host);
    out.push_back(':');
    AppendObject(&out, vars);
  }
  out += "}},\"all\":{\"children\":[";
  for (size_t i = 0; i < inv.groups.size(); ++i) {
    if (i) out.push_back(',');
    json::AppendString(&out, inv.groups[i].name);
  }
  out += "],\"vars\":";
  AppendObject(&out, ToMap(inv.global_vars));
  out.push_back('}');
  // "_meta" and "all" sort before every group name that starts with a letter
  // or digit; groups are written in bytewise order after them, so the whole
  // object's keys are sorted for the usual names.
  for (const auto& [name, g] : groups) {
    out.push_back(',');
    json::AppendString(&out, name);
    out += ":{\"hosts\":[";
    for (size_t i = 0; i < g->hosts.size(); ++i) {
      if (i) out.push_back(',');
      json::AppendString(&out, g->hosts[i].name);
    }
    out += "],\"vars\":";
    AppendObject(&out, ToMap(g->vars));
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string RenderAnsibleHost(const Inventory& inv, std::string_view host) {
  std::string out;
  AppendObject(&out, HostVars(inv, host));
  return out;
}

}  // namespace vigil::cmdb
