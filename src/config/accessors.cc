// Typed reads of a validated section, and rendering the effective config.

#include <charconv>

#include "config/config.h"

namespace vigil::config {
namespace {

// The scalar text at section[key], or "" when absent or not a scalar.
std::string ScalarAt(const YAML::Node& section, std::string_view key) {
  if (!section.IsDefined() || !section.IsMap()) return "";
  const YAML::Node v = section[std::string(key)];
  if (!v.IsDefined() || !v.IsScalar()) return "";
  return v.Scalar();
}

// Empty lists and maps in flow style ("upstreams: []"), the rest in block style.
void UseFlowForEmpty(YAML::Node n) {
  if (n.IsSequence() || n.IsMap()) {
    if (n.size() == 0) {
      n.SetStyle(YAML::EmitterStyle::Flow);
      return;
    }
    if (n.IsSequence()) {
      for (auto item : n) UseFlowForEmpty(item);
    } else {
      for (auto it = n.begin(); it != n.end(); ++it) UseFlowForEmpty(it->second);
    }
  }
}

}  // namespace

std::chrono::milliseconds GetDuration(const YAML::Node& section, std::string_view key) {
  auto d = ParseDuration(ScalarAt(section, key));
  return d.ok() ? *d : std::chrono::milliseconds(0);
}

uint64_t GetSize(const YAML::Node& section, std::string_view key) {
  auto n = ParseSize(ScalarAt(section, key));
  return n.ok() ? *n : 0;
}

int64_t GetInt(const YAML::Node& section, std::string_view key) {
  std::string s = ScalarAt(section, key);
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && end == s.data() + s.size() ? n : 0;
}

bool GetBool(const YAML::Node& section, std::string_view key) { return ScalarAt(section, key) == "true"; }

std::string GetString(const YAML::Node& section, std::string_view key) { return ScalarAt(section, key); }

std::vector<std::string> GetStringList(const YAML::Node& section, std::string_view key) {
  std::vector<std::string> out;
  if (!section.IsDefined() || !section.IsMap()) return out;
  const YAML::Node v = section[std::string(key)];
  if (!v.IsDefined() || !v.IsSequence()) return out;
  for (const auto& item : v) {
    if (item.IsScalar()) out.push_back(item.Scalar());
  }
  return out;
}

std::string RenderEffective(const Settings& s) {
  YAML::Node tree = YAML::Clone(s.effective);
  UseFlowForEmpty(tree);
  YAML::Emitter out;
  out << tree;
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace vigil::config
