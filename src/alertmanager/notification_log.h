#pragma once
// NotificationLog ("nflog"): what was last sent for each (receiver
// integration, aggregation group): the fingerprints of the firing and
// resolved alerts and when. The dedup stage reads it to avoid resending an
// unchanged group before repeat_interval. Persisted through a RecordLog (no
// fsync per entry: a kill -9 keeps them; a power cut may re-notify).
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "alertmanager/record_log.h"
#include "base/status.h"

namespace vigil::alertmanager {

struct NotificationEntry {
  std::set<uint64_t> firing;
  std::set<uint64_t> resolved;
  int64_t timestamp = 0;
};

class NotificationLog {
 public:
  // Entries older than `retention_ms` are dropped by Maintain().
  explicit NotificationLog(int64_t retention_ms) : retention_ms_(retention_ms) {}

  // Loads the log persisted in `dir`; without Open it is in memory only.
  Status Open(const std::string& dir);
  // The last entry for `key`, if any.
  std::optional<NotificationEntry> Query(const std::string& key) const;
  // Records a notification (replacing the previous entry of `key`).
  Status Log(const std::string& key, NotificationEntry entry);
  // Drops old entries and compacts the persistent log.
  Status Maintain(int64_t now);
  size_t size() const;

 private:
  static std::string Encode(const std::string& key, const NotificationEntry& e);

  int64_t retention_ms_;
  mutable std::mutex mu_;
  std::map<std::string, NotificationEntry> entries_;
  RecordLog log_;
  bool persistent_ = false;
};

// Alertmanager's DedupStage.needsUpdate: whether a group with these
// `firing` / `resolved` fingerprints must be sent, given the last `entry`.
bool NeedsUpdate(const std::optional<NotificationEntry>& entry, const std::set<uint64_t>& firing,
                 const std::set<uint64_t>& resolved, bool send_resolved, int64_t repeat_ms, int64_t now);

}  // namespace vigil::alertmanager
