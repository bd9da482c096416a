#include "rules/rule_group.h"

#include <bit>
#include <chrono>

namespace vigil::rules {
namespace {

// How long a resolved alert is kept (and re-sent as resolved), as Prometheus.
constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

double StaleNaN() { return std::bit_cast<double>(uint64_t{0x7ff0000000000002ULL}); }

void AddSample(tsdb::WriteBatch* out, tsdb::Labels labels, int64_t ts_ms, double v) {
  Sample s{ts_ms, v};
  out->AddSeries(std::move(labels), std::span<const Sample>(&s, 1));
}

// The link Prometheus puts in generatorURL: the graph page for the expression.
std::string GeneratorUrl(const std::string& external_url, const std::string& expr) {
  std::string out = external_url + "/graph?g0.expr=";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : expr) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "&g0.tab=1";
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
    case AlertState::kInactive: break;
  }
  return "inactive";
}

// Per-rule state kept between evaluations.
struct RuleGroup::RuleState {
  RuleStatus status;
  std::unordered_map<uint64_t, tsdb::Labels> previous_series;  // for stale markers
  std::unordered_map<uint64_t, Alert> alerts;                  // alerting rules, by label hash
};

RuleGroup::RuleGroup(GroupConfig config, GroupOptions options)
    : config_(std::move(config)), options_(std::move(options)) {
  for (const auto& rule : config_.rules) {
    auto state = std::make_unique<RuleState>();
    state->status.rule = rule;
    states_.push_back(std::move(state));
  }
}

RuleGroup::~RuleGroup() = default;

Millis RuleGroup::interval() const {
  return config_.interval.count() > 0 ? config_.interval : options_.default_interval;
}

std::string RuleGroup::Expand(std::string_view name, const std::string& text, const tsdb::Labels& labels,
                              double value, int64_t ts_ms, Status* error) const {
  if (!options_.expand || text.find("{{") == std::string::npos) return text;
  auto expanded = options_.expand(TemplateInput{name, text, &labels, value, ts_ms});
  if (!expanded.ok()) {
    if (error->ok()) *error = expanded.status();
    return "<error expanding template: " + expanded.status().message() + ">";
  }
  return std::move(*expanded);
}

void RuleGroup::Eval(int64_t ts_ms, const QueryFn& query,
                     const std::function<void(const tsdb::WriteBatch&)>& append) {
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < config_.rules.size(); ++i) {
    const RuleConfig& rule = config_.rules[i];
    RuleState& state = *states_[i];
    const auto rule_start = std::chrono::steady_clock::now();
    Status st;
    tsdb::WriteBatch batch;
    batch.set_wait_for_sync(false);  // results are recomputed at the next evaluation
    auto result = query(rule.expr, ts_ms);
    if (!result.ok()) {
      st = result.status();
    } else if (rule.kind == RuleConfig::Kind::kRecording) {
      st = EvalRecording(rule, *result, ts_ms, state, &batch);
    } else {
      st = EvalAlerting(rule, *result, ts_ms, state, &batch);
    }
    if (batch.num_rows() > 0) append(batch);
    state.status.health = st.ok() ? "ok" : "err";
    state.status.last_error = st.ok() ? std::string() : st.message();
    state.status.last_evaluation_ms = ts_ms;
    state.status.evaluation_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - rule_start).count();
  }
  last_evaluation_ms_ = ts_ms;
  last_evaluation_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Status RuleGroup::EvalRecording(const RuleConfig& rule, const promql::Vector& result, int64_t ts_ms,
                                RuleState& state, tsdb::WriteBatch* out) {
  std::unordered_map<uint64_t, tsdb::Labels> current;
  std::vector<tsdb::Labels> series;
  for (const auto& sample : result) {
    tsdb::LabelsBuilder b(sample.metric);
    b.Set(tsdb::kMetricNameLabel, rule.name);
    for (const auto& [name, value] : config_.labels) b.Set(name, value);
    for (const auto& [name, value] : rule.labels) b.Set(name, value);
    tsdb::Labels labels = b.Build();
    if (!current.emplace(labels.Hash(), labels).second) {
      return Status::InvalidArgument("vector contains metrics with the same labelset after applying rule labels");
    }
    series.push_back(std::move(labels));
  }
  if (config_.limit != 0 && series.size() > config_.limit) {
    return Status::ResourceExhausted("exceeded limit of " + std::to_string(config_.limit) + " with " +
                                     std::to_string(series.size()) + " series");
  }
  for (size_t i = 0; i < series.size(); ++i) AddSample(out, series[i], ts_ms, result[i].v);
  for (const auto& [hash, labels] : state.previous_series) {
    if (current.count(hash) == 0) AddSample(out, labels, ts_ms, StaleNaN());
  }
  state.previous_series = std::move(current);
  return Status::Ok();
}

