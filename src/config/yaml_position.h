#pragma once
// Positions of YAML nodes in error messages of the native config formats
// (scrape configs, relabel rules, target files), as Go's yaml.v2 reports them.

#include <string>

namespace YAML {
class Node;
}  // namespace YAML

namespace vigil::config {

// "line N: " for the node's 1-based line, or "" when the node has no
// position (built in code rather than parsed).
std::string YamlLinePrefix(const YAML::Node& node);

}  // namespace vigil::config
