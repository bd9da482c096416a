#include "dns/cache.h"

#include <algorithm>
#include <limits>

namespace vigil::dns {
namespace {

// SOA rdata ends with serial, refresh, retry, expire, minimum (RFC 1035 §3.3.13).
uint32_t SoaMinimum(const ResourceRecord& soa) {
  if (soa.rdata.size() < 4) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(soa.rdata.data() + soa.rdata.size() - 4);
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void AgeRecords(std::vector<ResourceRecord>* records, uint32_t elapsed) {
  for (auto& rr : *records) rr.ttl = rr.ttl > elapsed ? rr.ttl - elapsed : 0;
}

}  // namespace

uint32_t CacheableTtl(const Message& m) {
  auto rcode = static_cast<Rcode>(m.header.rcode);
  if (m.header.tc) return 0;
  if (rcode == Rcode::kNoError && !m.answers.empty()) {
    uint32_t ttl = std::numeric_limits<uint32_t>::max();
    for (const auto& rr : m.answers) ttl = std::min(ttl, rr.ttl);
    return ttl;
  }
  if (rcode == Rcode::kNoError || rcode == Rcode::kNxDomain) {
    for (const auto& rr : m.authority) {
      if (rr.type == kTypeSOA) return std::min(rr.ttl, SoaMinimum(rr));
    }
  }
  return 0;
}

ResponseCache::ResponseCache(size_t max_entries, uint32_t max_ttl)
    : max_entries_(std::max<size_t>(max_entries, 1)), max_ttl_(max_ttl) {}

std::string ResponseCache::Key(const Question& q) {
  std::string key = LowercaseName(q.name);
  key.push_back(static_cast<char>(q.type >> 8));
  key.push_back(static_cast<char>(q.type));
  key.push_back(static_cast<char>(q.klass >> 8));
  key.push_back(static_cast<char>(q.klass));
  return key;
}

std::optional<Message> ResponseCache::Lookup(const Question& q, Clock::time_point now) {
  std::string key = Key(q);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expires) {
    by_age_.erase(it->second.age_position);
    entries_.erase(it);
    return std::nullopt;
  }
  Message m = it->second.response;
  auto elapsed = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now - it->second.stored).count());
  AgeRecords(&m.answers, elapsed);
  AgeRecords(&m.authority, elapsed);
  AgeRecords(&m.additional, elapsed);
  return m;
}

uint32_t ResponseCache::Store(const Question& q, const Message& response, Clock::time_point now) {
  uint32_t ttl = std::min(CacheableTtl(response), max_ttl_);
  if (ttl == 0) return 0;
  std::string key = Key(q);
  std::lock_guard lock(mu_);
  auto old = entries_.find(key);
  if (old != entries_.end()) {
    by_age_.erase(old->second.age_position);
    entries_.erase(old);
  }
  while (entries_.size() >= max_entries_ && !by_age_.empty()) {
    entries_.erase(by_age_.front());
    by_age_.pop_front();
  }
  by_age_.push_back(key);
  Entry e{response, now, now + std::chrono::seconds(ttl), std::prev(by_age_.end())};
  entries_.emplace(std::move(key), std::move(e));
  return ttl;
}

size_t ResponseCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void ResponseCache::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
  by_age_.clear();
}

}  // namespace vigil::dns
