#pragma once
// Parsing of the query parameters the Prometheus and VictoriaMetrics HTTP
// APIs share: timestamps (`time`, `start`, `end`) and durations (`step`).

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace vigil::metrics {

// Parses a timestamp parameter into Unix milliseconds. Accepts what
// VictoriaMetrics accepts: Unix seconds with an optional fraction
// ("1700000000.5"), integer milliseconds/microseconds/nanoseconds (told apart
// by magnitude), RFC 3339 ("2023-11-14T22:13:20Z", "...+02:00", fractions),
// partial RFC 3339 ("2023", "2023-11", "2023-11-14", "2023-11-14T22",
// "2023-11-14T22:13"), "now", and relative forms ("-1h5m", "1h", "now-1h").
// Errors are InvalidArgument: `cannot parse "<s>" to a valid timestamp`.
Result<int64_t> ParseTimestampMs(std::string_view s, int64_t now_ms);

// Parses a duration as Prometheus does ("5m", "1h30m", "1.5" seconds, "250ms")
// into milliseconds.
Result<int64_t> ParseDurationMs(std::string_view s);

// Current wall-clock time in Unix milliseconds.
int64_t NowMs();

}  // namespace vigil::metrics
