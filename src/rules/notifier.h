#pragma once
// Notifier: delivers alerts to one Alertmanager with its v2 API
// (POST <url>/api/v2/alerts, a JSON array of {labels, annotations, startsAt,
// endsAt, generatorURL}), as Prometheus' notifier does. Alerts are queued
// (bounded: the oldest are dropped past `max_queue`) and sent in batches by
// the notifier's own thread, so a receiver that is slow or down never blocks
// rule evaluation; a failed batch is retried with exponential back-off
// (1 s doubling to 30 s) until it is delivered or displaced.
//
// Thread-safety: Enqueue and the counters may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rules/rule_group.h"

namespace vigil::net {
class HttpClient;
}  // namespace vigil::net

namespace vigil::rules {

// The JSON array Alertmanager's POST /api/v2/alerts takes, with
// `external_labels` added to alerts that lack them.
std::string AlertsToJson(const std::vector<OutgoingAlert>& alerts,
                         const std::map<std::string, std::string>& external_labels);

class Notifier {
 public:
  // `url` is the Alertmanager's base URL ("http://127.0.0.1:9059"); the
  // client must outlive the notifier.
  Notifier(std::string url, net::HttpClient* client, std::map<std::string, std::string> external_labels,
           size_t max_queue = 10000);
  // Stops the thread; alerts still queued are dropped.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Enqueue(std::vector<OutgoingAlert> alerts);

  const std::string& url() const { return url_; }
  uint64_t sent() const { return sent_.load(); }
  uint64_t errors() const { return errors_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  size_t queue_length() const;

 private:
  void Run();

  const std::string url_;
  net::HttpClient* const client_;
  const std::map<std::string, std::string> external_labels_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<OutgoingAlert> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> sent_{0}, errors_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace vigil::rules
