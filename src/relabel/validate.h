#pragma once
// Rule validation and regex compilation shared by Relabeler::Compile and the
// YAML parser. Internal to the relabel module.

#include <memory>
#include <string_view>

#include <re2/re2.h>

#include "base/status.h"
#include "relabel/relabel.h"

namespace vigil::relabel::internal {

// Which fields the configuration wrote explicitly. Prometheus compares the
// regex by identity, so a `regex:` written in YAML counts as set even when
// it equals the default; and a `source_labels: []` counts as set.
struct ExplicitFields {
  bool regex = false;
  bool source_labels = false;
};

// Prometheus 2.42's relabel Config validation, in its order, on a config
// whose regex already compiled. OK or InvalidArgument with its message.
Status ValidateFields(const RelabelConfig& config, const ExplicitFields& explicit_fields);

// Compiles `regex` anchored as `^(?:regex)$` with RE2 in Go-compatible
// options. On failure returns InvalidArgument worded as Go's regexp error:
// "error parsing regexp: missing closing ): `^(?:(a)$`".
Result<std::unique_ptr<re2::RE2>> CompileAnchored(std::string_view regex);

}  // namespace vigil::relabel::internal
