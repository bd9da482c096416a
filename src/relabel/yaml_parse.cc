// Parsing of relabel rules from YAML with the acceptance rules of
// Prometheus 2.42 (gopkg.in/yaml.v2, strict mode, into relabel.Config).

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "config/yaml_position.h"
#include "relabel/relabel.h"
#include "relabel/validate.h"

namespace vigil::relabel {
namespace {

// yaml.v2's name for what a node holds: "!!map", "!!seq" or "!!str `x`".
std::string KindName(const YAML::Node& node) {
  if (node.IsMap()) return "!!map";
  if (node.IsSequence()) return "!!seq";
  if (node.IsNull()) return "!!null";
  return "!!str `" + node.Scalar() + "`";
}

Status CannotUnmarshal(const YAML::Node& node, std::string_view into) {
  return Status::InvalidArgument(config::YamlLinePrefix(node) + "cannot unmarshal " + KindName(node) + " into " +
                                 std::string(into));
}

// A string field: any scalar's text; null is "" (Go's zero value).
Status ReadString(const YAML::Node& node, std::string* out) {
  if (node.IsNull()) {
    out->clear();
    return Status::Ok();
  }
  if (!node.IsScalar()) return CannotUnmarshal(node, "string");
  *out = node.Scalar();
  return Status::Ok();
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// An unsigned integer as yaml.v2 resolves a plain scalar (Go's strconv with
// base 0 after removing '_': decimal, 0x hex, 0o or leading-0 octal, 0b
// binary, optional sign). Stores in *negative whether a '-' was written.
bool ParseYamlUint(std::string text, uint64_t* out, bool* negative) {
  std::erase(text, '_');
  std::string_view s = text;
  *negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    *negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    const char prefix = static_cast<char>(s[1] | 0x20);  // ASCII lower case
    base = prefix == 'x' ? 16 : prefix == 'b' ? 2 : 8;
    s.remove_prefix(prefix == 'x' || prefix == 'o' || prefix == 'b' ? 2 : 1);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    const int d = DigitValue(c);
    if (d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

Status ReadModulus(const YAML::Node& node, uint64_t* out) {
  if (node.IsNull()) {
    *out = 0;
    return Status::Ok();
  }
  // A quoted scalar is a string in YAML, never an integer.
  if (!node.IsScalar() || node.Tag() == "!") return CannotUnmarshal(node, "uint64");
  uint64_t v = 0;
  bool negative = false;
  if (!ParseYamlUint(node.Scalar(), &v, &negative)) return CannotUnmarshal(node, "uint64");
  if (negative && v != 0) {
    return Status::InvalidArgument(config::YamlLinePrefix(node) + "cannot unmarshal !!int `" + node.Scalar() +
                                   "` into uint64");
  }
  *out = v;
  return Status::Ok();
}

Status ReadSourceLabels(const YAML::Node& node, std::vector<std::string>* out) {
  out->clear();
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) return CannotUnmarshal(node, "model.LabelNames");
  for (const YAML::Node& item : node) {
    if (item.IsNull()) {  // yaml.v2 leaves the zero value, unvalidated
      out->emplace_back();
      continue;
    }
    if (!item.IsScalar()) return CannotUnmarshal(item, "model.LabelName");
    const std::string& name = item.Scalar();
    if (!tsdb::IsValidLabelName(name)) {
      std::string msg;
      tsdb::AppendQuoted(&msg, name);
      return Status::InvalidArgument(msg + " is not a valid label name");
    }
    out->push_back(name);
  }
  return Status::Ok();
}

Result<RelabelConfig> ParseMapping(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return Status::InvalidArgument("empty or null relabeling rule");
  if (!node.IsMap()) return CannotUnmarshal(node, "relabel.plain");

  RelabelConfig config;
  internal::ExplicitFields explicit_fields;
  bool action_empty = false;
  std::vector<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const std::string name = key.IsScalar() ? key.Scalar() : std::string();
    for (const std::string& s : seen) {
      if (s == name) {
        return Status::InvalidArgument(config::YamlLinePrefix(key) + "key \"" + name + "\" already set in map");
      }
    }
    seen.push_back(name);

    Status status;
    if (name == "source_labels") {
      status = ReadSourceLabels(value, &config.source_labels);
      explicit_fields.source_labels = value.IsSequence();
    } else if (name == "separator") {
      status = ReadString(value, &config.separator);
    } else if (name == "regex") {
      status = ReadString(value, &config.regex);
      explicit_fields.regex = true;
      if (status.ok()) {
        auto re = internal::CompileAnchored(config.regex);
        if (!re.ok()) status = re.status();
      }
    } else if (name == "modulus") {
      status = ReadModulus(value, &config.modulus);
    } else if (name == "target_label") {
      status = ReadString(value, &config.target_label);
    } else if (name == "replacement") {
      status = ReadString(value, &config.replacement);
    } else if (name == "action") {
      std::string text;
      status = ReadString(value, &text);
      if (status.ok()) {
        action_empty = value.IsNull();
        if (!action_empty) {
          const std::optional<Action> action = ParseAction(text);
          if (!action) {
            std::string quoted;
            tsdb::AppendQuoted(&quoted, text);
            return Status::InvalidArgument("unknown relabel action " + quoted);
          }
          config.action = *action;
        }
      }
    } else {
      const std::string shown = key.IsScalar() ? name : KindName(key);
      return Status::InvalidArgument(config::YamlLinePrefix(key) + "field " + shown + " not found in type relabel.plain");
    }
    if (!status.ok()) return status;
  }
  if (action_empty) return Status::InvalidArgument("relabel action cannot be empty");
  if (Status s = internal::ValidateFields(config, explicit_fields); !s.ok()) return s;
  return config;
}

}  // namespace

Result<RelabelConfig> ParseRelabelConfig(const YAML::Node& node) {
  try {
    return ParseMapping(node);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("invalid relabel configuration: ") + e.what());
  }
}

Result<std::vector<RelabelConfig>> ParseRelabelConfigs(const YAML::Node& node) {
  try {
    std::vector<RelabelConfig> configs;
    if (!node.IsDefined() || node.IsNull()) return configs;
    if (!node.IsSequence()) return CannotUnmarshal(node, "[]*relabel.Config");
    for (const YAML::Node& item : node) {
      Result<RelabelConfig> config = ParseMapping(item);
      if (!config.ok()) return config.status();
      configs.push_back(std::move(config).value());
    }
    return configs;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("invalid relabel configuration: ") + e.what());
  }
}

}  // namespace vigil::relabel
