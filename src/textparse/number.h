#pragma once
// Number and string helpers shared by the text-format parsers: float and
// integer parsing with the exact acceptance rules of Go's strconv (which is
// what Prometheus uses), and Go-%q-style quoting for error messages.
// Internal to the textparse module.

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::textparse::internal {

// Why a number did not parse.
enum class NumberError : uint8_t {
  kOk,
  kUnsupportedChar,  // 'p', 'P' or '_' (Prometheus refuses Go 1.13+ float syntax)
  kSyntax,           // not a number in Go's grammar
  kRange,            // magnitude too large for the type
};

// Parses `s` as Prometheus does: Go's strconv.ParseFloat(s, 64) after
// rejecting any 'p', 'P' or '_'. Accepts [+-]digits[.digits][e[+-]digits]
// (".5" and "5." too), "inf"/"infinity" with an optional sign and "nan",
// all case-insensitive. Hexadecimal is never accepted (it needs a 'p').
// Overflow is kRange; underflow yields zero (or a denormal), as in Go.
// On kOk stores the value in *out (NaN as the platform's quiet NaN; callers
// normalize it).
NumberError ParseGoFloat(std::string_view s, double* out);

// Parses a non-empty run of ASCII digits as an int64.
// REQUIRES: every byte of `digits` is '0'..'9' and digits is not empty.
// Returns kRange if the value exceeds INT64_MAX, else kOk.
NumberError ParseDigitsInt64(std::string_view digits, int64_t* out);

// Go's error text for a failed ParseFloat of `s`, e.g.
// `strconv.ParseFloat: parsing "1z": invalid syntax`.
std::string FloatErrorText(NumberError err, std::string_view s);

// Go's error text for a failed ParseInt of `s`.
std::string IntErrorText(NumberError err, std::string_view s);

// Quotes `s` the way Go's %q does (printable ASCII and valid UTF-8 kept,
// other bytes escaped), keeping at most `max_bytes` input bytes and
// appending "..." inside the quotes when cut.
std::string GoQuote(std::string_view s, size_t max_bytes = 64);

// Whether `s` is valid UTF-8 as Go's utf8.Valid defines it (no overlong
// forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace vigil::textparse::internal
