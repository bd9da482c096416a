#include "template/go_time.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>

namespace vigil::tmpl::internal {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86400;

const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};
const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The broken-down UTC time of a Unix timestamp.
struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int hour, minute, second;
  int64_t nanos;
  int weekday;  // 0 = Sunday
  int yday;     // 1..366
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

Civil ToCivil(int64_t unix_nanos) {
  Civil c{};
  int64_t secs = FloorDiv(unix_nanos, kNanosPerSecond);
  c.nanos = unix_nanos - secs * kNanosPerSecond;
  int64_t days = FloorDiv(secs, kSecondsPerDay);
  int64_t rem = secs - days * kSecondsPerDay;
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem / 60 % 60);
  c.second = static_cast<int>(rem % 60);
  c.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  // Days since 0000-03-01 in 400-year eras (proleptic Gregorian calendar).
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  static const int kCumDays[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.yday = kCumDays[c.month - 1] + c.day + (c.month > 2 && IsLeap(c.year) ? 1 : 0);
  return c;
}

void AppendPadded(int64_t v, int width, char pad, std::string* out) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v < 0 ? -v : v));
  if (v < 0) out->push_back('-');
  for (int n = static_cast<int>(std::string_view(buf).size()); n < width; ++n) out->push_back(pad);
  out->append(buf);
}

bool StartsWith(std::string_view s, size_t i, std::string_view p) { return s.substr(i, p.size()) == p; }

}  // namespace

std::string FormatGoTime(int64_t unix_nanos, std::string_view layout) {
  const Civil c = ToCivil(unix_nanos);
  std::string out;
  const int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  size_t i = 0;
  while (i < layout.size()) {
    auto take = [&](std::string_view p) {
      if (!StartsWith(layout, i, p)) return false;
      i += p.size();
      return true;
    };
    const char ch = layout[i];
    if (ch == 'J') {
      if (take("January")) { out.append(kMonths[c.month - 1]); continue; }
      if (take("Jan")) { out.append(kMonths[c.month - 1], 3); continue; }
    } else if (ch == 'M') {
      if (take("Monday")) { out.append(kDays[c.weekday]); continue; }
      if (take("Mon")) { out.append(kDays[c.weekday], 3); continue; }
      if (take("MST")) { out.append("UTC"); continue; }
    } else if (ch == '0') {
      if (take("002")) { AppendPadded(c.yday, 3, '0', &out); continue; }
      if (take("01")) { AppendPadded(c.month, 2, '0', &out); continue; }
      if (take("02")) { AppendPadded(c.day, 2, '0', &out); continue; }
      if (take("03")) { AppendPadded(hour12, 2, '0', &out); continue; }
      if (take("04")) { AppendPadded(c.minute, 2, '0', &out); continue; }
      if (take("05")) { AppendPadded(c.second, 2, '0', &out); continue; }
      if (take("06")) { AppendPadded(((c.year % 100) + 100) % 100, 2, '0', &out); continue; }
    } else if (ch == '1') {
      if (take("15")) { AppendPadded(c.hour, 2, '0', &out); continue; }
      if (take("1")) { AppendPadded(c.month, 1, '0', &out); continue; }
    } else if (ch == '2') {
      if (take("2006")) { AppendPadded(c.year, 4, '0', &out); continue; }
      if (take("2")) { AppendPadded(c.day, 1, '0', &out); continue; }
    } else if (ch == '_') {
      if (take("__2")) { AppendPadded(c.yday, 3, ' ', &out); continue; }
      if (take("_2")) { AppendPadded(c.day, 2, ' ', &out); continue; }
    } else if (ch == '3') {
      ++i; AppendPadded(hour12, 1, '0', &out); continue;
    } else if (ch == '4') {
      ++i; AppendPadded(c.minute, 1, '0', &out); continue;
    } else if (ch == '5') {
      ++i; AppendPadded(c.second, 1, '0', &out); continue;
    } else if (ch == 'P' || ch == 'p') {
      if (take("PM")) { out.append(c.hour >= 12 ? "PM" : "AM"); continue; }
      if (take("pm")) { out.append(c.hour >= 12 ? "pm" : "am"); continue; }
    } else if (ch == '-') {
      if (take("-07:00:00")) { out.append("+00:00:00"); continue; }
      if (take("-0700")) { out.append("+0000"); continue; }
      if (take("-07:00")) { out.append("+00:00"); continue; }
      if (take("-07")) { out.append("+00"); continue; }
    } else if (ch == 'Z') {
      if (take("Z07:00:00") || take("Z0700") || take("Z07:00") || take("Z07")) { out.push_back('Z'); continue; }
    } else if ((ch == '.' || ch == ',') && i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      const char digit = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == digit) ++j;
      if (j >= layout.size() || layout[j] < '0' || layout[j] > '9') {
        const size_t n = std::min<size_t>(j - i - 1, 9);
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%09lld", static_cast<long long>(c.nanos));
        std::string frac(buf, n);
        if (digit == '9') {
          while (!frac.empty() && frac.back() == '0') frac.pop_back();
          if (!frac.empty()) {
            out.push_back(ch);
            out.append(frac);
          }
        } else {
          out.push_back(ch);
          out.append(frac);
        }
        i = j;
        continue;
      }
    }
    out.push_back(ch);
    ++i;
  }
  return out;
}

std::string GoTimeString(int64_t unix_nanos) {
  return FormatGoTime(unix_nanos, "2006-01-02 15:04:05.999999999 -0700 MST");
}

Result<double> ParsePromDurationSeconds(std::string_view s) {
  if (s == "0") return 0.0;
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
  };
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static const Unit kUnits[] = {{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000},
                                {"h", 3600000},          {"m", 60000},          {"s", 1000},
                                {"ms", 1}};
  size_t i = 0;
  size_t next_unit = 0;
  int64_t total_ms = 0;
  while (i < s.size()) {
    size_t j = i;
    uint64_t n = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      n = n * 10 + static_cast<uint64_t>(s[j] - '0');
      if (n > (1ULL << 62)) return Status::InvalidArgument("duration out of range");
      ++j;
    }
    if (j == i) return invalid();
    // Longest unit name first so that "ms" is not read as "m".
    size_t unit = next_unit;
    bool found = false;
    for (size_t u = next_unit; u < std::size(kUnits); ++u) {
      if (s.substr(j, kUnits[u].name.size()) == kUnits[u].name &&
          !(kUnits[u].name == "m" && s.substr(j, 2) == "ms")) {
        unit = u;
        found = true;
        break;
      }
    }
    if (!found) return invalid();
    const int64_t ms = kUnits[unit].ms;
    if (n > static_cast<uint64_t>(INT64_MAX / ms) || total_ms > INT64_MAX - static_cast<int64_t>(n) * ms ||
        total_ms + static_cast<int64_t>(n) * ms > INT64_MAX / 1'000'000) {
      return Status::InvalidArgument("duration out of range");
    }
    total_ms += static_cast<int64_t>(n) * ms;
    i = j + kUnits[unit].name.size();
    next_unit = unit + 1;
  }
  return static_cast<double>(total_ms) / 1000.0;
}

}  // namespace vigil::tmpl::internal
