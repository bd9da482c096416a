#pragma once
// RuleGroup: one group of recording and alerting rules evaluated together,
// with Prometheus 2.42's semantics (rules/group.go, rules/alerting.go,
// rules/recording.go):
//   - rules run in order at one timestamp; a later rule sees what earlier
//     ones appended only if the caller's queries read the store it appends to;
//   - a recording rule stores its result as `record` with the rule's labels;
//   - an alerting rule keeps one alert per label set: pending when first
//     seen, firing once it has been active for `for`, inactive (resolved)
//     when it disappears (after `keep_firing_for` if firing); resolved alerts
//     are kept 15 minutes so receivers learn they resolved; it writes
//     ALERTS{alertstate} = 1 and ALERTS_FOR_STATE = activeAt (seconds);
//   - series a rule produced in the previous evaluation but not in this one
//     get stale markers;
//   - an error (query failure, non-vector result, duplicate label sets, limit)
//     marks the rule unhealthy with lastError and skips its output only.
// Thread-compatible: the caller serialises Eval, TakeAlertsToSend and RuleStates.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "promql/value.h"
#include "rules/rule_file.h"
#include "tsdb/labels.h"
#include "tsdb/write_batch.h"

namespace vigil::rules {

// Evaluates `expr` at `ts_ms`: the instant vector (a scalar becomes one
// sample without labels), or an error whose message becomes lastError.
using QueryFn = std::function<Result<promql::Vector>(const std::string& expr, int64_t ts_ms)>;

// Expands a label or annotation template for one alert; the default
// returns the text unchanged.
struct TemplateInput {
  std::string_view name;  // e.g. "__alert_HighCPU"
  std::string_view text;
  const tsdb::Labels* labels;  // the alert's labels before rule labels are applied
  double value;
  int64_t ts_ms;
};
using ExpandFn = std::function<Result<std::string>(const TemplateInput& input)>;

enum class AlertState { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", "firing"

// One alert of an alerting rule.
struct Alert {
  tsdb::Labels labels;
  std::map<std::string, std::string> annotations;
  AlertState state = AlertState::kInactive;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t last_sent_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;
};

// An alert as notifiers send it (Prometheus' notifier.Alert).
struct OutgoingAlert {
  tsdb::Labels labels;
  std::map<std::string, std::string> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;
};

// How a rule did in its last evaluation.
struct RuleStatus {
  RuleConfig rule;
  std::string health = "unknown";  // "ok", "err" or "unknown"
  std::string last_error;
  int64_t last_evaluation_ms = 0;
  double evaluation_seconds = 0;
  std::vector<Alert> alerts;  // alerting rules: active (pending/firing) alerts
};

struct GroupOptions {
  Millis default_interval{std::chrono::seconds(10)};
  std::string external_url;  // for generatorURL
  ExpandFn expand;           // null: templates are returned as written
  // Loaded at start-up: alerting rules write no ALERTS / ALERTS_FOR_STATE
  // series until RestoreForState has run (as Prometheus), so that the
  // restore reads what was recorded before the restart.
  bool restore_pending = false;
};

class RuleGroup {
 public:
  RuleGroup(GroupConfig config, GroupOptions options);
  ~RuleGroup();

  const GroupConfig& config() const { return config_; }
  Millis interval() const;

  // Evaluates every rule at `ts_ms`, in order, handing each rule's output
  // (and stale markers) to `append` before the next rule runs, so that later
  // rules can read what earlier ones recorded, as in Prometheus.
  void Eval(int64_t ts_ms, const QueryFn& query, const std::function<void(const tsdb::WriteBatch&)>& append);

  // The alerts to notify at `ts_ms` (Prometheus' sendAlerts): firing alerts
  // not sent within `resend_delay` and alerts resolved since their last send.
  // Marks them sent.
  std::vector<OutgoingAlert> TakeAlertsToSend(int64_t ts_ms, Millis resend_delay);

  // Rule states for the API, in rule order.
  std::vector<RuleStatus> RuleStates() const;
  int64_t last_evaluation_ms() const { return last_evaluation_ms_; }
  double last_evaluation_seconds() const { return last_evaluation_seconds_; }

  // Finds the newest sample in [mint_ms, maxt_ms] of the series with exactly
  // `labels`; nullopt when there is none.
  using LatestSampleFn =
      std::function<std::optional<Sample>(const tsdb::Labels& labels, int64_t mint_ms, int64_t maxt_ms)>;

  // After the first evaluation following a restart, moves the activeAt of
  // each pending alert back to what ALERTS_FOR_STATE recorded before the
  // restart (looked back `outage_tolerance`), as Prometheus'
  // RestoreForState does: time already spent pending counts toward `for`,
  // the downtime does not, and an alert that would fire within
  // `grace_period` of the restart waits until the grace period has passed.
  void RestoreForState(int64_t ts_ms, const LatestSampleFn& latest, Millis outage_tolerance, Millis grace_period);

  // Takes over alerts and series bookkeeping of rules in `old` that are
  // unchanged in this group (same kind, name, expr, labels, annotations,
  // for), so that a reload neither restarts `for` nor re-notifies.
  void InheritStateFrom(RuleGroup& old);

 private:
  struct RuleState;

  Status EvalRecording(const RuleConfig& rule, const promql::Vector& result, int64_t ts_ms, RuleState& state,
                       tsdb::WriteBatch* out);
  Status EvalAlerting(const RuleConfig& rule, const promql::Vector& result, int64_t ts_ms, RuleState& state,
                      tsdb::WriteBatch* out);
  std::string Expand(std::string_view name, const std::string& text, const tsdb::Labels& labels, double value,
                     int64_t ts_ms, Status* error) const;

  GroupConfig config_;
  GroupOptions options_;
  std::vector<std::unique_ptr<RuleState>> states_;  // parallel to config_.rules
  int64_t last_evaluation_ms_ = 0;
  double last_evaluation_seconds_ = 0;
};

}  // namespace vigil::rules
