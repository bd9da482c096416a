#include "alertmanager/alert_store.h"

namespace vigil::alertmanager {

std::optional<Alert> AlertStore::Put(Alert a) {
  a.fingerprint = Fingerprint(a.labels);
  std::lock_guard lock(mu_);
  auto it = alerts_.find(a.fingerprint);
  if (it == alerts_.end()) {
    if (max_alerts_ != 0 && alerts_.size() >= max_alerts_) return std::nullopt;
    alerts_.emplace(a.fingerprint, a);
    return a;
  }
  const Alert& old = it->second;
  bool overlaps = (a.ends_at > old.starts_at && a.ends_at < old.ends_at) ||
                  (a.starts_at > old.starts_at && a.starts_at < old.ends_at) ||
                  (a.starts_at <= old.starts_at && a.ends_at >= old.ends_at) || a.starts_at == old.starts_at;
  if (overlaps) a = MergeAlerts(old, a);
  it->second = a;
  return a;
}

std::optional<Alert> AlertStore::Get(uint64_t fp) const {
  std::lock_guard lock(mu_);
  auto it = alerts_.find(fp);
  if (it == alerts_.end()) return std::nullopt;
  return it->second;
}

void AlertStore::ForEach(const std::function<void(const Alert&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [fp, a] : alerts_) fn(a);
}

void AlertStore::DeleteIfNotModified(uint64_t fp, int64_t updated_at) {
  std::lock_guard lock(mu_);
  auto it = alerts_.find(fp);
  if (it != alerts_.end() && it->second.updated_at == updated_at) alerts_.erase(it);
}

size_t AlertStore::GarbageCollect(int64_t cutoff) {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.Resolved(cutoff)) {
      it = alerts_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

size_t AlertStore::size() const {
  std::lock_guard lock(mu_);
  return alerts_.size();
}

}  // namespace vigil::alertmanager
