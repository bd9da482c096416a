#pragma once
// Timestamps as the Go-written peers print them in JSON APIs.

#include <cstdint>
#include <string>

namespace vigil {

// Go's time.RFC3339Nano rendering of a Unix time in milliseconds, in UTC
// ("2023-03-01T12:00:00.123Z", trailing zeros of the fraction dropped);
// 0 renders as Go's zero time "0001-01-01T00:00:00Z".
std::string FormatRfc3339Millis(int64_t unix_ms);

}  // namespace vigil
