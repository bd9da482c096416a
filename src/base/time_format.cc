#include "base/time_format.h"

#include <cstdio>
#include <ctime>
#include <string_view>

namespace vigil {
namespace {

// Reads exactly `n` digits at s[*i].
bool Digits(std::string_view s, size_t* i, int n, int* out) {
  int v = 0;
  for (int k = 0; k < n; ++k) {
    if (*i >= s.size() || s[*i] < '0' || s[*i] > '9') return false;
    v = v * 10 + (s[*i] - '0');
    ++*i;
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseRfc3339Nanos(std::string_view s, int64_t* out_ns) {
  std::tm tm{};
  tm.tm_mday = 1;
  size_t i = 0;
  int year = 0, mon = 1, day = 1, hour = 0, min = 0, sec = 0;
  if (!Digits(s, &i, 4, &year)) return false;
  auto at = [&](char c) { return i < s.size() && s[i] == c; };
  int64_t frac_ns = 0;
  int offset_s = 0;
  if (at('-')) {
    ++i;
    if (!Digits(s, &i, 2, &mon)) return false;
    if (at('-')) {
      ++i;
      if (!Digits(s, &i, 2, &day)) return false;
      if (at('T') || at(' ')) {
        ++i;
        if (!Digits(s, &i, 2, &hour)) return false;
        if (at(':')) {
          ++i;
          if (!Digits(s, &i, 2, &min)) return false;
          if (at(':')) {
            ++i;
            if (!Digits(s, &i, 2, &sec)) return false;
            if (at('.')) {
              ++i;
              int64_t scale = 100'000'000;
              bool any = false;
              while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                frac_ns += (s[i] - '0') * scale;
                scale /= 10;
                ++i;
                any = true;
              }
              if (!any) return false;
            }
          }
        }
        if (at('Z')) {
          ++i;
        } else if (at('+') || at('-')) {
          int sign = s[i] == '-' ? -1 : 1;
          ++i;
          int oh = 0, om = 0;
          if (!Digits(s, &i, 2, &oh)) return false;
          if (at(':')) ++i;
          if (!Digits(s, &i, 2, &om)) return false;
          offset_s = sign * (oh * 3600 + om * 60);
        }
      }
    }
  }
  if (i != s.size()) return false;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  *out_ns = secs * 1'000'000'000 + frac_ns;
  return true;
}


std::string FormatRfc3339Nanos(int64_t unix_ns) {
  time_t secs = time_t(unix_ns / 1'000'000'000);
  int64_t ns = unix_ns % 1'000'000'000;
  if (ns < 0) {
    ns += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (ns != 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%09lld", static_cast<long long>(ns));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

std::string FormatRfc3339Millis(int64_t unix_ms) {
  if (unix_ms == 0) return "0001-01-01T00:00:00Z";
  return FormatRfc3339Nanos(unix_ms * 1'000'000);
}

}  // namespace vigil
