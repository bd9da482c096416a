#pragma once
// AlertStore: every alert Vigil knows, by fingerprint. Put() merges an update
// into a stored alert the way Alertmanager's provider does (overlapping
// lifetimes merge; a new lifetime replaces). Resolved alerts stay until the
// dispatcher has notified about them or GarbageCollect() drops them.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "alertmanager/model.h"

namespace vigil::alertmanager {

class AlertStore {
 public:
  // `max_alerts` bounds the store; Put beyond it fails (0 = unbounded).
  explicit AlertStore(size_t max_alerts = 0) : max_alerts_(max_alerts) {}

  // Stores `a` (fingerprint filled in), merged with a stored alert of the
  // same labels when their lifetimes overlap. Returns the alert as stored,
  // or nullopt when the store is full.
  std::optional<Alert> Put(Alert a);
  std::optional<Alert> Get(uint64_t fp) const;
  // Calls fn for every alert, under the store's lock (fn must not call back).
  void ForEach(const std::function<void(const Alert&)>& fn) const;
  // Removes alert `fp` if it still has `updated_at` (not modified since).
  void DeleteIfNotModified(uint64_t fp, int64_t updated_at);
  // Drops alerts resolved before `cutoff`; returns how many.
  size_t GarbageCollect(int64_t cutoff);
  size_t size() const;

 private:
  size_t max_alerts_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Alert> alerts_;
};

}  // namespace vigil::alertmanager
