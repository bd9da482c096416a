#include "scrape/targets_api.h"

#include "base/html.h"
#include "base/json.h"
#include "base/time_format.h"
#include "config/values.h"

namespace vigil::scrape {
namespace {

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->push_back(',');
  json::AppendString(out, name);
  out->push_back(':');
  json::AppendString(out, value);
}

}  // namespace

std::string TargetsJson(const TargetsSnapshot& snapshot, std::string_view state, std::string_view pool) {
  const bool any = state.empty() || state == "any";
  const bool show_active = any || state == "active";
  const bool show_dropped = any || state == "dropped";
  std::string out = "{\"activeTargets\":[";
  bool first = true;
  if (show_active) {
    for (const auto& t : snapshot.active) {
      if (!pool.empty() && t.scrape_pool != pool) continue;
      if (!first) out.push_back(',');
      first = false;
      out += "{\"discoveredLabels\":";
      json::AppendStringObject(&out, t.discovered);
      out += ",\"labels\":";
      json::AppendStringObject(&out, t.labels);
      AppendField(&out, "scrapePool", t.scrape_pool);
      AppendField(&out, "scrapeUrl", t.scrape_url);
      AppendField(&out, "globalUrl", t.scrape_url);
      AppendField(&out, "lastError", t.last_error);
      AppendField(&out, "lastScrape", FormatRfc3339Millis(t.last_scrape_ms));
      out += ",\"lastScrapeDuration\":";
      json::AppendNumber(&out, t.last_scrape_duration);
      AppendField(&out, "health", t.health);
      AppendField(&out, "scrapeInterval", config::FormatDuration(t.interval));
      AppendField(&out, "scrapeTimeout", config::FormatDuration(t.timeout));
      out.push_back('}');
    }
  }
  out += "],\"droppedTargets\":[";
  first = true;
  if (show_dropped) {
    for (const auto& t : snapshot.dropped) {
      if (!pool.empty() && t.scrape_pool != pool) continue;
      if (!first) out.push_back(',');
      first = false;
      out += "{\"discoveredLabels\":";
      json::AppendStringObject(&out, t.discovered);
      out.push_back('}');
    }
  }
  out += "]}";
  return out;
}

std::string MetadataJson(const MetadataMap& metadata, std::string_view metric, int64_t limit) {
  std::string out = "{";
  int64_t n = 0;
  for (const auto& [family, entries] : metadata) {
    if (!metric.empty() && family != metric) continue;
    if (limit > 0 && n >= limit) break;
    if (n++ > 0) out.push_back(',');
    json::AppendString(&out, family);
    out += ":[";
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out.push_back(',');
      out += "{\"type\":";
      json::AppendString(&out, entries[i].type);
      out += ",\"help\":";
      json::AppendString(&out, entries[i].help);
      out += ",\"unit\":";
      json::AppendString(&out, entries[i].unit);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

std::string TargetsHtml(const TargetsSnapshot& snapshot) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Targets - Vigil</title>\n"
      "<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
      ".up{color:#1a7f37}.down{color:#cf222e}.unknown{color:#777}</style></head><body>\n<h1>Targets</h1>\n";
  std::string current_pool;
  bool open = false;
  size_t up = 0;
  for (const auto& t : snapshot.active) up += t.health == "up" ? 1 : 0;
  out += "<p>" + std::to_string(up) + " of " + std::to_string(snapshot.active.size()) + " targets up, " +
         std::to_string(snapshot.dropped.size()) + " dropped.</p>\n";
  for (const auto& t : snapshot.active) {
    if (!open || t.scrape_pool != current_pool) {
      if (open) out += "</table>\n";
      current_pool = t.scrape_pool;
      open = true;
      out += "<h2>";
      html::AppendEscaped(&out, current_pool);
      out += "</h2>\n<table><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th>"
             "<th>Duration</th><th>Error</th></tr>\n";
    }
    out += "<tr><td><a href=\"";
    html::AppendEscaped(&out, t.scrape_url);
    out += "\">";
    html::AppendEscaped(&out, t.scrape_url);
    out += "</a></td><td class=\"" + t.health + "\">" + t.health + "</td><td>";
    html::AppendEscaped(&out, t.labels.ToString());
    out += "</td><td>";
    out += t.last_scrape_ms == 0 ? std::string("never") : FormatRfc3339Millis(t.last_scrape_ms);
    char dur[32];
    std::snprintf(dur, sizeof(dur), "%.3fs", t.last_scrape_duration);
    out += "</td><td>";
    out += dur;
    out += "</td><td>";
    html::AppendEscaped(&out, t.last_error);
    out += "</td></tr>\n";
  }
  if (open) out += "</table>\n";
  out += "</body></html>\n";
  return out;
}

}  // namespace vigil::scrape
