#include "alertmanager/notification_log.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace vigil::alertmanager {

std::string NotificationLog::Encode(const std::string& key, const NotificationEntry& e) {
  nlohmann::json j;
  j["k"] = key;
  j["t"] = e.timestamp;
  j["f"] = e.firing;
  j["r"] = e.resolved;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status NotificationLog::Open(const std::string& dir) {
  auto records = log_.Open(dir, "nflog");
  if (!records.ok()) return records.status();
  std::lock_guard lock(mu_);
  for (const auto& rec : *records) {
    auto j = nlohmann::json::parse(rec, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("k") || !j["k"].is_string()) continue;
    NotificationEntry e;
    e.timestamp = j.value("t", int64_t{0});
    if (j.contains("f") && j["f"].is_array()) {
      for (const auto& v : j["f"]) {
        if (v.is_number_unsigned()) e.firing.insert(v.get<uint64_t>());
      }
    }
    if (j.contains("r") && j["r"].is_array()) {
      for (const auto& v : j["r"]) {
        if (v.is_number_unsigned()) e.resolved.insert(v.get<uint64_t>());
      }
    }
    entries_[j["k"].get<std::string>()] = std::move(e);
  }
  persistent_ = true;
  return Status::Ok();
}

std::optional<NotificationEntry> NotificationLog::Query(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

Status NotificationLog::Log(const std::string& key, NotificationEntry entry) {
  std::lock_guard lock(mu_);
  Status st = persistent_ ? log_.Append(Encode(key, entry), false) : Status::Ok();
  entries_[key] = std::move(entry);
  return st;
}

Status NotificationLog::Maintain(int64_t now) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.timestamp + retention_ms_ < now) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  if (!persistent_) return Status::Ok();
  std::vector<std::string> records;
  for (const auto& [k, e] : entries_) records.push_back(Encode(k, e));
  return log_.Compact(records);
}

size_t NotificationLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

bool NeedsUpdate(const std::optional<NotificationEntry>& entry, const std::set<uint64_t>& firing,
                 const std::set<uint64_t>& resolved, bool send_resolved, int64_t repeat_ms, int64_t now) {
  if (!entry) return !firing.empty();
  // New firing alerts since the last notification.
  if (!std::includes(entry->firing.begin(), entry->firing.end(), firing.begin(), firing.end())) return true;
  // Everything resolved: notify (even without send_resolved) so the log
  // forgets the firing set, unless the receiver never heard of any.
  if (firing.empty()) return !entry->firing.empty();
  if (send_resolved &&
      !std::includes(entry->resolved.begin(), entry->resolved.end(), resolved.begin(), resolved.end())) {
    return true;
  }
  return entry->timestamp + repeat_ms < now;
}

}  // namespace vigil::alertmanager
