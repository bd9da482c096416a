#pragma once
// What one probe produces: gauges in blackbox_exporter's names, a log of the
// steps taken (for `debug=true`), and the verdict.
//
// ProbeMetrics renders the Prometheus text format the way Go's client
// library does (families sorted by name, HELP and TYPE lines, floats in Go's
// shortest %g form), so a scrape of Vigil and of blackbox_exporter look alike.
//
// Thread-safety: none; one probe owns its output.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/go_format.h"

namespace vigil::probe {

class ProbeMetrics {
 public:
  // Sets the unlabelled gauge `name` (registering it with `help` on first use).
  void Set(std::string_view name, std::string_view help, double value);
  // Adds `delta` to the unlabelled gauge `name`.
  void Add(std::string_view name, std::string_view help, double delta);
  // Sets gauge `name{label="label_value"}`.
  void SetLabeled(std::string_view name, std::string_view help, std::string_view label,
                  std::string_view label_value, double value);
  // Adds to gauge `name{label="label_value"}`.
  void AddLabeled(std::string_view name, std::string_view help, std::string_view label,
                  std::string_view label_value, double delta);
  // Sets a gauge with several labels (label names sorted by the caller).
  void SetMulti(std::string_view name, std::string_view help,
                const std::vector<std::pair<std::string, std::string>>& labels, double value);

  // Whether gauge family `name` exists.
  bool Has(std::string_view name) const { return families_.count(std::string(name)) > 0; }
  // Value of an unlabelled gauge, 0 when absent (for tests and logs).
  double Get(std::string_view name) const;

  // Prometheus text exposition format 0.0.4.
  std::string Render() const;

 private:
  struct Family {
    std::string help;
    std::map<std::string, double> series;  // rendered label set -> value
  };
  double& Slot(std::string_view name, std::string_view help, const std::string& labels);
  std::map<std::string, Family> families_;
};

// Floats in the output are printed as Go prints them.
using vigil::FormatGoFloat;

// The probe's log for debug output, in blackbox_exporter's logfmt shape.
class ProbeLog {
 public:
  ProbeLog(std::string module, std::string target) : module_(std::move(module)), target_(std::move(target)) {}
  // Appends one line: level, msg and key=value pairs (values quoted as needed).
  void Info(std::string_view msg, const std::vector<std::pair<std::string, std::string>>& kv = {});
  void Error(std::string_view msg, const std::vector<std::pair<std::string, std::string>>& kv = {});
  const std::string& text() const { return text_; }
  // The last error message logged, "" when none (for the component's log).
  const std::string& last_error() const { return last_error_; }

 private:
  void Line(std::string_view level, std::string_view msg, const std::vector<std::pair<std::string, std::string>>& kv);
  std::string module_;
  std::string target_;
  std::string text_;
  std::string last_error_;
};

// Everything a finished probe hands back.
struct ProbeOutcome {
  bool success = false;
  ProbeMetrics metrics;  // prober metrics, then probe_success and probe_duration_seconds
  std::string log;
};

}  // namespace vigil::probe
