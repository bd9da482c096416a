#include "cmdb/yaml_codec.h"

#include <cmath>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace vigil::cmdb {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool AllOf(std::string_view s, std::string_view allowed) {
  if (s.empty()) return false;
  for (char c : s) {
    if (allowed.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Digits of `s` in `base` with '_' separators ignored. False on overflow.
bool ParseDigits(std::string_view s, int base, uint64_t* out) {
  uint64_t v = 0;
  bool any = false;
  for (char c : s) {
    if (c == '_') continue;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    if (d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    any = true;
  }
  *out = v;
  return any;
}

// YAML 1.1 int as PyYAML resolves it: [-+]? then 0b.., 0x.., 0[0-7_]+
// (octal), 0, [1-9][0-9_]*, or base 60 [1-9][0-9_]*(:[0-5]?[0-9])+.
bool ResolveInt(std::string_view s, json* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'x')) {
    std::string_view digits = s.substr(2);
    if (!AllOf(digits, s[1] == 'b' ? "01_" : "0123456789abcdefABCDEF_")) return false;
    if (!ParseDigits(digits, s[1] == 'b' ? 2 : 16, &v)) return false;
  } else if (s == "0") {
    v = 0;
  } else if (s[0] == '0') {
    if (!AllOf(s.substr(1), "01234567_") || !ParseDigits(s.substr(1), 8, &v)) return false;
  } else if (s[0] >= '1' && s[0] <= '9') {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) {
      if (!AllOf(s, "0123456789_") || !ParseDigits(s, 10, &v)) return false;
    } else {
      std::string_view head = s.substr(0, colon);
      if (!AllOf(head, "0123456789_") || !ParseDigits(head, 10, &v)) return false;
      std::string_view rest = s.substr(colon);
      while (!rest.empty()) {
        if (rest[0] != ':') return false;
        rest.remove_prefix(1);
        size_t n = 0;
        while (n < rest.size() && n < 2 && rest[n] >= '0' && rest[n] <= '9') ++n;
        if (n == 0 || (n == 2 && rest[0] > '5')) return false;
        uint64_t part = 0;
        ParseDigits(rest.substr(0, n), 10, &part);
        if (v > UINT64_MAX / 60) return false;
        v = v * 60 + part;
        rest.remove_prefix(n);
      }
    }
  } else {
    return false;
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

// YAML 1.1 float as PyYAML resolves it: a dot is required ("1e3" is a
// string); the exponent needs a sign; ".inf" and ".nan" have no JSON form and
// stay strings here.
bool ResolveFloat(std::string_view s, json* out) {
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  size_t i = 0;
  auto digits = [&](bool first_digit_required) {
    size_t start = i;
    while (i < body.size() && ((body[i] >= '0' && body[i] <= '9') || (body[i] == '_' && i > start))) ++i;
    return !first_digit_required || i > start;
  };
  if (body.empty()) return false;
  if (body[0] == '.') {
    if (s[0] == '-' || s[0] == '+') return false;  // PyYAML: no sign before a leading dot
    ++i;
    if (i >= body.size() || body[i] < '0' || body[i] > '9') return false;
    digits(true);
  } else {
    if (body[0] < '0' || body[0] > '9') return false;
    digits(true);
    if (i >= body.size() || body[i] != '.') return false;
    ++i;
    while (i < body.size() && ((body[i] >= '0' && body[i] <= '9') || body[i] == '_')) ++i;
  }
  if (i < body.size()) {
    if (body[i] != 'e' && body[i] != 'E') return false;
    ++i;
    if (i >= body.size() || (body[i] != '+' && body[i] != '-')) return false;
    ++i;
    size_t start = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    if (i == start || i != body.size()) return false;
  }
  std::string clean;
  for (char c : s) {
    if (c != '_') clean += c;
  }
  char* end = nullptr;
  double d = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

bool IsBoolWord(std::string_view s, bool* value) {
  static constexpr std::string_view kTrue[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  for (auto w : kTrue) {
    if (s == w) return *value = true, true;
  }
  for (auto w : kFalse) {
    if (s == w) return *value = false, true;
  }
  return false;
}

bool IsNullWord(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// A plain (unquoted, untagged) scalar typed as PyYAML's resolver does.
json ResolvePlain(std::string_view s) {
  if (IsNullWord(s)) return nullptr;
  bool b = false;
  if (IsBoolWord(s, &b)) return b;
  json v;
  if (ResolveInt(s, &v)) return v;
  if (ResolveFloat(s, &v)) return v;
  return std::string(s);
}

std::string Where(std::string_view source, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return std::string(source);
  return std::string(source) + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

class Converter {
 public:
  explicit Converter(std::string_view source) : source_(source) {}

  Status ToJson(const YAML::Node& node, int depth, json* out) {
    if (++nodes_ > kMaxYamlNodes) {
      return Status::ResourceExhausted(Where(source_, node) + ": more than " + std::to_string(kMaxYamlNodes) +
                                       " YAML nodes (aliases expanded)");
    }
    if (depth > kMaxYamlDepth) {
      return Status::InvalidArgument(Where(source_, node) + ": nested deeper than " + std::to_string(kMaxYamlDepth));
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        *out = nullptr;
        return Status::Ok();
      case YAML::NodeType::Scalar:
        *out = node.Tag() == "?" ? ResolvePlain(node.Scalar()) : json(node.Scalar());
        return Status::Ok();
      case YAML::NodeType::Sequence: {
        *out = json::array();
        for (const auto& item : node) {
          json v;
          if (Status st = ToJson(item, depth + 1, &v); !st.ok()) return st;
          out->push_back(std::move(v));
        }
        return Status::Ok();
      }
      case YAML::NodeType::Map: {
        *out = json::object();
        json merged = json::object();  // from "<<", applied under explicit keys
        for (const auto& kv : node) {
          if (kv.first.IsScalar() && kv.first.Tag() == "?" && kv.first.Scalar() == "<<") {
            json m;
            if (Status st = ToJson(kv.second, depth + 1, &m); !st.ok()) return st;
            if (m.is_object()) m = json::array({m});
            if (!m.is_array()) return Status::InvalidArgument(Where(source_, kv.second) + ": \"<<\" needs a map or a list of maps");
            for (const auto& one : m) {
              if (!one.is_object()) return Status::InvalidArgument(Where(source_, kv.second) + ": \"<<\" needs maps");
              for (const auto& [k, v] : one.items()) {
                if (!merged.contains(k)) merged[k] = v;
              }
            }
            continue;
          }
          std::string key;
          if (Status st = KeyText(kv.first, depth, &key); !st.ok()) return st;
          json v;
          if (Status st = ToJson(kv.second, depth + 1, &v); !st.ok()) return st;
          (*out)[key] = std::move(v);
        }
        for (auto& [k, v] : merged.items()) {
          if (!out->contains(k)) (*out)[k] = std::move(v);
        }
        return Status::Ok();
      }
    }
    return Status::Internal("unknown YAML node type");
  }

  // A map key as the string JSON would carry (int 6379 -> "6379").
  Status KeyText(const YAML::Node& key, int depth, std::string* out) {
    if (key.IsNull()) {
      *out = "null";
      return Status::Ok();
    }
    if (!key.IsScalar()) return Status::InvalidArgument(Where(source_, key) + ": a map key must be a scalar");
    if (key.Tag() != "?") {
      *out = key.Scalar();
      return Status::Ok();
    }
    json v;
    if (Status st = ToJson(key, depth + 1, &v); !st.ok()) return st;
    *out = v.is_string() ? v.get<std::string>() : Dump(v);
    return Status::Ok();
  }

  Status Vars(const YAML::Node& node, std::string_view what, std::vector<Var>* vars) {
    if (node.IsNull()) return Status::Ok();
    if (!node.IsMap()) return Status::InvalidArgument(Where(source_, node) + ": " + std::string(what) + " must be a map");
    json obj;
    if (Status st = ToJson(node, 1, &obj); !st.ok()) return st;
    // Keep the file's key order (the JSON object sorts), later duplicates win.
    for (const auto& kv : node) {
      std::string key;
      if (kv.first.IsScalar() && kv.first.Tag() == "?" && kv.first.Scalar() == "<<") continue;
      if (Status st = KeyText(kv.first, 1, &key); !st.ok()) return st;
      SetVar(vars, key, Dump(obj[key]));
    }
    for (const auto& [k, v] : obj.items()) {
      if (FindVar(*vars, k) == nullptr) SetVar(vars, k, Dump(v));
    }
    return Status::Ok();
  }

  Status Hosts(const YAML::Node& node, Group* group) {
    if (node.IsNull()) return Status::Ok();
    if (!node.IsMap()) return Status::InvalidArgument(Where(source_, node) + ": hosts of " + group->name + " must be a map");
    for (const auto& kv : node) {
      Host h;
      if (Status st = KeyText(kv.first, 1, &h.name); !st.ok()) return st;
      if (h.name.find('[') != std::string::npos) {
        return Status::InvalidArgument(Where(source_, kv.first) + ": host ranges such as " + h.name +
                                       " are not supported; list the hosts");
      }
      if (Status st = Vars(kv.second, "host " + h.name, &h.vars); !st.ok()) return st;
      group->hosts.push_back(std::move(h));
    }
    return Status::Ok();
  }

  Status GroupBody(const YAML::Node& node, Group* group) {
    if (node.IsNull()) return Status::Ok();
    if (!node.IsMap()) return Status::InvalidArgument(Where(source_, node) + ": group " + group->name + " must be a map");
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (key == "hosts") {
        if (Status st = Hosts(kv.second, group); !st.ok()) return st;
      } else if (key == "vars") {
        if (Status st = Vars(kv.second, "vars of group " + group->name, &group->vars); !st.ok()) return st;
      } else if (key == "children") {
        if (!kv.second.IsNull() && kv.second.size() > 0) {
          return Status::InvalidArgument(Where(source_, kv.first) + ": group " + group->name +
                                         " has children; nested groups are not supported (list them under all.children)");
        }
      } else {
        return Status::InvalidArgument(Where(source_, kv.first) + ": unexpected key \"" + key + "\" in group " +
                                       group->name + " (want hosts, vars)");
      }
    }
    return Status::Ok();
  }

 private:
  std::string source_;
  size_t nodes_ = 0;
};

// Whether `s` can be written as a plain YAML scalar and read back as the
// same string.
bool PlainSafe(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  if (!ResolvePlain(s).is_string()) return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`= ").find(s[0]) != std::string_view::npos) return false;
  if (s.back() == ' ' || s.back() == ':') return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return s.find(": ") == std::string_view::npos && s.find(" #") == std::string_view::npos;
}

std::string Scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return PlainSafe(s) ? s : Dump(v);
  }
  if (v.is_number_float()) {
    std::string t = Dump(v);
    if (t.find('.') == std::string::npos) {
      size_t e = t.find_first_of("eE");
      t.insert(e == std::string::npos ? t.size() : e, ".0");
    }
    return t;
  }
  return Dump(v);  // int, bool, null
}

void Indent(std::string* out, int n) { out->append(static_cast<size_t>(n), ' '); }

void EmitBlock(std::string* out, const json& v, int indent);

void EmitEntries(std::string* out, const json& obj, int indent, bool first_inline) {
  bool first = true;
  for (const auto& [k, v] : obj.items()) {
    if (!(first && first_inline)) Indent(out, indent);
    first = false;
    *out += Scalar(json(k));
    out->push_back(':');
    EmitBlock(out, v, indent + 2);
  }
}

// The value after "key:" (or "-"): " scalar\n", or a newline and a block.
void EmitBlock(std::string* out, const json& v, int indent) {
  if (v.is_object() && !v.empty()) {
    out->push_back('\n');
    EmitEntries(out, v, indent, false);
  } else if (v.is_array() && !v.empty()) {
    out->push_back('\n');
    for (const auto& item : v) {
      Indent(out, indent);
      out->push_back('-');
      if (item.is_object() && !item.empty()) {
        out->push_back(' ');
        EmitEntries(out, item, indent + 2, true);
      } else {
        EmitBlock(out, item, indent + 2);
      }
    }
  } else if (v.is_object()) {
    *out += " {}\n";
  } else if (v.is_array()) {
    *out += " []\n";
  } else {
    out->push_back(' ');
    *out += Scalar(v);
    out->push_back('\n');
  }
}

void EmitVars(std::string* out, const std::vector<Var>& vars, int indent) {
  for (const auto& var : vars) {
    Indent(out, indent);
    *out += Scalar(json(var.key));
    out->push_back(':');
    EmitBlock(out, json::parse(var.value, nullptr, false), indent + 2);
  }
}

}  // namespace

Result<Inventory> ParseInventoryYaml(std::string_view text, std::string_view source) {
  if (text.size() > kMaxInventoryBytes) {
    return Status::ResourceExhausted(std::string(source) + ": larger than " + std::to_string(kMaxInventoryBytes) + " bytes");
  }
  Inventory inv;
  Converter conv(source);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return Status::InvalidArgument(std::string(source) + ": empty inventory");
    if (!root.IsMap()) return Status::InvalidArgument(Where(source, root) + ": the inventory must be a map with key \"all\"");
    YAML::Node all;
    for (const auto& kv : root) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (key != "all") {
        return Status::InvalidArgument(Where(source, kv.first) + ": top-level key \"" + key +
                                       "\": only \"all\" is supported (put groups under all.children)");
      }
      all = kv.second;
    }
    if (!all || all.IsNull()) return Status::InvalidArgument(std::string(source) + ": \"all\" is empty");
    if (!all.IsMap()) return Status::InvalidArgument(Where(source, all) + ": \"all\" must be a map");
    Group ungrouped{"ungrouped", {}, {}};
    for (const auto& kv : all) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (key == "vars") {
        if (Status st = conv.Vars(kv.second, "all.vars", &inv.global_vars); !st.ok()) return st;
      } else if (key == "hosts") {
        if (Status st = conv.Hosts(kv.second, &ungrouped); !st.ok()) return st;
      } else if (key == "children") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap()) return Status::InvalidArgument(Where(source, kv.second) + ": all.children must be a map");
        for (const auto& child : kv.second) {
          Group g;
          if (Status st = conv.KeyText(child.first, 1, &g.name); !st.ok()) return st;
          if (Status st = conv.GroupBody(child.second, &g); !st.ok()) return st;
          inv.groups.push_back(std::move(g));
        }
      } else {
        return Status::InvalidArgument(Where(source, kv.first) + ": unexpected key \"" + key +
                                       "\" in all (want vars, hosts, children)");
      }
    }
    if (!ungrouped.hosts.empty()) {
      Inventory extra;
      extra.groups.push_back(std::move(ungrouped));
      Merge(&inv, extra);
    }
  } catch (const YAML::Exception& e) {
    std::string where = std::string(source);
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return Status::InvalidArgument(where + ": " + e.msg);
  }
  return inv;
}

Result<std::string> YamlValueToJson(std::string_view text) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    Converter conv("value");
    json v;
    if (Status st = conv.ToJson(node, 0, &v); !st.ok()) return st;
    return Dump(v);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("value: " + e.msg);
  }
}

std::string DumpInventoryYaml(const Inventory& inv) {
  std::string out = "---\nall:\n  children:\n";
  if (inv.groups.empty()) out = "---\nall:\n  children: {}\n";
  for (const auto& g : inv.groups) {
    Indent(&out, 4);
    out += Scalar(json(g.name)) + ":\n";
    out += g.hosts.empty() ? "      hosts: {}\n" : "      hosts:\n";
    for (const auto& h : g.hosts) {
      Indent(&out, 8);
      out += Scalar(json(h.name)) + ":";
      if (h.vars.empty()) {
        out += " {}\n";
      } else {
        out.push_back('\n');
        EmitVars(&out, h.vars, 10);
      }
    }
    out += g.vars.empty() ? "      vars: {}\n" : "      vars:\n";
    EmitVars(&out, g.vars, 8);
  }
  out += inv.global_vars.empty() ? "  vars: {}\n" : "  vars:\n";
  EmitVars(&out, inv.global_vars, 4);
  return out;
}

std::string JsonToYamlInline(std::string_view text) {
  json v = json::parse(text.begin(), text.end(), nullptr, false);
  if (v.is_object() || v.is_array()) return Dump(v);  // JSON is YAML flow style
  return Scalar(v);
}

}  // namespace vigil::cmdb
