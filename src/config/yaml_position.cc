#include "config/yaml_position.h"

#include <yaml-cpp/yaml.h>

namespace vigil::config {

std::string YamlLinePrefix(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return "line " + std::to_string(mark.line + 1) + ": ";
}

}  // namespace vigil::config
