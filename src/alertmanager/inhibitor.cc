#include "alertmanager/inhibitor.h"

namespace vigil::alertmanager {

std::string Inhibitor::EqualKey(const InhibitRule& r, const LabelSet& labels) {
  std::string key;
  for (const auto& name : r.equal) {
    auto it = labels.find(name);
    if (it != labels.end()) key += it->second;
    key += '\xff';
  }
  return key;
}

void Inhibitor::SetRules(std::vector<InhibitRule> rules) {
  std::lock_guard lock(mu_);
  rules_.clear();
  for (auto& r : rules) rules_.push_back(RuleState{std::move(r), {}});
}

void Inhibitor::Observe(const Alert& a) {
  std::lock_guard lock(mu_);
  for (auto& rs : rules_) {
    if (!MatchesAll(rs.rule.source, a.labels)) continue;
    rs.sources[EqualKey(rs.rule, a.labels)][a.fingerprint] = SourceAlert{a.labels, a.ends_at};
  }
}

uint64_t Inhibitor::InhibitedBy(const LabelSet& labels, int64_t now) const {
  std::lock_guard lock(mu_);
  for (const auto& rs : rules_) {
    if (!MatchesAll(rs.rule.target, labels)) continue;
    auto bucket = rs.sources.find(EqualKey(rs.rule, labels));
    if (bucket == rs.sources.end()) continue;
    bool two_sided = MatchesAll(rs.rule.source, labels);
    for (const auto& [fp, src] : bucket->second) {
      if (src.ends_at != 0 && src.ends_at <= now) continue;
      if (two_sided && MatchesAll(rs.rule.target, src.labels)) continue;
      return fp;
    }
  }
  return 0;
}

void Inhibitor::Prune(int64_t now) {
  std::lock_guard lock(mu_);
  for (auto& rs : rules_) {
    for (auto it = rs.sources.begin(); it != rs.sources.end();) {
      std::erase_if(it->second, [now](const auto& kv) { return kv.second.ends_at != 0 && kv.second.ends_at <= now; });
      it = it->second.empty() ? rs.sources.erase(it) : std::next(it);
    }
  }
}

}  // namespace vigil::alertmanager
