#pragma once
// Leveled, structured logging to stderr: logfmt by default, JSON by option.
//
//   VLOG_INFO("listening", {{"component", "metrics"}, {"addr", addr}});
//
// Thread-safe: each record is formatted into one buffer and written with a
// single write(2), so lines from different threads never interleave.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace vigil::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kLogfmt, kJson };

// One key=value pair of a record. Values are stringified by the caller.
using Field = std::pair<std::string_view, std::string>;

// Sets the minimum level and the output format. Safe at any time.
void Configure(Level min_level, Format format);
// Parses "debug|info|warn|error"; returns false on anything else.
bool ParseLevel(std::string_view s, Level* out);
// Parses "logfmt|json"; returns false on anything else.
bool ParseFormat(std::string_view s, Format* out);

// Writes one record if `level` is enabled. Adds ts, level and msg fields.
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

// Whether records at `level` are written; cheap.
bool Enabled(Level level);

}  // namespace vigil::log

#define VLOG_DEBUG(...) ::vigil::log::Write(::vigil::log::Level::kDebug, __VA_ARGS__)
#define VLOG_INFO(...) ::vigil::log::Write(::vigil::log::Level::kInfo, __VA_ARGS__)
#define VLOG_WARN(...) ::vigil::log::Write(::vigil::log::Level::kWarn, __VA_ARGS__)
#define VLOG_ERROR(...) ::vigil::log::Write(::vigil::log::Level::kError, __VA_ARGS__)
