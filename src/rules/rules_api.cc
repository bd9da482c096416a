#include "rules/rules_api.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/html.h"
#include "base/json.h"
#include "base/time_format.h"

namespace vigil::rules {
namespace {

// Go's strconv.FormatFloat(v, 'e', -1, 64), which Prometheus uses for alert values.
std::string FormatValueE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  for (int precision = 0; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void AppendAlert(std::string* out, const Alert& a) {
  *out += "{\"labels\":";
  json::AppendStringObject(out, a.labels);
  *out += ",\"annotations\":";
  json::AppendStringObject(out, a.annotations);
  *out += ",\"state\":";
  json::AppendString(out, AlertStateName(a.state));
  *out += ",\"activeAt\":";
  json::AppendString(out, FormatRfc3339Millis(a.active_at_ms));
  *out += ",\"value\":";
  json::AppendString(out, FormatValueE(a.value));
  out->push_back('}');
}

AlertState RuleState(const RuleStatus& r) {
  AlertState s = AlertState::kInactive;
  for (const auto& a : r.alerts) {
    if (a.state == AlertState::kFiring) return AlertState::kFiring;
    if (a.state == AlertState::kPending) s = AlertState::kPending;
  }
  return s;
}

constexpr char kHtmlHead[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s - Vigil</title>\n"
    "<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;width:100%%;margin-bottom:1.5em}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0;white-space:pre-wrap}"
    ".firing,.err{color:#cf222e}.pending{color:#9a6700}.ok,.inactive{color:#1a7f37}</style></head><body>\n"
    "<p><a href=\"/vmalert/groups\">Groups</a> | <a href=\"/vmalert/alerts\">Alerts</a></p>\n";

std::string Head(const char* title) {
  char buf[sizeof(kHtmlHead) + 64];
  std::snprintf(buf, sizeof(buf), kHtmlHead, title);
  return buf;
}

}  // namespace

std::string RulesJson(const std::vector<GroupSnapshot>& groups, const std::string& type) {
  std::string out = "{\"groups\":[";
  for (size_t g = 0; g < groups.size(); ++g) {
    const GroupSnapshot& group = groups[g];
    if (g) out.push_back(',');
    out += "{\"name\":";
    json::AppendString(&out, group.name);
    out += ",\"file\":";
    json::AppendString(&out, group.file);
    out += ",\"rules\":[";
    bool first = true;
    for (const auto& r : group.rules) {
      const bool alerting = r.rule.kind == RuleConfig::Kind::kAlerting;
      if ((type == "alert" && !alerting) || (type == "record" && alerting)) continue;
      if (!first) out.push_back(',');
      first = false;
      out.push_back('{');
      if (alerting) {
        out += "\"state\":";
        json::AppendString(&out, AlertStateName(RuleState(r)));
        out += ",";
      }
      out += "\"name\":";
      json::AppendString(&out, r.rule.name);
      out += ",\"query\":";
      json::AppendString(&out, r.rule.expr);
      if (alerting) {
        out += ",\"duration\":";
        json::AppendNumber(&out, double(r.rule.for_duration.count()) / 1000);
        out += ",\"keepFiringFor\":";
        json::AppendNumber(&out, double(r.rule.keep_firing_for.count()) / 1000);
      }
      out += ",\"labels\":";
      json::AppendStringObject(&out, r.rule.labels);
      if (alerting) {
        out += ",\"annotations\":";
        json::AppendStringObject(&out, r.rule.annotations);
        out += ",\"alerts\":[";
        for (size_t i = 0; i < r.alerts.size(); ++i) {
          if (i) out.push_back(',');
          AppendAlert(&out, r.alerts[i]);
        }
        out += "]";
      }
      out += ",\"health\":";
      json::AppendString(&out, r.health);
      out += ",\"lastError\":";
      json::AppendString(&out, r.last_error);
      out += ",\"evaluationTime\":";
      json::AppendNumber(&out, r.evaluation_seconds);
      out += ",\"lastEvaluation\":";
      json::AppendString(&out, FormatRfc3339Millis(r.last_evaluation_ms));
      out += ",\"type\":";
      json::AppendString(&out, alerting ? "alerting" : "recording");
      out.push_back('}');
    }
    out += "],\"interval\":";
    json::AppendNumber(&out, group.interval_seconds);
    out += ",\"limit\":" + std::to_string(group.limit) + ",\"evaluationTime\":";
    json::AppendNumber(&out, group.evaluation_seconds);
    out += ",\"lastEvaluation\":";
    json::AppendString(&out, FormatRfc3339Millis(group.last_evaluation_ms));
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string AlertsJson(const std::vector<GroupSnapshot>& groups) {
  std::string out = "{\"alerts\":[";
  bool first = true;
  for (const auto& group : groups) {
    for (const auto& r : group.rules) {
      for (const auto& a : r.alerts) {
        if (!first) out.push_back(',');
        first = false;
        AppendAlert(&out, a);
      }
    }
  }
  out += "]}";
  return out;
}

std::string GroupsHtml(const std::vector<GroupSnapshot>& groups) {
  std::string out = Head("Groups") + "<h1>Groups</h1>\n";
  for (const auto& g : groups) {
    out += "<h2>";
    html::AppendEscaped(&out, g.name);
    out += "</h2>\n<p>";
    html::AppendEscaped(&out, g.file);
    char line[128];
    std::snprintf(line, sizeof(line), " &middot; every %gs &middot; last evaluation took %.3fs", g.interval_seconds,
                  g.evaluation_seconds);
    out += line;
    out += "</p>\n<table><tr><th>Rule</th><th>Query</th><th>Health</th><th>Error</th></tr>\n";
    for (const auto& r : g.rules) {
      out += "<tr><td>";
      out += r.rule.kind == RuleConfig::Kind::kAlerting ? "alert: " : "record: ";
      html::AppendEscaped(&out, r.rule.name);
      out += "</td><td><pre>";
      html::AppendEscaped(&out, r.rule.expr);
      out += "</pre></td><td class=\"" + r.health + "\">" + r.health + "</td><td>";
      html::AppendEscaped(&out, r.last_error);
      out += "</td></tr>\n";
    }
    out += "</table>\n";
  }
  return out + "</body></html>\n";
}

std::string AlertsHtml(const std::vector<GroupSnapshot>& groups) {
  std::string out = Head("Alerts") + "<h1>Alerts</h1>\n<table><tr><th>Alert</th><th>State</th><th>Labels</th>"
                                     "<th>Active since</th><th>Value</th><th>Annotations</th></tr>\n";
  for (const auto& g : groups) {
    for (const auto& r : g.rules) {
      for (const auto& a : r.alerts) {
        out += "<tr><td>";
        html::AppendEscaped(&out, r.rule.name);
        std::string state(AlertStateName(a.state));
        out += "</td><td class=\"" + state + "\">" + state + "</td><td>";
        html::AppendEscaped(&out, a.labels.ToString());
        out += "</td><td>" + FormatRfc3339Millis(a.active_at_ms) + "</td><td>" + FormatValueE(a.value) + "</td><td>";
        for (const auto& [k, v] : a.annotations) {
          html::AppendEscaped(&out, k);
          out += ": ";
          html::AppendEscaped(&out, v);
          out += "<br>";
        }
        out += "</td></tr>\n";
      }
    }
  }
  return out + "</table></body></html>\n";
}

}  // namespace vigil::rules
