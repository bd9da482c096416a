#pragma once
// Inhibitor: applies inhibit_rules. A target alert is muted while a firing
// source alert matches the rule's source matchers and has the same values
// (absent = "") for every `equal` label. An alert that matches both sides is
// never muted by a source that also matches the target side (no alert
// inhibits itself or its twin).
//
// Thread-safety: every method may be called from any thread.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/model.h"

namespace vigil::alertmanager {

class Inhibitor {
 public:
  // Replaces the rules and forgets the source cache (re-fed by Observe).
  void SetRules(std::vector<InhibitRule> rules);
  // Feeds every received alert: alerts matching a rule's source side are
  // remembered as possible sources.
  void Observe(const Alert& a);
  // The fingerprint of a firing source alert that mutes `labels` at `now`,
  // or 0 when not inhibited.
  uint64_t InhibitedBy(const LabelSet& labels, int64_t now) const;
  // Forgets sources resolved before `now`.
  void Prune(int64_t now);

 private:
  struct SourceAlert {
    LabelSet labels;
    int64_t ends_at;
  };
  struct RuleState {
    InhibitRule rule;
    // Keyed by the values of the `equal` labels, then fingerprint.
    std::unordered_map<std::string, std::unordered_map<uint64_t, SourceAlert>> sources;
  };
  static std::string EqualKey(const InhibitRule& r, const LabelSet& labels);

  mutable std::mutex mu_;
  std::vector<RuleState> rules_;
};

}  // namespace vigil::alertmanager
