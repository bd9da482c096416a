#pragma once
// ResponseCache: upstream answers kept for their TTL. Positive answers live
// for the smallest TTL of their answer records; negative answers (NXDOMAIN,
// or NOERROR without answers) for min(SOA TTL, SOA MINIMUM) of the SOA in
// their authority section, per RFC 2308, and are not cached without one.
// Failures (SERVFAIL, REFUSED, ...) are never cached. Entries are bounded in
// number; when full, the entry stored longest ago goes first.
//
// Thread-safety: safe for concurrent use (one mutex).

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/message.h"

namespace vigil::dns {

class ResponseCache {
 public:
  using Clock = std::chrono::steady_clock;

  // Keeps at most `max_entries` answers, each at most `max_ttl` seconds.
  explicit ResponseCache(size_t max_entries = 10000, uint32_t max_ttl = 86400);

  // The cached answer for q (name matched case-insensitively), with every
  // TTL reduced by the time spent in the cache; nullopt when absent or expired.
  std::optional<Message> Lookup(const Question& q, Clock::time_point now);

  // Stores `response` (an upstream answer to q) if it is cacheable.
  // Returns the TTL it was stored with, or 0 when it was not stored.
  uint32_t Store(const Question& q, const Message& response, Clock::time_point now);

  size_t size() const;
  void Clear();

 private:
  struct Entry {
    Message response;
    Clock::time_point stored;
    Clock::time_point expires;
    std::list<std::string>::iterator age_position;
  };
  static std::string Key(const Question& q);

  const size_t max_entries_;
  const uint32_t max_ttl_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> by_age_;  // oldest first
};

// The TTL a response may be cached for per the rules above; 0 = not cacheable.
uint32_t CacheableTtl(const Message& response);

}  // namespace vigil::dns
