#include "metrics/params.h"

#include "base/time_format.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <string>

namespace vigil::metrics {
namespace {

Status BadTimestamp(std::string_view s) {
  return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid timestamp");
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> ParseDurationMs(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("cannot parse \"\" to a valid duration");
  // A plain number is seconds (with fraction), as in Prometheus' `step`.
  double plain = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), plain);
  if (ec == std::errc() && p == s.data() + s.size()) {
    if (!std::isfinite(plain)) return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid duration");
    return static_cast<int64_t>(std::llround(plain * 1000));
  }
  int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (start == i) return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid duration");
    double n = 0;
    std::from_chars(s.data() + start, s.data() + i, n);
    size_t us = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    std::string_view unit = s.substr(us, i - us);
    double ms;
    if (unit == "ms") ms = 1;
    else if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60'000;
    else if (unit == "h") ms = 3'600'000;
    else if (unit == "d") ms = 86'400'000;
    else if (unit == "w") ms = 7 * 86'400'000.0;
    else if (unit == "y") ms = 365 * 86'400'000.0;
    else return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid duration: unknown unit \"" + std::string(unit) + "\"");
    total += static_cast<int64_t>(std::llround(n * ms));
    any = true;
  }
  if (!any) return Status::InvalidArgument("cannot parse \"" + std::string(s) + "\" to a valid duration");
  return total;
}

Result<int64_t> ParseTimestampMs(std::string_view s, int64_t now_ms) {
  if (s.empty()) return BadTimestamp(s);
  if (s == "now") return now_ms;
  if (s.starts_with("now-") || s.starts_with("now+")) {
    auto d = ParseDurationMs(s.substr(4));
    if (!d.ok()) return BadTimestamp(s);
    return s[3] == '-' ? now_ms - *d : now_ms + *d;
  }
  // Numbers: seconds with fraction, or integer ms/us/ns told apart by size.
  bool numeric = true;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      numeric = false;
      break;
    }
  }
  // A bare four-digit number is a year (partial RFC 3339), as VictoriaMetrics reads it.
  if (numeric && !(s.size() == 4 && s.find_first_not_of("0123456789") == std::string_view::npos)) {
    bool has_dot_or_exp = s.find_first_of(".eE") != std::string_view::npos;
    if (!has_dot_or_exp) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(s.data() + (s[0] == '+' ? 1 : 0), s.data() + s.size(), v);
      if (ec == std::errc() && p == s.data() + s.size()) {
        int64_t a = v < 0 ? -v : v;
        if (a >= 100'000'000'000'000'000LL) return v / 1'000'000;  // ns
        if (a >= 100'000'000'000'000LL) return v / 1'000;          // us
        if (a >= 100'000'000'000LL) return v;                      // ms
        return v * 1000;                                           // s
      }
    }
    double d = 0;
    auto [p, ec] = std::from_chars(s.data() + (s[0] == '+' ? 1 : 0), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(d)) {
      return static_cast<int64_t>(std::llround(d * 1000));
    }
  }
  int64_t ns = 0;
  if (ParseRfc3339Nanos(s, &ns)) return ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0);
  // Relative: "-1h5m" or "1h5m" mean now minus the duration.
  std::string_view rel = s[0] == '-' ? s.substr(1) : s;
  auto d = ParseDurationMs(rel);
  if (d.ok()) return now_ms - *d;
  return BadTimestamp(s);
}

}  // namespace vigil::metrics