Status RuleGroup::EvalAlerting(const RuleConfig& rule, const promql::Vector& result, int64_t ts_ms,
                               RuleState& state, tsdb::WriteBatch* out) {
  Status template_error;
  std::unordered_map<uint64_t, Alert> seen;
  for (const auto& sample : result) {
    tsdb::LabelsBuilder b(sample.metric);
    b.Del(tsdb::kMetricNameLabel);
    const std::string template_name = "__alert_" + rule.name;
    for (const auto& [name, value] : config_.labels) b.Set(name, value);
    for (const auto& [name, value] : rule.labels) {
      b.Set(name, Expand(template_name, value, sample.metric, sample.v, ts_ms, &template_error));
    }
    b.Set("alertname", rule.name);
    Alert alert;
    alert.labels = b.Build();
    for (const auto& [name, value] : rule.annotations) {
      alert.annotations[name] = Expand(template_name, value, sample.metric, sample.v, ts_ms, &template_error);
    }
    alert.state = AlertState::kPending;
    alert.active_at_ms = ts_ms;
    alert.value = sample.v;
    const uint64_t hash = alert.labels.Hash();
    if (!seen.emplace(hash, std::move(alert)).second) {
      return Status::InvalidArgument("vector contains metrics with the same labelset after applying alert labels");
    }
  }
  for (auto& [hash, fresh] : seen) {
    auto it = state.alerts.find(hash);
    if (it != state.alerts.end() && it->second.state != AlertState::kInactive) {
      it->second.value = fresh.value;
      it->second.annotations = std::move(fresh.annotations);
      continue;
    }
    state.alerts[hash] = std::move(fresh);
  }
  size_t active = 0;
  std::unordered_map<uint64_t, tsdb::Labels> written;
  for (auto it = state.alerts.begin(); it != state.alerts.end();) {
    Alert& a = it->second;
    if (seen.count(it->first) == 0) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && rule.keep_firing_for.count() > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = ts_ms;
        keep_firing = ts_ms - a.keep_firing_since_ms < rule.keep_firing_for.count();
      }
      if (!keep_firing) {
        if (a.state == AlertState::kPending ||
            (a.resolved_at_ms != 0 && ts_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
          it = state.alerts.erase(it);
          continue;
        }
        if (a.state != AlertState::kInactive) {
          a.state = AlertState::kInactive;
          a.resolved_at_ms = ts_ms;
        }
        ++it;
        continue;
      }
    } else if (a.state != AlertState::kInactive && rule.keep_firing_for.count() > 0) {
      a.keep_firing_since_ms = 0;
    }
    ++active;
    if (a.state == AlertState::kPending && ts_ms - a.active_at_ms >= rule.for_duration.count()) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts_ms;
    }
    if (options_.restore_pending) {
      ++it;
      continue;
    }
    tsdb::LabelsBuilder alerts_series(a.labels);
    alerts_series.Set(tsdb::kMetricNameLabel, "ALERTS");
    alerts_series.Set("alertstate", AlertStateName(a.state));
    tsdb::LabelsBuilder for_state(a.labels);
    for_state.Set(tsdb::kMetricNameLabel, "ALERTS_FOR_STATE");
    for (tsdb::Labels labels : {alerts_series.Build(), for_state.Build()}) {
      const double v = labels.MetricName() == "ALERTS" ? 1.0 : double(a.active_at_ms / 1000);
      AddSample(out, labels, ts_ms, v);
      const uint64_t h = labels.Hash();
      written.emplace(h, std::move(labels));
    }
    ++it;
  }
  if (config_.limit != 0 && active > config_.limit) {
    state.alerts.clear();
    return Status::ResourceExhausted("exceeded limit of " + std::to_string(config_.limit) + " with " +
                                     std::to_string(active) + " alerts");
  }
  for (const auto& [hash, labels] : state.previous_series) {
    if (written.count(hash) == 0) AddSample(out, labels, ts_ms, StaleNaN());
  }
  state.previous_series = std::move(written);
  return template_error;
}

