#include "alertmanager/silences.h"

#include <array>
#include <random>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace vigil::alertmanager {

const char* SilenceStateName(SilenceState s) {
  switch (s) {
    case SilenceState::kPending:
      return "pending";
    case SilenceState::kActive:
      return "active";
    case SilenceState::kExpired:
      return "expired";
  }
  return "expired";
}

SilenceState StateAt(const Silence& s, int64_t now) {
  if (s.ends_at <= now) return SilenceState::kExpired;
  if (s.starts_at > now) return SilenceState::kPending;
  return SilenceState::kActive;
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xffff),
                static_cast<unsigned long long>(b >> 48), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

Status ValidateSilence(const Silence& s) {
  if (s.matchers.empty()) return Status::InvalidArgument("at least one matcher required");
  bool all_match_empty = true;
  for (const auto& m : s.matchers) {
    if (!ValidLabelName(m.name())) return Status::InvalidArgument("invalid label name \"" + m.name() + "\"");
    if (!m.MatchesValue("")) all_match_empty = false;
  }
  if (all_match_empty) return Status::InvalidArgument("at least one matcher must not match the empty string");
  if (s.starts_at == 0) return Status::InvalidArgument("invalid zero start timestamp");
  if (s.ends_at == 0) return Status::InvalidArgument("invalid zero end timestamp");
  if (s.ends_at < s.starts_at) return Status::InvalidArgument("end time must not be before start time");
  return Status::Ok();
}

std::string SilenceStore::Encode(const Silence& s) {
  nlohmann::json j;
  j["id"] = s.id;
  j["startsAt"] = s.starts_at;
  j["endsAt"] = s.ends_at;
  j["updatedAt"] = s.updated_at;
  j["createdBy"] = s.created_by;
  j["comment"] = s.comment;
  auto& ms = j["matchers"] = nlohmann::json::array();
  for (const auto& m : s.matchers) {
    ms.push_back({{"name", m.name()}, {"value", m.value()}, {"type", static_cast<int>(m.type())}});
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status SilenceStore::Open(const std::string& dir) {
  auto records = log_.Open(dir, "silences");
  if (!records.ok()) return records.status();
  std::lock_guard lock(mu_);
  for (const auto& rec : *records) {
    auto j = nlohmann::json::parse(rec, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    Silence s;
    s.id = j.value("id", "");
    s.starts_at = j.value("startsAt", int64_t{0});
    s.ends_at = j.value("endsAt", int64_t{0});
    s.updated_at = j.value("updatedAt", int64_t{0});
    s.created_by = j.value("createdBy", "");
    s.comment = j.value("comment", "");
    bool ok = !s.id.empty();
    if (j.contains("matchers") && j["matchers"].is_array()) {
      for (const auto& m : j["matchers"]) {
        if (!m.is_object()) continue;
        auto mm = Matcher::Make(static_cast<MatchType>(m.value("type", 0) & 3), m.value("name", ""),
                                m.value("value", ""));
        if (!mm.ok()) {
          ok = false;
          break;
        }
        s.matchers.push_back(std::move(*mm));
      }
    }
    if (ok) silences_[s.id] = std::move(s);
  }
  persistent_ = true;
  return Status::Ok();
}

Status SilenceStore::Persist(const Silence& s) {
  if (!persistent_) return Status::Ok();
  return log_.Append(Encode(s), true);
}

Result<std::string> SilenceStore::Set(Silence s, int64_t now) {
  Status st = ValidateSilence(s);
  if (!st.ok()) return st;
  std::lock_guard lock(mu_);
  if (!s.id.empty()) {
    auto it = silences_.find(s.id);
    if (it == silences_.end()) return Status::NotFound("silence not found");
    Silence& old = it->second;
    SilenceState state = StateAt(old, now);
    bool same_matchers = MatchersString(old.matchers) == MatchersString(s.matchers);
    // In place: a pending silence may change anything but its matchers; an
    // active one only its end, comment and author.
    bool in_place = state != SilenceState::kExpired && same_matchers &&
                    (state == SilenceState::kPending || old.starts_at == s.starts_at || s.starts_at <= now);
    if (in_place) {
      if (state == SilenceState::kActive) s.starts_at = old.starts_at;
      if (s.ends_at < now) return Status::InvalidArgument("end time can't be in the past");
      s.updated_at = now;
      old = s;
      st = Persist(old);
      if (!st.ok()) return st;
      return old.id;
    }
    if (state != SilenceState::kExpired) {
      old.ends_at = now;
      if (old.starts_at > now) old.starts_at = now;
      old.updated_at = now;
      st = Persist(old);
      if (!st.ok()) return st;
    }
  }
  if (s.ends_at < now) return Status::InvalidArgument("end time can't be in the past");
  if (s.starts_at < now) s.starts_at = now;
  s.id = NewUuid();
  s.updated_at = now;
  st = Persist(s);
  if (!st.ok()) return st;
  std::string id = s.id;
  silences_[id] = std::move(s);
  return id;
}

Status SilenceStore::Expire(const std::string& id, int64_t now) {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("silence " + id + " not found");
  Silence& s = it->second;
  switch (StateAt(s, now)) {
    case SilenceState::kExpired:
      return Status::InvalidArgument("silence " + id + " already expired");
    case SilenceState::kPending:
      s.starts_at = now;
      s.ends_at = now;
      break;
    case SilenceState::kActive:
      s.ends_at = now;
      break;
  }
  s.updated_at = now;
  return Persist(s);
}

std::optional<Silence> SilenceStore::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return std::nullopt;
  return it->second;
}

std::vector<Silence> SilenceStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<Silence> out;
  out.reserve(silences_.size());
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> SilenceStore::Mutes(const LabelSet& labels, int64_t now) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, s] : silences_) {
    if (StateAt(s, now) == SilenceState::kActive && MatchesAll(s.matchers, labels)) out.push_back(id);
  }
  return out;
}

std::array<int, 3> SilenceStore::CountByState(int64_t now) const {
  std::lock_guard lock(mu_);
  std::array<int, 3> out{0, 0, 0};
  for (const auto& [id, s] : silences_) ++out[static_cast<int>(StateAt(s, now))];
  return out;
}

Status SilenceStore::Maintain(int64_t now) {
  std::lock_guard lock(mu_);
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.ends_at + retention_ms_ < now) {
      it = silences_.erase(it);
    } else {
      ++it;
    }
  }
  if (!persistent_) return Status::Ok();
  std::vector<std::string> records;
  for (const auto& [id, s] : silences_) records.push_back(Encode(s));
  return log_.Compact(records);
}

}  // namespace vigil::alertmanager
