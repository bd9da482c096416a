#pragma once
// Prometheus rule files (the format of Prometheus 2.42, promtool and
// vmalert): `groups: [{name, interval, limit, labels, rules: [{record |
// alert, expr, for, keep_firing_for, labels, annotations}]}]`. Parsing is
// strict as Prometheus' (unknown fields are errors) and validates what
// `promtool check rules` validates: names, PromQL expressions, label names,
// fields that only one rule kind may have, duplicate group names in a file.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace vigil::rules {

using Millis = std::chrono::milliseconds;

// One rule as written.
struct RuleConfig {
  enum class Kind { kRecording, kAlerting } kind = Kind::kRecording;
  std::string name;  // `record` or `alert`
  std::string expr;
  Millis for_duration{0};
  Millis keep_firing_for{0};
  std::map<std::string, std::string> labels;       // values may be templates (alerts)
  std::map<std::string, std::string> annotations;  // alerts only; templates
  int line = 0;                                    // 1-based line of the rule in its file

  bool operator==(const RuleConfig&) const = default;
};

// One group as written.
struct GroupConfig {
  std::string name;
  std::string file;
  Millis interval{0};  // 0: the default evaluation interval
  uint64_t limit = 0;  // 0: no limit on series per rule
  std::map<std::string, std::string> labels;  // added to every rule's result
  std::vector<RuleConfig> rules;

  bool operator==(const GroupConfig&) const = default;
};

// Parses rule-file text named `file` (for messages). Errors are one message
// per problem, each "FILE:LINE: message" (or "FILE: message" without a
// position), in file order; on any error no groups are returned.
struct ParsedRuleFile {
  std::vector<GroupConfig> groups;
  std::vector<std::string> errors;
};
ParsedRuleFile ParseRuleFile(const std::string& text, const std::string& file);

// Reads and parses every file matching the globs `patterns`, in pattern then
// name order. A file that fails keeps its errors in `errors`; the groups of
// every good file are returned.
ParsedRuleFile LoadRuleFiles(const std::vector<std::string>& patterns);

}  // namespace vigil::rules
