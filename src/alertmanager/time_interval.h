#pragma once
// Alertmanager's time_intervals: named sets of periods (times of day,
// weekdays, days of month, months, years, in a location) that routes use in
// mute_time_intervals / active_time_intervals.
//
// Thread-safety: immutable after parsing; Contains() is const and reentrant.

#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace vigil::alertmanager {

// One entry of a time_intervals list. An empty field means "any".
struct TimePeriod {
  std::vector<std::pair<int, int>> times;          // minutes of day [start, end)
  std::vector<std::pair<int, int>> weekdays;       // 0=sunday..6, inclusive ranges
  std::vector<std::pair<int, int>> days_of_month;  // 1..31 or negative from month end, inclusive
  std::vector<std::pair<int, int>> months;         // 1..12, inclusive
  std::vector<std::pair<int, int>> years;          // inclusive
  std::string location;                            // IANA name; "" or "UTC" = UTC, "Local" = local time

  // True when the Unix-millisecond instant `ms` falls inside this period.
  bool Contains(int64_t ms) const;
};

// A named list of periods; the interval is active when any period contains now.
struct TimeInterval {
  std::string name;
  std::vector<TimePeriod> periods;

  bool Contains(int64_t ms) const;
};

// Parses one `time_intervals:` list entry's period list (the value of its
// inner `time_intervals` key). InvalidArgument with Alertmanager-like
// messages on bad ranges ("start day cannot be after end day", ...).
Result<std::vector<TimePeriod>> ParseTimePeriods(const YAML::Node& list);

}  // namespace vigil::alertmanager
