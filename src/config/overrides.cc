#include "config/overrides.h"

namespace vigil::config {
namespace {

// Whether `path` is `prefix` or lies below it ("a.b" is under "a", and so is "a[1]").
bool IsUnder(std::string_view path, std::string_view prefix) {
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

std::string_view KindName(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "empty";
  return "a scalar";
}

std::vector<std::string> SplitPath(std::string_view key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

void OriginMap::RecordOverride(const std::string& path, const std::string& source) {
  std::erase_if(overrides_, [&](const auto& entry) { return IsUnder(entry.first, path); });
  overrides_.emplace_back(path, source);
}

ConfigError OriginMap::At(std::string_view path, const YAML::Node& node) const {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& entry : overrides_) {
    if (IsUnder(path, entry.first) && (best == nullptr || entry.first.size() > best->first.size())) best = &entry;
  }
  ConfigError e;
  e.key = std::string(path);
  if (best != nullptr) {
    e.source = best->second;
    return e;
  }
  e.source = file_source_;
  if (node.IsDefined() && !node.Mark().is_null()) {
    e.line = node.Mark().line + 1;
    e.column = node.Mark().column + 1;
  }
  return e;
}

void ApplySetOverride(std::string_view item, YAML::Node* root, OriginMap* origins, std::vector<ConfigError>* errors) {
  size_t eq = item.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    errors->push_back(
        MakeError("--set " + std::string(item), "", "expected KEY=VALUE, e.g. --set metrics.listen=127.0.0.1:18428"));
    return;
  }
  std::string key(item.substr(0, eq));
  std::string source = "--set " + key;
  std::vector<std::string> parts = SplitPath(key);
  for (const auto& p : parts) {
    if (p.empty()) {
      errors->push_back(
          MakeError(source, key, "invalid key path (expected dot-separated names, e.g. metrics.listen)"));
      return;
    }
  }
  YAML::Node value;
  std::string text(item.substr(eq + 1));
  try {
    value = YAML::Load(text);
  } catch (const YAML::ParserException& ex) {
    errors->push_back(MakeError(source, key, "invalid YAML value \"" + text + "\": " + ex.msg));
    return;
  }

  // Check the whole path before changing anything, so a failed item leaves no trace.
  {
    YAML::Node cur;
    cur.reset(*root);  // read-only walk: const lookups and handle rebinding only
    std::string walked;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      walked += (i == 0 ? "" : ".") + parts[i];
      const YAML::Node& ccur = cur;
      YAML::Node child = ccur[parts[i]];
      if (!child.IsDefined() || child.IsNull()) break;  // the rest gets created
      if (!child.IsMap()) {
        errors->push_back(MakeError(source, key,
                                     "cannot set a key inside " + walked + ", which is " +
                                         std::string(KindName(child)) + ", not a map"));
        return;
      }
      cur.reset(child);
    }
  }

  YAML::Node cur;
  cur.reset(*root);  // rebinding a handle, never assigning through it (yaml-cpp aliasing)
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (i == 0 ? "" : ".") + parts[i];
    const YAML::Node& ccur = cur;
    YAML::Node child = ccur[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      origins->RecordOverride(walked, source);
    }
    YAML::Node next = cur[parts[i]];
    cur.reset(next);
  }
  cur[parts.back()] = value;
  origins->RecordOverride(key, source);
}

void ApplyTopLevelOverride(const std::string& key, const std::string& value, const std::string& source,
                           YAML::Node* root, OriginMap* origins) {
  (*root)[key] = YAML::Node(value);
  origins->RecordOverride(key, source);
}

}  // namespace vigil::config
