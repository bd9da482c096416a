#pragma once
// Scrape targets: from a discovered label set to the labels a target's
// series carry and the URL it is scraped at, with Prometheus 2.42's rules
// (scrape.PopulateLabels and Target.URL).

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "relabel/relabel.h"
#include "scrape/scrape_config.h"
#include "tsdb/labels.h"

namespace vigil::scrape {

// Labels with special meaning for scraping.
inline constexpr std::string_view kAddressLabel = "__address__";
inline constexpr std::string_view kSchemeLabel = "__scheme__";
inline constexpr std::string_view kMetricsPathLabel = "__metrics_path__";
inline constexpr std::string_view kScrapeIntervalLabel = "__scrape_interval__";
inline constexpr std::string_view kScrapeTimeoutLabel = "__scrape_timeout__";
inline constexpr std::string_view kParamLabelPrefix = "__param_";
inline constexpr std::string_view kMetaLabelPrefix = "__meta_";

// One group of discovered targets (a static_configs entry, or one entry of a
// file_sd file): each target's own labels (at least __address__) and the
// labels common to the group. A target's own labels win over the group's.
struct TargetGroup {
  std::string source;  // where it came from, e.g. "/etc/targets/node.yml:0"
  std::vector<std::map<std::string, std::string>> targets;
  std::map<std::string, std::string> labels;

  bool operator==(const TargetGroup&) const = default;
};

// A target after relabeling.
struct Target {
  tsdb::Labels discovered;  // before relabeling, with the job's defaults added
  tsdb::Labels labels;      // after relabeling; keeps __address__, __scheme__, ... but no __meta_*
  std::string url;          // scheme://address/path?params
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds timeout{0};

  // The labels every series of the target carries: `labels` without the
  // ones starting with "__".
  tsdb::Labels PublicLabels() const;
  // Identity of the target within its job: equal for the same labels and URL.
  uint64_t Hash() const;
};

// What became of one discovered target.
struct PopulateResult {
  enum class Kind { kActive, kDropped, kError } kind = Kind::kDropped;
  Target target;      // kActive: the whole target; kDropped: only `discovered`
  std::string error;  // kError: why, e.g. "no address", as Prometheus says it
};

// Adds the job's defaults (job, __scheme__, __metrics_path__,
// __scrape_interval__, __scrape_timeout__, __param_<name> for every param)
// to `discovered` where it does not set them, applies `relabel`, then
// completes the target as Prometheus does: a missing port is inferred from
// the scheme (80/443), addresses with '/' are refused, interval and timeout
// are read back from their labels and checked, __meta_* labels are removed
// and `instance` defaults to the address.
PopulateResult PopulateTarget(const ScrapeConfig& job, const relabel::Relabeler& relabel,
                              const std::map<std::string, std::string>& discovered);

// All targets of `groups` for `job`, in discovery order.
std::vector<PopulateResult> PopulateTargets(const ScrapeConfig& job, const relabel::Relabeler& relabel,
                                            const std::vector<TargetGroup>& groups);

// The groups of a job's static_configs.
std::vector<TargetGroup> StaticGroups(const ScrapeConfig& job);

}  // namespace vigil::scrape
