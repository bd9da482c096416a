#include "base/time_format.h"

#include <cstdio>
#include <ctime>

namespace vigil {

std::string FormatRfc3339Millis(int64_t unix_ms) {
  if (unix_ms == 0) return "0001-01-01T00:00:00Z";
  time_t secs = time_t(unix_ms / 1000);
  int ms = int(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (ms != 0) {
    char frac[8];
    std::snprintf(frac, sizeof(frac), ".%03d", ms);
    std::string f = frac;
    while (f.back() == '0') f.pop_back();  // RFC3339Nano drops trailing zeros
    out += f;
  }
  return out + "Z";
}

}  // namespace vigil
