#include "probe/probe_output.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/time_format.h"

namespace vigil::probe {
namespace {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelText(std::string_view label, std::string_view value) {
  std::string out;
  out += label;
  out += "=\"";
  out += EscapeLabelValue(value);
  out += '"';
  return out;
}

// logfmt value: quoted when it has spaces, quotes, '=' or is empty.
std::string LogValue(std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) quote = true;
  }
  if (!quote) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string NowRfc3339Nano() {
  auto now = std::chrono::system_clock::now();
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::string ms = FormatRfc3339Millis(ns / 1000000);  // "2026-11-27T10:50:14.964Z"
  char frac[16];
  std::snprintf(frac, sizeof frac, "%09lld", static_cast<long long>(ns % 1000000000));
  auto dot = ms.find('.');
  if (dot == std::string::npos) return ms;
  return ms.substr(0, dot + 1) + frac + "Z";
}

}  // namespace

double& ProbeMetrics::Slot(std::string_view name, std::string_view help, const std::string& labels) {
  Family& f = families_[std::string(name)];
  if (f.help.empty()) f.help = std::string(help);
  return f.series[labels];
}

void ProbeMetrics::Set(std::string_view name, std::string_view help, double value) { Slot(name, help, "") = value; }
void ProbeMetrics::Add(std::string_view name, std::string_view help, double delta) { Slot(name, help, "") += delta; }

void ProbeMetrics::SetLabeled(std::string_view name, std::string_view help, std::string_view label,
                              std::string_view label_value, double value) {
  Slot(name, help, LabelText(label, label_value)) = value;
}

void ProbeMetrics::AddLabeled(std::string_view name, std::string_view help, std::string_view label,
                              std::string_view label_value, double delta) {
  Slot(name, help, LabelText(label, label_value)) += delta;
}

void ProbeMetrics::SetMulti(std::string_view name, std::string_view help,
                            const std::vector<std::pair<std::string, std::string>>& labels, double value) {
  std::string text;
  for (const auto& [k, v] : labels) {
    if (!text.empty()) text += ',';
    text += LabelText(k, v);
  }
  Slot(name, help, text) = value;
}

double ProbeMetrics::Get(std::string_view name) const {
  auto it = families_.find(std::string(name));
  if (it == families_.end()) return 0;
  auto s = it->second.series.find("");
  return s == it->second.series.end() ? 0 : s->second;
}

std::string ProbeMetrics::Render() const {
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, value] : f.series) {
      out += name;
      if (!labels.empty()) out += "{" + labels + "}";
      out += ' ';
      out += FormatGoFloat(value);
      out += '\n';
    }
  }
  return out;
}


void ProbeLog::Line(std::string_view level, std::string_view msg,
                    const std::vector<std::pair<std::string, std::string>>& kv) {
  text_ += "ts=" + NowRfc3339Nano() + " module=" + LogValue(module_) + " target=" + LogValue(target_) +
           " level=" + std::string(level) + " msg=" + LogValue(msg);
  for (const auto& [k, v] : kv) text_ += " " + k + "=" + LogValue(v);
  text_ += '\n';
}

void ProbeLog::Info(std::string_view msg, const std::vector<std::pair<std::string, std::string>>& kv) {
  Line("info", msg, kv);
}

void ProbeLog::Error(std::string_view msg, const std::vector<std::pair<std::string, std::string>>& kv) {
  Line("error", msg, kv);
  last_error_ = std::string(msg);
  for (const auto& [k, v] : kv) {
    if (k == "err") last_error_ += ": " + v;
  }
}

}  // namespace vigil::probe
