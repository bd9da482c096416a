#include "alertmanager/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "alertmanager/alert_store.h"
#include "alertmanager/inhibitor.h"
#include "alertmanager/notification_log.h"
#include "alertmanager/silences.h"
#include "base/log.h"

namespace vigil::alertmanager {

struct Dispatcher::ReceiverIntegrations {
  std::vector<std::unique_ptr<Integration>> list;
};

struct Dispatcher::Group {
  std::shared_ptr<const AmConfig> config;  // keeps `route` alive
  const Route* route = nullptr;
  LabelSet labels;
  std::string key;  // Alertmanager's groupKey: route key + ":" + labels
  std::unordered_map<uint64_t, Alert> alerts;
  int64_t next_flush = 0;
  bool flushing = false;
  bool has_flushed = false;
  bool removed = false;  // dropped from groups_ (config change)
};

namespace {

std::chrono::system_clock::time_point ToTimePoint(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

LabelSet GroupLabels(const RouteOptions& opts, const LabelSet& labels) {
  if (opts.group_by_all) return labels;
  LabelSet out;
  for (const auto& name : opts.group_by) {
    auto it = labels.find(name);
    if (it != labels.end()) out.emplace(name, it->second);
  }
  return out;
}

bool IntervalsMute(const AmConfig& cfg, const RouteOptions& opts, int64_t now) {
  for (const auto& name : opts.mute_time_intervals) {
    auto it = cfg.time_intervals.find(name);
    if (it != cfg.time_intervals.end() && it->second.Contains(now)) return true;
  }
  if (opts.active_time_intervals.empty()) return false;
  for (const auto& name : opts.active_time_intervals) {
    auto it = cfg.time_intervals.find(name);
    if (it != cfg.time_intervals.end() && it->second.Contains(now)) return false;
  }
  return true;
}

// Alertmanager orders notification alerts by job, instance, then start.
bool AlertLess(const Alert& a, const Alert& b) {
  for (const char* name : {"job", "instance"}) {
    auto ai = a.labels.find(name), bi = b.labels.find(name);
    std::string av = ai == a.labels.end() ? "" : ai->second;
    std::string bv = bi == b.labels.end() ? "" : bi->second;
    if (av != bv) return av < bv;
  }
  if (a.starts_at != b.starts_at) return a.starts_at < b.starts_at;
  return a.fingerprint < b.fingerprint;
}

}  // namespace

Dispatcher::Dispatcher(DispatcherDeps deps) : deps_(std::move(deps)) {
  auto& reg = *deps_.registry;
  notifications_total_ = &reg.AddCounterFamily("alertmanager_notifications_total",
                                               "The total number of attempted notifications.", {"integration"});
  notifications_failed_ = &reg.AddCounterFamily("alertmanager_notifications_failed_total",
                                                "The total number of failed notifications.", {"integration"});
  requests_total_ = &reg.AddCounterFamily("alertmanager_notification_requests_total",
                                          "The total number of attempted notification requests.", {"integration"});
  latency_ = &reg.AddHistogramFamily("alertmanager_notification_latency_seconds",
                                     "The latency of notifications in seconds.", {"integration"},
                                     {1, 5, 10, 15, 20});
  for (const char* kind : {"webhook", "email"}) {
    notifications_total_->WithLabels({kind});
    notifications_failed_->WithLabels({kind});
  }
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  timer_ = std::thread([this] { TimerLoop(); });
  for (int i = 0; i < std::max(1, deps_.flush_threads); ++i) flushers_.emplace_back([this] { FlushLoop(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  timer_cv_.notify_all();
  work_cv_.notify_all();
  stop_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& t : flushers_) t.join();
  flushers_.clear();
}

void Dispatcher::SetConfig(std::shared_ptr<const AmConfig> config) {
  std::vector<Alert> alerts;
  deps_.alerts->ForEach([&](const Alert& a) { alerts.push_back(a); });
  std::lock_guard lock(mu_);
  config_ = std::move(config);
  integrations_.clear();
  for (const auto& r : config_->receivers) {
    auto ri = std::make_shared<ReceiverIntegrations>();
    ri->list = BuildIntegrations(r, deps_.http, config_->notification_templates);
    integrations_[r.name] = std::move(ri);
  }
  // Groups are rebuilt: a group whose key survives keeps its timers.
  auto old = std::move(groups_);
  groups_.clear();
  int64_t now = NowMs();
  for (const auto& a : alerts) {
    if (a.Resolved(now)) continue;
    AddLocked(a, now);
  }
  for (auto& [id, g] : groups_) {
    for (const auto& [oid, og] : old) {
      if (og->key == g->key) {
        g->has_flushed = og->has_flushed;
        g->next_flush = og->next_flush;
        break;
      }
    }
  }
  for (auto& [id, g] : old) g->removed = true;
  timer_cv_.notify_all();
}

std::shared_ptr<const AmConfig> Dispatcher::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

void Dispatcher::Add(const Alert& a) {
  std::lock_guard lock(mu_);
  AddLocked(a, NowMs());
}

void Dispatcher::AddLocked(const Alert& a, int64_t now) {
  if (!config_ || !config_->route) return;
  std::vector<const Route*> routes;
  config_->route->Match(a.labels, &routes);
  for (const Route* r : routes) {
    LabelSet labels = GroupLabels(r->opts, a.labels);
    std::string id = r->Id();
    id += ':';
    id += LabelSetString(labels);
    auto it = groups_.find(id);
    if (it == groups_.end()) {
      auto g = std::make_shared<Group>();
      g->config = config_;
      g->route = r;
      g->labels = std::move(labels);
      g->key = r->Key() + ":" + LabelSetString(g->labels);
      g->next_flush = now + r->opts.group_wait_ms;
      it = groups_.emplace(id, std::move(g)).first;
      timer_cv_.notify_all();
    }
    Group& g = *it->second;
    g.alerts[a.fingerprint] = a;
    // An alert that started longer than group_wait ago need not wait.
    if (!g.has_flushed && a.starts_at + r->opts.group_wait_ms < now && g.next_flush > now) {
      g.next_flush = now;
      timer_cv_.notify_all();
    }
  }
}

std::vector<std::string> Dispatcher::ReceiversFor(const LabelSet& labels) const {
  std::shared_ptr<const AmConfig> cfg = config();
  std::vector<std::string> out;
  if (!cfg || !cfg->route) return out;
  std::vector<const Route*> routes;
  cfg->route->Match(labels, &routes);
  for (const Route* r : routes) {
    if (std::find(out.begin(), out.end(), r->opts.receiver) == out.end()) out.push_back(r->opts.receiver);
  }
  return out;
}

std::vector<GroupView> Dispatcher::Groups() const {
  std::vector<GroupView> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, g] : groups_) {
    GroupView v;
    v.labels = g->labels;
    v.receiver = g->route->opts.receiver;
    for (const auto& [fp, a] : g->alerts) v.fingerprints.push_back(fp);
    std::sort(v.fingerprints.begin(), v.fingerprints.end());
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const GroupView& a, const GroupView& b) {
    if (a.receiver != b.receiver) return a.receiver < b.receiver;
    return a.labels < b.labels;
  });
  return out;
}

void Dispatcher::TimerLoop() {
  std::unique_lock lock(mu_);
  while (running_) {
    int64_t now = NowMs();
    int64_t next = now + 60'000;
    for (auto& [id, g] : groups_) {
      if (g->flushing) continue;
      if (g->next_flush <= now) {
        g->flushing = true;
        g->next_flush = now + g->route->opts.group_interval_ms;
        queue_.push_back(g);
        work_cv_.notify_one();
      }
      next = std::min(next, g->next_flush);
    }
    timer_cv_.wait_until(lock, ToTimePoint(next));
  }
}

void Dispatcher::FlushLoop() {
  std::unique_lock lock(mu_);
  while (running_) {
    if (queue_.empty()) {
      work_cv_.wait(lock);
      continue;
    }
    auto g = queue_.front();
    queue_.erase(queue_.begin());
    lock.unlock();
    Flush(g);
    lock.lock();
    g->flushing = false;
    g->has_flushed = true;
    timer_cv_.notify_all();
  }
}

bool Dispatcher::SendWithRetry(Integration* integ, const NotificationData& data, int64_t deadline,
                               const std::string& receiver) {
  int64_t backoff = 500;
  for (int attempt = 1;; ++attempt) {
    auto t0 = std::chrono::steady_clock::now();
    bool retryable = false;
    requests_total_->WithLabels({integ->kind()}).Inc();
    Status st = integ->Notify(data, &retryable);
    latency_->WithLabels({integ->kind()})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (st.ok()) return true;
    VLOG_WARN("notify attempt failed", {{"receiver", receiver},
                                        {"integration", integ->kind()},
                                        {"attempt", std::to_string(attempt)},
                                        {"error", st.message()}});
    if (!retryable || NowMs() + backoff >= deadline) return false;
    std::unique_lock lock(mu_);
    if (stop_cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return !running_; })) return false;
    backoff = std::min<int64_t>(backoff * 2, 30'000);
  }
}

