#pragma once
// Timestamps as the Go-written peers print them in JSON APIs.

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

// Go's time.RFC3339Nano rendering of a Unix time in milliseconds, in UTC
// ("2023-03-01T12:00:00.123Z", trailing zeros of the fraction dropped);
// 0 renders as Go's zero time "0001-01-01T00:00:00Z".
std::string FormatRfc3339Millis(int64_t unix_ms);

// Go's time.RFC3339Nano rendering of a Unix time in nanoseconds, in UTC
// ("2023-03-01T12:00:00.123456789Z", trailing zeros of the fraction dropped),
// as VictoriaLogs prints `_time`.
std::string FormatRfc3339Nanos(int64_t unix_ns);

// Parses RFC 3339 and its partial forms ("2023", "2023-03", "2023-03-01",
// "2023-03-01T12", "...T12:30", "...T12:30:00.5", each with optional "Z" or
// "+hh:mm"; a space may stand for "T") into Unix nanoseconds. False when `s`
// is not of that shape.
bool ParseRfc3339Nanos(std::string_view s, int64_t* out_ns);

}  // namespace vigil
