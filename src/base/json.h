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

// Appends a JSON object whose members are the (name, value) string pairs of
// `pairs`, in range order: a std::map<std::string, std::string>, a
// tsdb::Labels, or anything whose elements destructure into two strings.
template <typename Range>
void AppendStringObject(std::string* out, const Range& pairs) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : pairs) {
    if (!first) out->push_back(',');
    first = false;
    AppendString(out, name);
    out->push_back(':');
    AppendString(out, value);
  }
  out->push_back('}');
}

}  // namespace vigil::json
