#pragma once
// Rendering of rule and alert state: Prometheus 2.42's /api/v1/rules and
// /api/v1/alerts JSON (the `data` object) and vmalert-style HTML pages.

#include <string>
#include <vector>

#include "rules/rule_group.h"

namespace vigil::rules {

// A group's state at one moment, for rendering.
struct GroupSnapshot {
  std::string name;
  std::string file;
  double interval_seconds = 0;
  uint64_t limit = 0;
  int64_t last_evaluation_ms = 0;
  double evaluation_seconds = 0;
  std::vector<RuleStatus> rules;
};

// {"groups":[...]} with `type` "alerting"|"recording" filtering when
// `type` is not empty.
std::string RulesJson(const std::vector<GroupSnapshot>& groups, const std::string& type);

// {"alerts":[...]}: every pending and firing alert.
std::string AlertsJson(const std::vector<GroupSnapshot>& groups);

// HTML pages listing groups with their rules, and the active alerts.
std::string GroupsHtml(const std::vector<GroupSnapshot>& groups);
std::string AlertsHtml(const std::vector<GroupSnapshot>& groups);

}  // namespace vigil::rules
