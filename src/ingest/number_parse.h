#pragma once
// Strict whole-string number parsing for the text formats in src/ingest.
// Each function succeeds only when all of s is consumed, never allocates,
// and never reads outside s. Thread-safe (pure functions).

#include <charconv>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace vigil::ingest {

// Parses a decimal float: optional sign, digits with optional fraction and
// exponent, or inf / infinity / nan (any case). Returns false for anything
// else, including empty input and values out of double's range.
inline bool ParseDoubleStrict(std::string_view s, double* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *out, std::chars_format::general);
  return ec == std::errc() && ptr == end;
}

// Parses a decimal int64 with optional sign. False on overflow or junk.
inline bool ParseInt64Strict(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *out, 10);
  return ec == std::errc() && ptr == end;
}

// Parses a decimal uint64 (optional '+'). False on a '-' sign, overflow or junk.
inline bool ParseUint64Strict(std::string_view s, uint64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *out, 10);
  return ec == std::errc() && ptr == end;
}

}  // namespace vigil::ingest
