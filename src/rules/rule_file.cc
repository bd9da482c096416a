#include "rules/rule_file.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/values.h"
#include "promql/parser.h"
#include "template/template.h"
#include "tsdb/labels.h"

namespace vigil::rules {
namespace {

// Collects errors with the file and line of the node they concern.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void Add(const YAML::Node& at, const std::string& message) {
    const YAML::Mark mark = at.Mark();
    if (mark.is_null()) {
      errors.push_back(file_ + ": " + message);
    } else {
      errors.push_back(file_ + ":" + std::to_string(mark.line + 1) + ": " + message);
    }
  }

  std::vector<std::string> errors;

 private:
  std::string file_;
};

bool ReadScalar(const YAML::Node& node, std::string* out) {
  if (node.IsNull()) {
    out->clear();
    return true;
  }
  if (!node.IsScalar()) return false;
  *out = node.Scalar();
  return true;
}

void ReadDuration(const YAML::Node& node, Millis* out, Problems* p) {
  std::string text;
  if (!ReadScalar(node, &text)) return p->Add(node, "expected a duration");
  auto d = config::ParseDuration(text);
  if (!d.ok()) return p->Add(node, "not a valid duration string: \"" + text + "\"");
  *out = *d;
}

void ReadStringMap(const YAML::Node& node, std::map<std::string, std::string>* out, Problems* p) {
  if (node.IsNull()) return;
  if (!node.IsMap()) return p->Add(node, "expected a map of names to strings");
  for (const auto& kv : node) {
    std::string value;
    if (!ReadScalar(kv.second, &value)) {
      p->Add(kv.second, "value of \"" + kv.first.Scalar() + "\" must be a string");
      continue;
    }
    (*out)[kv.first.Scalar()] = value;
  }
}

void ParseRule(const YAML::Node& node, RuleConfig* rule, Problems* p) {
  rule->line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  if (!node.IsMap()) return p->Add(node, "a rule must be a map");
  bool has_record = false, has_alert = false, has_for = false, has_keep = false, has_annotations = false;
  for (const auto& kv : node) {
    const std::string& key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "record" || key == "alert") {
      (key == "record" ? has_record : has_alert) = true;
      if (!ReadScalar(v, &rule->name)) p->Add(v, key + " must be a string");
    } else if (key == "expr") {
      if (!ReadScalar(v, &rule->expr)) p->Add(v, "expr must be a string");
    } else if (key == "for") {
      has_for = true;
      ReadDuration(v, &rule->for_duration, p);
    } else if (key == "keep_firing_for") {
      has_keep = true;
      ReadDuration(v, &rule->keep_firing_for, p);
    } else if (key == "labels") {
      ReadStringMap(v, &rule->labels, p);
    } else if (key == "annotations") {
      has_annotations = !v.IsNull();
      ReadStringMap(v, &rule->annotations, p);
    } else {
      p->Add(kv.first, "field " + key + " not found in type rulefmt.RuleNode");
    }
  }
  if (!has_record && !has_alert) return p->Add(node, "one of 'record' or 'alert' must be set");
  if (has_record && has_alert) return p->Add(node, "only one of 'record' and 'alert' must be set");
  rule->kind = has_record ? RuleConfig::Kind::kRecording : RuleConfig::Kind::kAlerting;
  const std::string what = (has_record ? "record \"" : "alert \"") + rule->name + "\": ";
  if (rule->expr.empty()) {
    p->Add(node, what + "field 'expr' must be set in rule");
  } else if (auto parsed = promql::ParseExpr(rule->expr); !parsed.ok()) {
    p->Add(node, what + "could not parse expression: " + parsed.status().message());
  }
  if (has_record) {
    if (rule->name.empty() || !tsdb::IsValidMetricName(rule->name)) {
      p->Add(node, what + "invalid recording rule name: " + rule->name);
    }
    if (has_annotations) p->Add(node, what + "invalid field 'annotations' in recording rule");
    if (has_for) p->Add(node, what + "invalid field 'for' in recording rule");
    if (has_keep) p->Add(node, what + "invalid field 'keep_firing_for' in recording rule");
  } else if (rule->name.empty() || !tsdb::IsValidUtf8(rule->name)) {
    p->Add(node, what + "invalid alert name: " + rule->name);
  }
  for (const auto& [name, value] : rule->labels) {
    if (!tsdb::IsValidLabelName(name)) p->Add(node, what + "invalid label name: " + name);
  }
  for (const auto& [name, value] : rule->annotations) {
    if (!tsdb::IsValidLabelName(name)) p->Add(node, what + "invalid annotation name: " + name);
  }
  // Templates must parse, as promtool checks them.
  if (!has_record) {
    for (const auto* fields : {&rule->labels, &rule->annotations}) {
      for (const auto& [name, value] : *fields) {
        if (auto t = tmpl::ParseRuleTemplate("__alert_" + rule->name, value); !t.ok()) {
          p->Add(node, what + t.status().message());
        }
      }
    }
  }
}

