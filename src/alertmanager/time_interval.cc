#include "alertmanager/time_interval.h"

#include <cstdlib>
#include <ctime>
#include <mutex>

namespace vigil::alertmanager {
namespace {

const char* kWeekdays[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
const char* kMonths[] = {"january", "february", "march",     "april",   "may",      "june",
                         "july",    "august",   "september", "october", "november", "december"};

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<int> ParseNamedOrNumber(const std::string& s, const char* const* names, int n, int base) {
  std::string l = Lower(s);
  for (int i = 0; i < n; ++i) {
    if (l == names[i]) return i + base;
  }
  if (names == kWeekdays) return Status::InvalidArgument("'" + s + "' is not a valid weekday");
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') return Status::InvalidArgument("invalid value '" + s + "'");
  return static_cast<int>(v);
}

// Parses "a" or "a:b" items with the value parser `one`.
template <typename F>
Status ParseRanges(const YAML::Node& node, const char* what, F one, std::vector<std::pair<int, int>>* out) {
  if (!node) return Status::Ok();
  if (!node.IsSequence()) return Status::InvalidArgument(std::string(what) + " must be a list");
  for (const auto& item : node) {
    std::string s = item.as<std::string>();
    size_t colon = s.find(':');
    std::string a = colon == std::string::npos ? s : s.substr(0, colon);
    std::string b = colon == std::string::npos ? s : s.substr(colon + 1);
    auto lo = one(a);
    if (!lo.ok()) return lo.status();
    auto hi = one(b);
    if (!hi.ok()) return hi.status();
    out->push_back({*lo, *hi});
  }
  return Status::Ok();
}

Result<int> ParseClock(const std::string& s) {
  int h = 0, m = 0;
  if (s.size() != 5 || s[2] != ':' || std::sscanf(s.c_str(), "%2d:%2d", &h, &m) != 2 || h < 0 || h > 24 ||
      m < 0 || m > 59 || (h == 24 && m != 0)) {
    return Status::InvalidArgument("couldn't parse timestamp " + s + ", invalid format");
  }
  return h * 60 + m;
}

bool InRanges(const std::vector<std::pair<int, int>>& ranges, int v) {
  if (ranges.empty()) return true;
  for (auto [a, b] : ranges) {
    if (v >= a && v <= b) return true;
  }
  return false;
}

std::mutex tz_mu;  // setenv("TZ")/tzset are process-global

struct tm BreakDown(int64_t ms, const std::string& location) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  if (location.empty() || location == "UTC") {
    gmtime_r(&secs, &tm);
  } else if (location == "Local") {
    localtime_r(&secs, &tm);
  } else {
    std::lock_guard lock(tz_mu);
    const char* old = std::getenv("TZ");
    std::string saved = old ? old : "";
    setenv("TZ", location.c_str(), 1);
    tzset();
    localtime_r(&secs, &tm);
    if (old) {
      setenv("TZ", saved.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  return tm;
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

bool TimePeriod::Contains(int64_t ms) const {
  struct tm tm = BreakDown(ms, location);
  int minute = tm.tm_hour * 60 + tm.tm_min;
  if (!times.empty()) {
    bool in = false;
    for (auto [a, b] : times) in = in || (minute >= a && minute < b);
    if (!in) return false;
  }
  if (!InRanges(weekdays, tm.tm_wday)) return false;
  if (!InRanges(months, tm.tm_mon + 1)) return false;
  if (!InRanges(years, tm.tm_year + 1900)) return false;
  if (!days_of_month.empty()) {
    int dim = DaysInMonth(tm.tm_year + 1900, tm.tm_mon + 1);
    bool in = false;
    for (auto [a, b] : days_of_month) {
      int lo = a < 0 ? dim + a + 1 : a;
      int hi = b < 0 ? dim + b + 1 : b;
      in = in || (tm.tm_mday >= lo && tm.tm_mday <= hi);
    }
    if (!in) return false;
  }
  return true;
}

bool TimeInterval::Contains(int64_t ms) const {
  for (const auto& p : periods) {
    if (p.Contains(ms)) return true;
  }
  return false;
}

Result<std::vector<TimePeriod>> ParseTimePeriods(const YAML::Node& list) {
  std::vector<TimePeriod> out;
  if (!list) return out;
  if (!list.IsSequence()) return Status::InvalidArgument("time_intervals must be a list");
  try {
    for (const auto& n : list) {
      TimePeriod p;
      if (!n.IsMap()) return Status::InvalidArgument("a time interval must be a map");
      for (const auto& kv : n) {
        std::string k = kv.first.as<std::string>();
        if (k != "times" && k != "weekdays" && k != "days_of_month" && k != "months" && k != "years" &&
            k != "location") {
          return Status::InvalidArgument("field " + k + " not found in type timeinterval.TimeInterval");
        }
      }
      if (n["times"]) {
        for (const auto& t : n["times"]) {
          auto a = ParseClock(t["start_time"].as<std::string>(""));
          if (!a.ok()) return a.status();
          auto b = ParseClock(t["end_time"].as<std::string>(""));
          if (!b.ok()) return b.status();
          if (*a >= *b) return Status::InvalidArgument("start time cannot be equal or greater than end time");
          p.times.push_back({*a, *b});
        }
      }
      Status st = ParseRanges(
          n["weekdays"], "weekdays", [](const std::string& s) { return ParseNamedOrNumber(s, kWeekdays, 7, 0); },
          &p.weekdays);
      if (!st.ok()) return st;
      for (auto [a, b] : p.weekdays) {
        if (a > b) return Status::InvalidArgument("start day cannot be before end day");
      }
      st = ParseRanges(
          n["days_of_month"], "days_of_month",
          [](const std::string& s) { return ParseNamedOrNumber(s, nullptr, 0, 0); }, &p.days_of_month);
      if (!st.ok()) return st;
      for (auto [a, b] : p.days_of_month) {
        if (a == 0 || b == 0 || a < -31 || a > 31 || b < -31 || b > 31) {
          return Status::InvalidArgument("days of month must be between 1 and 31 or -31 and -1");
        }
        if ((a > 0) == (b > 0) && a > b) return Status::InvalidArgument("end day must be greater than start day");
      }
      st = ParseRanges(
          n["months"], "months", [](const std::string& s) { return ParseNamedOrNumber(s, kMonths, 12, 1); },
          &p.months);
      if (!st.ok()) return st;
      for (auto [a, b] : p.months) {
        if (a < 1 || b > 12 || a > b) return Status::InvalidArgument("month values must be 1..12, start <= end");
      }
      st = ParseRanges(
          n["years"], "years", [](const std::string& s) { return ParseNamedOrNumber(s, nullptr, 0, 0); },
          &p.years);
      if (!st.ok()) return st;
      for (auto [a, b] : p.years) {
        if (a > b) return Status::InvalidArgument("end year must be greater than or equal to start year");
      }
      p.location = n["location"].as<std::string>("");
      out.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("bad time interval: ") + e.what());
  }
  return out;
}

}  // namespace vigil::alertmanager