void Dispatcher::Flush(const std::shared_ptr<Group>& g) {
  std::vector<Alert> alerts;
  std::shared_ptr<ReceiverIntegrations> integrations;
  {
    std::lock_guard lock(mu_);
    if (g->removed) return;
    for (const auto& [fp, a] : g->alerts) alerts.push_back(a);
    auto it = integrations_.find(g->route->opts.receiver);
    if (it != integrations_.end()) integrations = it->second;
  }
  int64_t now = NowMs();
  std::sort(alerts.begin(), alerts.end(), AlertLess);
  // Mute stages: inhibition, time intervals, silences.
  NotificationData data;
  data.receiver = g->route->opts.receiver;
  data.group_key = g->key;
  data.group_labels = g->labels;
  data.external_url = deps_.external_url;
  data.now = now;
  bool muted_by_time = IntervalsMute(*g->config, g->route->opts, now);
  for (const auto& a : alerts) {
    if (deps_.inhibitor->InhibitedBy(a.labels, now) != 0) continue;
    if (!deps_.silences->Mutes(a.labels, now).empty()) continue;
    data.alerts.push_back(a);
  }
  bool all_ok = true;
  if (!muted_by_time && !data.alerts.empty() && integrations) {
    std::set<uint64_t> firing, resolved;
    for (const auto& a : data.alerts) (a.Resolved(now) ? resolved : firing).insert(a.fingerprint);
    int64_t deadline = now + g->route->opts.group_interval_ms;
    for (size_t i = 0; i < integrations->list.size(); ++i) {
      Integration* integ = integrations->list[i].get();
      std::string log_key = g->key + "/" + data.receiver + "/" + integ->kind() + "/" + std::to_string(i);
      auto entry = deps_.nflog->Query(log_key);
      if (!NeedsUpdate(entry, firing, resolved, integ->send_resolved(), g->route->opts.repeat_interval_ms, now)) {
        continue;
      }
      NotificationData send = data;
      if (!integ->send_resolved()) {
        std::erase_if(send.alerts, [now](const Alert& a) { return a.Resolved(now); });
      }
      if (!send.alerts.empty()) {
        notifications_total_->WithLabels({integ->kind()}).Inc();
        if (!SendWithRetry(integ, send, deadline, data.receiver)) {
          notifications_failed_->WithLabels({integ->kind()}).Inc();
          all_ok = false;
          continue;
        }
      }
      Status st = deps_.nflog->Log(log_key, NotificationEntry{firing, resolved, now});
      if (!st.ok()) VLOG_ERROR("notification log append failed", {{"error", st.message()}});
    }
  }
  if (!all_ok) return;
  // Forget resolved alerts that were part of this flush and did not change since.
  std::lock_guard lock(mu_);
  for (const auto& a : alerts) {
    if (!a.Resolved(now)) continue;
    auto it = g->alerts.find(a.fingerprint);
    if (it != g->alerts.end() && it->second.updated_at == a.updated_at) g->alerts.erase(it);
  }
  if (g->alerts.empty() && !g->removed) {
    for (auto it = groups_.begin(); it != groups_.end(); ++it) {
      if (it->second == g) {
        groups_.erase(it);
        break;
      }
    }
    g->removed = true;
  }
}

}  // namespace vigil::alertmanager