void ParseGroup(const YAML::Node& node, GroupConfig* group, Problems* p) {
  if (!node.IsMap()) return p->Add(node, "a group must be a map");
  for (const auto& kv : node) {
    const std::string& key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "name") {
      if (!ReadScalar(v, &group->name)) p->Add(v, "name must be a string");
    } else if (key == "interval") {
      ReadDuration(v, &group->interval, p);
    } else if (key == "limit") {
      std::string text;
      if (!ReadScalar(v, &text) || text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
        p->Add(v, "limit must be a non-negative integer");
      } else {
        group->limit = std::stoull(text);
      }
    } else if (key == "labels") {
      ReadStringMap(v, &group->labels, p);
    } else if (key == "rules") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) {
        p->Add(v, "rules must be a list");
        continue;
      }
      for (const auto& r : v) ParseRule(r, &group->rules.emplace_back(), p);
    } else if (key == "query_offset" || key == "concurrency" || key == "type" || key == "params" ||
               key == "headers" || key == "eval_offset" || key == "eval_delay") {
      // vmalert and newer Prometheus fields: accepted, not used.
    } else {
      p->Add(kv.first, "field " + key + " not found in type rulefmt.RuleGroup");
    }
  }
  if (group->name.empty()) p->Add(node, "Groupname must not be empty");
}

}  // namespace

ParsedRuleFile ParseRuleFile(const std::string& text, const std::string& file) {
  ParsedRuleFile out;
  Problems p(file);
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull() || !root.IsDefined()) return out;
    if (!root.IsMap()) {
      p.Add(root, "a rule file must be a map with `groups`");
    } else {
      std::set<std::string> names;
      for (const auto& kv : root) {
        const std::string& key = kv.first.Scalar();
        if (key != "groups") {
          p.Add(kv.first, "field " + key + " not found in type rulefmt.RuleGroups");
          continue;
        }
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsSequence()) {
          p.Add(kv.second, "groups must be a list");
          continue;
        }
        for (const auto& g : kv.second) {
          GroupConfig group;
          group.file = file;
          ParseGroup(g, &group, &p);
          if (!group.name.empty() && !names.insert(group.name).second) {
            p.Add(g, "groupname: \"" + group.name + "\" is repeated in the same file");
          }
          out.groups.push_back(std::move(group));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    p.errors.push_back(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  out.errors = std::move(p.errors);
  if (!out.errors.empty()) out.groups.clear();
  return out;
}

ParsedRuleFile LoadRuleFiles(const std::vector<std::string>& patterns) {
  ParsedRuleFile out;
  std::set<std::string> seen;
  for (const auto& pattern : patterns) {
    glob_t g{};
    int rc = glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> paths;
    if (rc == 0) paths.assign(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    globfree(&g);
    for (const auto& path : paths) {
      if (!seen.insert(path).second) continue;
      std::ifstream in(path);
      if (!in) {
        out.errors.push_back(path + ": cannot read file");
        continue;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      ParsedRuleFile one = ParseRuleFile(ss.str(), path);
      out.errors.insert(out.errors.end(), one.errors.begin(), one.errors.end());
      for (auto& group : one.groups) out.groups.push_back(std::move(group));
    }
  }
  return out;
}

}  // namespace vigil::rules