std::vector<OutgoingAlert> RuleGroup::TakeAlertsToSend(int64_t ts_ms, Millis resend_delay) {
  std::vector<OutgoingAlert> out;
  const int64_t delta = std::max(resend_delay.count(), interval().count());
  for (size_t i = 0; i < config_.rules.size(); ++i) {
    if (config_.rules[i].kind != RuleConfig::Kind::kAlerting) continue;
    for (auto& [hash, a] : states_[i]->alerts) {
      if (a.state == AlertState::kPending) continue;
      const bool resolved_since_sent = a.resolved_at_ms > a.last_sent_ms;
      const bool never_sent = a.last_sent_ms == 0;
      if (!never_sent && !resolved_since_sent && a.last_sent_ms + resend_delay.count() >= ts_ms) continue;
      a.last_sent_ms = ts_ms;
      a.valid_until_ms = ts_ms + 4 * delta;
      OutgoingAlert o;
      o.labels = a.labels;
      o.annotations = a.annotations;
      o.starts_at_ms = a.fired_at_ms;
      o.ends_at_ms = a.resolved_at_ms != 0 ? a.resolved_at_ms : a.valid_until_ms;
      o.generator_url = GeneratorUrl(options_.external_url, config_.rules[i].expr);
      out.push_back(std::move(o));
    }
  }
  return out;
}

std::vector<RuleStatus> RuleGroup::RuleStates() const {
  std::vector<RuleStatus> out;
  for (const auto& state : states_) {
    RuleStatus s = state->status;
    for (const auto& [hash, a] : state->alerts) {
      if (a.state != AlertState::kInactive) s.alerts.push_back(a);
    }
    out.push_back(std::move(s));
  }
  return out;
}

void RuleGroup::RestoreForState(int64_t ts_ms, const LatestSampleFn& latest, Millis outage_tolerance,
                                Millis grace_period) {
  options_.restore_pending = false;
  for (size_t i = 0; i < config_.rules.size(); ++i) {
    const RuleConfig& rule = config_.rules[i];
    if (rule.kind != RuleConfig::Kind::kAlerting || rule.for_duration.count() == 0) continue;
    const int64_t hold = rule.for_duration.count();
    for (auto& [hash, a] : states_[i]->alerts) {
      if (a.state != AlertState::kPending) continue;
      tsdb::LabelsBuilder b(a.labels);
      b.Set(tsdb::kMetricNameLabel, "ALERTS_FOR_STATE");
      std::optional<Sample> last = latest(b.Build(), ts_ms - outage_tolerance.count(), ts_ms);
      if (!last) continue;
      // Prometheus works in whole seconds here.
      const int64_t down_at = last->timestamp_ms / 1000 * 1000;
      int64_t active_at = int64_t(last->value) * 1000;
      const int64_t spent = down_at - active_at;
      const int64_t remaining = hold - spent;
      if (remaining <= 0) {
        // It would have fired already: keep the old activeAt.
      } else if (remaining < grace_period.count()) {
        active_at = ts_ms + grace_period.count() - hold;
      } else {
        active_at += ts_ms - down_at;
      }
      a.active_at_ms = active_at;
    }
  }
}

void RuleGroup::InheritStateFrom(RuleGroup& old) {
  for (size_t i = 0; i < config_.rules.size(); ++i) {
    const RuleConfig& rule = config_.rules[i];
    for (size_t j = 0; j < old.config_.rules.size(); ++j) {
      const RuleConfig& was = old.config_.rules[j];
      if (was.kind != rule.kind || was.name != rule.name || was.expr != rule.expr || was.labels != rule.labels ||
          was.annotations != rule.annotations || was.for_duration != rule.for_duration) {
        continue;
      }
      RuleState& from = *old.states_[j];
      RuleState& to = *states_[i];
      to.alerts = std::move(from.alerts);
      to.previous_series = std::move(from.previous_series);
      to.status.health = from.status.health;
      to.status.last_error = from.status.last_error;
      to.status.last_evaluation_ms = from.status.last_evaluation_ms;
      to.status.evaluation_seconds = from.status.evaluation_seconds;
      break;
    }
  }
}

}  // namespace vigil::rules
