#pragma once
// Value syntax shared by LogsQL's filters and pipes: numbers with `_`
// separators and byte/duration suffixes, durations, (partial) RFC 3339 times,
// IPv4 addresses, and the number/time renderings VictoriaLogs prints.
// Pure functions; safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::logsql {

// Parses a number as LogsQL accepts it in filters and field values: a decimal
// or float ("12", "-1.5e3", "1_000"), "Inf"/"-Inf"/"NaN", hex ("0x1F"), a
// byte size ("10KiB", "1.5MB", "3G") or a duration ("1h5m", "1.5s", which
// become nanoseconds). Returns nullopt for anything else (including "").
std::optional<double> ParseNumber(std::string_view s);

// Parses a LogsQL duration ("5m", "1h30m", "2.5d15m42.345s", "-1h"; units ns,
// us, µs, ms, s, m, h, d, w, y = 365d) into nanoseconds. nullopt when
// malformed or out of range.
std::optional<int64_t> ParseDurationNs(std::string_view s);

// A time period [start_ns, end_ns): a partial RFC 3339 time covers its whole
// period ("2023" a year, "2023-04-25" a day, "...T22:45" a minute).
struct TimePeriod {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

// Parses an absolute time as the `_time` filter takes it: partial RFC 3339
// (YYYY[-MM[-DD[THH[:MM[:SS[.frac]]]]]]) with an optional `Z` or `±hh:mm`
// suffix (none = UTC), or a Unix timestamp in seconds (fractions allowed).
// nullopt when malformed.
std::optional<TimePeriod> ParseTimePeriod(std::string_view s);

// Go's time.RFC3339Nano rendering of a nanosecond Unix time in UTC, as
// VictoriaLogs prints `_time`: "2023-04-25T22:45:59.123Z" (fraction trimmed).
std::string FormatRfc3339Nano(int64_t unix_ns);

// Parses a full RFC 3339 timestamp as FormatRfc3339Nano prints it (any
// offset accepted). nullopt when `s` is not one.
std::optional<int64_t> ParseRfc3339Nano(std::string_view s);

// A float as VictoriaLogs prints stats and math results: shortest digits that
// round-trip, fixed notation ("3", "0.25", "1000000"), "NaN", "+Inf", "-Inf".
std::string FormatFloat(double v);

// Orders two field values as VictoriaLogs' sort does: numerically when both
// are numbers, by time when both are RFC 3339 timestamps, else bytewise.
// Returns <0, 0, >0.
int CompareValues(std::string_view a, std::string_view b);

// Parses a dotted-quad IPv4 address ("10.0.0.1") into host order.
std::optional<uint32_t> ParseIpv4(std::string_view s);

// The number of UTF-8 code points in `s` (invalid bytes count as one each).
size_t Utf8Length(std::string_view s);

// ASCII lower-casing (bytes >= 0x80 are left as they are).
std::string AsciiLower(std::string_view s);

// `_stream_id` as printed: 16 lower-case hex digits.
std::string FormatStreamId(uint64_t id);

// Appends `s` quoted for LogsQL text (double quotes, Go escapes) when it is
// not a plain word, else as is. Used by String() renderings.
void AppendLogsqlString(std::string* out, std::string_view s);

}  // namespace vigil::logsql
