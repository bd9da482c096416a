#pragma once
// Dispatcher: routes alerts through the route tree into aggregation groups
// (one per route and distinct group_by values) and runs each group's timers:
// the first notification after group_wait, later ones every group_interval
// when something changed, and an unchanged firing group again after
// repeat_interval. A flush runs the notification pipeline: drop inhibited
// alerts, honour the route's mute/active time intervals, drop silenced
// alerts, dedup per integration against the notification log, send with
// retries and exponential back-off until the next group_interval, record
// what was sent, and forget resolved alerts once every integration took them.
//
// Thread-safety: every public method may be called from any thread. One
// timer thread schedules flushes; a small pool of flush threads sends, so a
// slow receiver delays only its own groups.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/model.h"
#include "alertmanager/notify.h"
#include "base/metrics_registry.h"

namespace vigil::net {
class HttpClient;
}

namespace vigil::alertmanager {

class AlertStore;
class Inhibitor;
class NotificationLog;
class SilenceStore;

struct DispatcherDeps {
  AlertStore* alerts = nullptr;
  SilenceStore* silences = nullptr;
  NotificationLog* nflog = nullptr;
  Inhibitor* inhibitor = nullptr;
  net::HttpClient* http = nullptr;
  MetricsRegistry* registry = nullptr;
  std::string external_url;
  int flush_threads = 4;
};

// A read-only view of one aggregation group for the API.
struct GroupView {
  LabelSet labels;
  std::string receiver;
  std::vector<uint64_t> fingerprints;
};

class Dispatcher {
 public:
  // REQUIRES: every pointer in `deps` is set and outlives the dispatcher.
  explicit Dispatcher(DispatcherDeps deps);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the timer and flush threads. REQUIRES: SetConfig was called.
  void Start();
  // Stops the threads; flushes in progress give up their retries.
  void Stop();

  // Applies a config: rebuilds the groups from the alerts in the store
  // (the notification log keeps what was sent, so nothing is re-sent early).
  void SetConfig(std::shared_ptr<const AmConfig> config);
  std::shared_ptr<const AmConfig> config() const;

  // Routes an alert (as stored) into its groups.
  void Add(const Alert& a);

  // The receivers the alert with `labels` is routed to, in route order.
  std::vector<std::string> ReceiversFor(const LabelSet& labels) const;
  // The current groups, sorted by receiver then labels.
  std::vector<GroupView> Groups() const;

 private:
  struct Group;
  struct ReceiverIntegrations;

  void AddLocked(const Alert& a, int64_t now);
  void TimerLoop();
  void FlushLoop();
  void Flush(const std::shared_ptr<Group>& g);
  bool SendWithRetry(Integration* integ, const NotificationData& data, int64_t deadline,
                     const std::string& receiver);

  DispatcherDeps deps_;
  Family<Counter>* notifications_total_;
  Family<Counter>* notifications_failed_;
  Family<Counter>* requests_total_;
  Family<Histogram>* latency_;

  mutable std::mutex mu_;
  std::condition_variable timer_cv_;
  std::condition_variable work_cv_;
  std::condition_variable stop_cv_;  // wakes back-off sleeps on Stop
  bool running_ = false;
  std::shared_ptr<const AmConfig> config_;
  std::map<std::string, std::shared_ptr<ReceiverIntegrations>> integrations_;
  std::map<std::string, std::shared_ptr<Group>> groups_;
  std::vector<std::shared_ptr<Group>> queue_;
  std::thread timer_;
  std::vector<std::thread> flushers_;
};

}  // namespace vigil::alertmanager
