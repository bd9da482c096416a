#pragma once
// RateLimiter: a token bucket per client key (an IP address), for UDP
// services that must not be usable as amplifiers (DNS, NTP). Each key may
// do `rate` events per second on average and `burst` at once. Memory is
// bounded: past kMaxKeysPerShard keys in a shard, the shard starts over
// (every client there gets a fresh bucket), which errs on the side of
// answering.
//
// Thread-safety: safe for concurrent use; keys are spread over 16 mutexes.

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vigil {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxKeysPerShard = 8192;

  // REQUIRES: rate > 0, burst >= 1.
  RateLimiter(double rate, double burst);

  // Takes one token from `key`'s bucket; false when it is empty.
  bool Allow(std::string_view key, Clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  const double rate_;
  const double burst_;
  Shard shards_[16];
};

}  // namespace vigil
