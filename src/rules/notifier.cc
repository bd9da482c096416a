#include "rules/notifier.h"

#include <algorithm>

#include "base/json.h"
#include "base/log.h"
#include "base/time_format.h"
#include "net/http_client.h"

namespace vigil::rules {
namespace {

constexpr size_t kMaxBatch = 64;
constexpr auto kInitialBackoff = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(30);

}  // namespace

std::string AlertsToJson(const std::vector<OutgoingAlert>& alerts,
                         const std::map<std::string, std::string>& external_labels) {
  std::string out = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const OutgoingAlert& a = alerts[i];
    if (i) out.push_back(',');
    std::map<std::string, std::string> labels = external_labels;
    for (const auto& l : a.labels) labels[std::string(l.name)] = std::string(l.value);
    out += "{\"labels\":";
    json::AppendStringObject(&out, labels);
    out += ",\"annotations\":";
    json::AppendStringObject(&out, a.annotations);
    out += ",\"startsAt\":";
    json::AppendString(&out, FormatRfc3339Millis(a.starts_at_ms));
    out += ",\"endsAt\":";
    json::AppendString(&out, FormatRfc3339Millis(a.ends_at_ms));
    out += ",\"generatorURL\":";
    json::AppendString(&out, a.generator_url);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

Notifier::Notifier(std::string url, net::HttpClient* client, std::map<std::string, std::string> external_labels,
                   size_t max_queue)
    : url_(std::move(url)),
      client_(client),
      external_labels_(std::move(external_labels)),
      max_queue_(max_queue),
      thread_([this] { Run(); }) {}

Notifier::~Notifier() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Notifier::Enqueue(std::vector<OutgoingAlert> alerts) {
  if (alerts.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& a : alerts) queue_.push_back(std::move(a));
    while (queue_.size() > max_queue_) {
      queue_.pop_front();
      ++dropped_;
    }
  }
  cv_.notify_all();
}

size_t Notifier::queue_length() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Notifier::Run() {
  auto backoff = std::chrono::steady_clock::duration(kInitialBackoff);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    const size_t n = std::min(queue_.size(), kMaxBatch);
    std::vector<OutgoingAlert> batch(queue_.begin(), queue_.begin() + long(n));
    lock.unlock();
    net::ClientRequest req;
    req.method = "POST";
    std::string base = url_;
    while (!base.empty() && base.back() == '/') base.pop_back();
    req.url = base + "/api/v2/alerts";
    req.body = AlertsToJson(batch, external_labels_);
    req.timeout = std::chrono::seconds(10);
    net::SetHeader(req.headers, "Content-Type", "application/json");
    auto response = client_->FetchSync(std::move(req));
    const bool ok = response.ok() && response->status / 100 == 2;
    lock.lock();
    if (ok) {
      sent_ += n;
      // The delivered alerts leave the front of the queue. (Only when the
      // queue overflowed meanwhile does the front hold other alerts.)
      const size_t remove = std::min(n, queue_.size());
      queue_.erase(queue_.begin(), queue_.begin() + long(remove));
      backoff = kInitialBackoff;
      continue;
    }
    ++errors_;
    VLOG_WARN("notifier: sending alerts failed; will retry",
              {{"url", url_},
               {"error", response.ok() ? "HTTP " + std::to_string(response->status) : response.status().message()}});
    cv_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min<std::chrono::steady_clock::duration>(backoff * 2, kMaxBackoff);
  }
}

}  // namespace vigil::rules
