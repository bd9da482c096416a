#pragma once
// Relabeling as Prometheus 2.42 does it (model/relabel): an ordered list of
// rules rewrites a label set (a discovered target, a scraped series, an
// alert) or drops it. Used by scraping (relabel_configs,
// metric_relabel_configs), alert relabeling and remote write.
//
// Semantics pinned to Prometheus 2.42:
//   - Each rule reads the label set left by the previous rule. Its input is
//     the values of `source_labels` joined by `separator` (absent labels
//     read as "").
//   - `regex` is fully anchored (`^(?:regex)$`), RE2/Go syntax.
//   - replace: when the regex matches, `target_label` and `replacement` are
//     expanded with the match (Go's regexp.Expand: `$1`, `${1}`, `$name`,
//     `${name}`, `$$`); an expanded target that is not a valid label name
//     leaves the set unchanged; an empty expanded value deletes the label
//     literally named `target_label` (2.42 deletes the unexpanded name).
//   - keep / drop: drop the set when the regex does not / does match.
//   - keepequal / dropequal: drop the set when the input is not / is equal to
//     the value of `target_label`.
//   - hashmod: sets `target_label` to (last 8 bytes of md5(input), read
//     big-endian) mod `modulus`, in decimal.
//   - labelmap: for every label whose name matches, copies its value to the
//     name given by expanding `replacement` with that match.
//   - labeldrop / labelkeep: removes labels whose names do / do not match.
//   - lowercase / uppercase: sets `target_label` to the input with its
//     letters mapped as Go's strings.ToLower / ToUpper.
//   - An empty value means "absent": setting a label to "" removes it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tsdb/labels.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace re2 {
class RE2;
}  // namespace re2

namespace vigil::relabel {

// What a rule does; see the file comment for each action's semantics.
enum class Action : uint8_t {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

// The action's name as written in configuration ("replace", "keepequal", ...).
std::string_view ActionName(Action action);

// The action named `name`, case-insensitively (Prometheus lower-cases it);
// nullopt for an unknown name.
std::optional<Action> ParseAction(std::string_view name);

// One relabeling rule as configured. The defaults are Prometheus' defaults
// for a rule that sets only some fields.
struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";  // unanchored, as written; anchored when compiled
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  Action action = Action::kReplace;
};

// The regex value Prometheus uses when `regex` is not given.
inline constexpr std::string_view kDefaultRegex = "(.*)";

// OK when `config` passes Prometheus' relabel config validation (required
// target_label, non-zero hashmod modulus, valid target/replacement templates,
// fields that an action does not accept left at their defaults) and its
// regex compiles; otherwise InvalidArgument with Prometheus' message, e.g.
// "relabel configuration for replace action requires 'target_label' value".
// A regex equal to the default counts as not set.
Status Validate(const RelabelConfig& config);

// (Last 8 bytes of md5(value) as a big-endian uint64) % modulus: the hashmod
// action's result. A zero modulus (refused by Validate) yields 0.
uint64_t HashMod(std::string_view value, uint64_t modulus);

// A validated, compiled list of rules, applied in order.
// Thread-safety: immutable after Compile; any number of threads may call
// Process concurrently. Copies share the compiled regexes.
class Relabeler {
 public:
  // An empty list: Process keeps every label set unchanged.
  Relabeler() = default;

  // Validates every rule (see Validate) and compiles its regex; the first
  // invalid rule's error is returned.
  static Result<Relabeler> Compile(std::vector<RelabelConfig> configs);

  // Applies the rules to the labels in `*builder`, in order. Returns false as
  // soon as a rule drops the set (the builder then holds the labels as that
  // rule saw them, and the caller should discard them); true when the set is
  // kept, with `*builder` holding the result.
  bool Process(tsdb::LabelsBuilder* builder) const;

  // Like Process(builder): the relabeled set, or nullopt when dropped.
  std::optional<tsdb::Labels> Process(const tsdb::Labels& labels) const;

  // The rules as configured.
  const std::vector<RelabelConfig>& configs() const { return configs_; }
  bool empty() const { return configs_.empty(); }

 private:
  struct Compiled;  // a config's regex and its group names
  std::vector<RelabelConfig> configs_;
  std::vector<std::shared_ptr<const Compiled>> compiled_;  // parallel to configs_
};

// Parses one rule from a YAML mapping as Prometheus does (strict: unknown
// fields are errors; absent fields take the defaults; a null `regex` is the
// empty regex; action names are case-insensitive; source label names must be
// valid) and validates it (see Validate; here an explicitly written `regex`
// or `source_labels`, even if equal to the default, counts as set).
// Errors are InvalidArgument with Prometheus' wording; errors about the YAML
// shape carry "line N: ".
Result<RelabelConfig> ParseRelabelConfig(const YAML::Node& node);

// Parses a YAML sequence of rules (a `relabel_configs` value). A null or
// absent node is an empty list. A null entry is an error, as in Prometheus.
Result<std::vector<RelabelConfig>> ParseRelabelConfigs(const YAML::Node& node);

}  // namespace vigil::relabel
