#pragma once
// Byte classes of the text exposition formats, as lookup tables (the lexers
// of Prometheus define the same classes as regular expressions).
// Internal to the textparse module.

#include <array>
#include <cstdint>
#include <string_view>

#include "textparse/textparse.h"

namespace vigil::textparse::internal {

enum CharClass : uint8_t {
  kMetricNameStart = 1 << 0,  // [a-zA-Z_:]
  kMetricNameChar = 1 << 1,   // [a-zA-Z0-9_:]
  kLabelNameStart = 1 << 2,   // [a-zA-Z_]
  kLabelNameChar = 1 << 3,    // [a-zA-Z0-9_]
  kDigit = 1 << 4,            // [0-9]
  kBlank = 1 << 5,            // [ \t]
  kValueEnd = 1 << 6,         // [ \t\n{]: ends a Prometheus-format value
  kCarriageReturn = 1 << 7,   // '\r' (a blank when accept_crlf is set)
};

// Bytes that end the plain run of a quoted label value.
enum QuotedStop : uint8_t {
  kQuoteOrBackslash = 1 << 0,  // '"' '\\'
  kHighByte = 1 << 1,          // >= 0x80: UTF-8 validation needed
  kNewline = 1 << 2,           // '\n': only OpenMetrics forbids it
};

constexpr std::array<uint8_t, 256> MakeCharClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha || c == ':') v |= kMetricNameStart | kMetricNameChar;
    if (digit) v |= kMetricNameChar | kLabelNameChar | kDigit;
    if (alpha) v |= kLabelNameStart | kLabelNameChar;
    if (c == ' ' || c == '\t') v |= kBlank;
    if (c == ' ' || c == '\t' || c == '\n' || c == '{') v |= kValueEnd;
    if (c == '\r') v |= kCarriageReturn;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

constexpr std::array<uint8_t, 256> MakeQuotedStops() {
  std::array<uint8_t, 256> t{};
  t['"'] = kQuoteOrBackslash;
  t['\\'] = kQuoteOrBackslash;
  t['\n'] = kNewline;
  for (int c = 0x80; c < 256; ++c) t[static_cast<size_t>(c)] = kHighByte;
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharClasses = MakeCharClasses();
inline constexpr std::array<uint8_t, 256> kQuotedStops = MakeQuotedStops();

inline bool Is(char c, uint8_t cls) { return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0; }

// The metric type named by a `# TYPE` line's text in `format`, or false when
// the format has no such type (Prometheus text says "untyped" and lacks the
// OpenMetrics-only gaugehistogram, info and stateset; OpenMetrics says "unknown").
inline bool LookupMetricType(std::string_view text, Format format, MetricType* out) {
  struct Name {
    std::string_view text;
    MetricType type;
    bool prometheus, openmetrics;
  };
  static constexpr Name kNames[] = {
      {"counter", MetricType::kCounter, true, true},
      {"gauge", MetricType::kGauge, true, true},
      {"histogram", MetricType::kHistogram, true, true},
      {"summary", MetricType::kSummary, true, true},
      {"untyped", MetricType::kUnknown, true, false},
      {"unknown", MetricType::kUnknown, false, true},
      {"gaugehistogram", MetricType::kGaugeHistogram, false, true},
      {"info", MetricType::kInfo, false, true},
      {"stateset", MetricType::kStateset, false, true},
  };
  for (const Name& n : kNames) {
    if (n.text == text && (format == Format::kPrometheus ? n.prometheus : n.openmetrics)) {
      *out = n.type;
      return true;
    }
  }
  return false;
}

}  // namespace vigil::textparse::internal
