#pragma once
// Internal to the config module: applying --set / --data-dir overrides to a
// parsed YAML tree, and remembering where each part of the tree came from so
// that errors name the file position or the override that introduced it.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace vigil::config {

// A ConfigError without a position.
inline ConfigError MakeError(std::string source, std::string key, std::string message) {
  ConfigError e;
  e.source = std::move(source);
  e.key = std::move(key);
  e.message = std::move(message);
  return e;
}

// Maps dotted key paths to their origin. Everything not overridden comes
// from the file (positions from the YAML node marks). Not thread-safe.
class OriginMap {
 public:
  explicit OriginMap(std::string file_source) : file_source_(std::move(file_source)) {}

  // Records that the subtree at `path` now comes from `source` ("--set a.b").
  // Forgets earlier records below `path`, since the subtree was replaced.
  void RecordOverride(const std::string& path, const std::string& source);

  // An error about the value at `path`, positioned at `node` when the value
  // came from the file. The caller fills in the message.
  ConfigError At(std::string_view path, const YAML::Node& node) const;

  const std::string& file_source() const { return file_source_; }

 private:
  std::string file_source_;
  std::vector<std::pair<std::string, std::string>> overrides_;  // path -> source
};

// Applies one "a.b.c=value" item to the map `root`: the value is parsed as
// YAML and stored at the path, creating maps along the way. A malformed item,
// an unparsable value or a path through a non-map value appends an error and
// leaves `root` unchanged. REQUIRES: root->IsMap().
void ApplySetOverride(std::string_view item, YAML::Node* root, OriginMap* origins, std::vector<ConfigError>* errors);

// Stores `value` at the top-level key `key` of `root` and records `source` as
// its origin (used for --data-dir). REQUIRES: root->IsMap().
void ApplyTopLevelOverride(const std::string& key, const std::string& value, const std::string& source,
                           YAML::Node* root, OriginMap* origins);

}  // namespace vigil::config
