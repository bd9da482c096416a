#pragma once
// Internal to the config module: checks a merged YAML tree (file plus
// overrides) against the schema and builds the effective tree: every schema
// key present, defaults filled in, ${admin_ip} and ${data_dir} substituted.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/overrides.h"
#include "config/schema.h"

namespace vigil::config {

// Replaces every "${admin_ip}" and "${data_dir}" in `s`; other ${...} text
// (relabel replacements such as "${1}") is left alone.
std::string SubstituteVariables(std::string_view s, const std::string& admin_ip, const std::string& data_dir);

// Validates `root` (a map, or null for an empty file) and returns the
// effective tree. Appends one error per problem to *errors; when any error
// was appended the returned tree is incomplete and must not be used.
YAML::Node BuildEffective(const Schema& schema, const YAML::Node& root, const OriginMap& origins,
                          std::vector<ConfigError>* errors);

}  // namespace vigil::config
