#pragma once
// Go time and duration text used by the template functions: time.Time's
// String and Format (in UTC) and Prometheus' model.ParseDuration. Internal
// to the template module. Pure and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::tmpl::internal {

// time.Time.String() of a UTC time:
// "2006-01-02 15:04:05.999999999 +0000 UTC" (trailing fraction zeros cut).
std::string GoTimeString(int64_t unix_nanos);

// time.Time.Format(layout) in UTC. Supports Go's layout elements: 2006 06
// January Jan 01 1 Monday Mon 02 _2 2 002 15 03 3 04 4 05 5 PM pm MST
// -0700 -07:00 -07 -07:00:00 Z0700 Z07:00 Z07 and fractions .000 / .999
// (also with a comma). Other text is copied.
std::string FormatGoTime(int64_t unix_nanos, std::string_view layout);

// Prometheus' model.ParseDuration ("1h2m10ms", units y w d h m s ms, each
// at most once, in that order; "0" alone allowed), in seconds.
Result<double> ParsePromDurationSeconds(std::string_view s);

}  // namespace vigil::tmpl::internal
