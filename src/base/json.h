#pragma once
// Minimal JSON output helpers for hot paths (export, query results, logs),
// where building a DOM would cost more than the answer itself.

#include <string>
#include <string_view>

namespace vigil::json {

// Appends `s` as a quoted JSON string, escaping quotes, backslashes and
// control characters (\n \r \t or \u00XX). Bytes >= 0x80 are copied as is.
void AppendString(std::string* out, std::string_view s);

// Appends a finite double in the shortest form that round-trips ("1",
// "0.25", "1e+21"). NaN and infinities, which JSON cannot hold, are written
// as the strings "NaN", "+Inf" and "-Inf" in quotes.
void AppendNumber(std::string* out, double v);

}  // namespace vigil::json
