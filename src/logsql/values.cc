#include "logsql/values.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "base/go_format.h"
#include "logstore/tokenizer.h"

namespace vigil::logsql {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses a plain decimal float (digits, optional fraction and exponent) after
// `_` separators were removed. The whole input must be consumed.
std::optional<double> ParsePlainFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (*begin == '+') ++begin;
  if (begin == end) return std::nullopt;
  // from_chars accepts "inf"/"nan"; only digits and '.' may start here.
  if (!IsDigit(*begin) && *begin != '-' && *begin != '.') return std::nullopt;
  auto [ptr, ec] = std::from_chars(begin, end, v, std::chars_format::general);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

// Reads exactly `n` digits at s[*pos].
bool ReadDigits(std::string_view s, size_t* pos, size_t n, unsigned* out) {
  if (*pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

// Parses a `Z` / `±hh:mm` / empty zone suffix at s[pos..] into an offset in
// seconds east of UTC.
std::optional<int64_t> ParseZone(std::string_view s, size_t pos) {
  if (pos == s.size()) return 0;
  if (s.substr(pos) == "Z" || s.substr(pos) == "z") return 0;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos] == '-' ? -1 : 1;
  size_t p = pos + 1;
  unsigned hh = 0, mm = 0;
  if (!ReadDigits(s, &p, 2, &hh) || p >= s.size() || s[p] != ':') return std::nullopt;
  ++p;
  if (!ReadDigits(s, &p, 2, &mm) || p != s.size() || hh > 23 || mm > 59) return std::nullopt;
  return sign * static_cast<int64_t>(hh * 3600 + mm * 60);
}

}  // namespace

std::optional<int64_t> ParseDurationNs(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (IsDigit(s[i]) || s[i] == '.' || s[i] == '_')) ++i;
    if (i == 0) return std::nullopt;
    std::string digits;
    for (char c : s.substr(0, i))
      if (c != '_') digits.push_back(c);
    auto num = ParsePlainFloat(digits);
    if (!num) return std::nullopt;
    s.remove_prefix(i);
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"ns", 1},         {"us", 1e3},          {"\xC2\xB5s", 1e3},    {"ms", 1e6},       {"s", 1e9},
        {"m", 60e9},       {"h", 3600e9},        {"d", 86400e9},        {"w", 7 * 86400e9}, {"y", 365 * 86400e9}};
    double unit = 0;
    for (const auto& [name, mult] : kUnits) {
      // "m" must not swallow the "m" of "ms".
      if (s.substr(0, name.size()) == name && !(name == "m" && s.substr(0, 2) == "ms")) {
        unit = mult;
        s.remove_prefix(name.size());
        break;
      }
    }
    if (unit == 0) return std::nullopt;
    total += *num * unit;
  }
  if (total > 9.2e18) return std::nullopt;
  const auto ns = static_cast<int64_t>(std::llround(total));
  return negative ? -ns : ns;
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  if (s == "Inf" || s == "+Inf" || s == "inf" || s == "+inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf" || s == "-inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
  std::string clean;
  for (char c : s)
    if (c != '_') clean.push_back(c);
  if (clean.empty()) return std::nullopt;
  if (auto v = ParsePlainFloat(clean)) return v;
  std::string_view body = clean;
  bool negative = false;
  if (body[0] == '-' || body[0] == '+') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(body.data() + 2, body.data() + body.size(), v, 16);
    if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
    return negative ? -static_cast<double>(v) : static_cast<double>(v);
  }
  // Byte sizes: a number followed by K/M/G/T/P with optional "i" and "B".
  size_t i = 0;
  while (i < body.size() && (IsDigit(body[i]) || body[i] == '.')) ++i;
  if (i > 0 && i < body.size()) {
    static constexpr std::pair<std::string_view, double> kSizes[] = {
        {"KiB", 1024.0},          {"MiB", 1048576.0},         {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
        {"Ki", 1024.0},           {"Mi", 1048576.0},          {"Gi", 1073741824.0},  {"Ti", 1099511627776.0},
        {"KB", 1e3},              {"MB", 1e6},                {"GB", 1e9},           {"TB", 1e12},
        {"K", 1e3},               {"M", 1e6},                 {"G", 1e9},            {"T", 1e12},
        {"B", 1}};
    const std::string_view suffix = body.substr(i);
    for (const auto& [name, mult] : kSizes) {
      if (suffix == name) {
        auto num = ParsePlainFloat(body.substr(0, i));
        if (!num) return std::nullopt;
        return (negative ? -1 : 1) * *num * mult;
      }
    }
  }
  if (auto d = ParseDurationNs(body)) return (negative ? -1.0 : 1.0) * static_cast<double>(*d);
  return std::nullopt;
}

std::optional<TimePeriod> ParseTimePeriod(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  // Unix seconds (with fraction): anything that is a plain number of more
  // than 4 digits before the point (a bare "2023" is a year).
  {
    size_t int_digits = 0;
    while (int_digits < s.size() && IsDigit(s[int_digits])) ++int_digits;
    if (int_digits > 4 && (int_digits == s.size() || s[int_digits] == '.')) {
      if (int_digits > 10) return std::nullopt;
      int64_t ns = 0;
      for (size_t i = 0; i < int_digits; ++i) ns = ns * 10 + (s[i] - '0');
      ns *= kSecond;
      if (int_digits < s.size()) {
        int64_t scale = kSecond;
        for (size_t i = int_digits + 1; i < s.size(); ++i) {
          if (!IsDigit(s[i])) return std::nullopt;
          scale /= 10;
          ns += (s[i] - '0') * scale;
        }
      }
      return TimePeriod{ns, ns + 1};
    }
  }
  size_t pos = 0;
  unsigned year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t frac_ns = 0;
  int64_t period_ns = 0;  // 0 = months/years, computed below
  int level = 0;          // 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction
  if (!ReadDigits(s, &pos, 4, &year)) return std::nullopt;
  level = 1;
  if (pos + 1 < s.size() && s[pos] == '-' && IsDigit(s[pos + 1])) {
    ++pos;
    if (!ReadDigits(s, &pos, 2, &month) || month < 1 || month > 12) return std::nullopt;
    level = 2;
    if (pos + 1 < s.size() && s[pos] == '-' && IsDigit(s[pos + 1])) {
      ++pos;
      if (!ReadDigits(s, &pos, 2, &day) || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
      level = 3;
      if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
        ++pos;
        if (!ReadDigits(s, &pos, 2, &hour) || hour > 23) return std::nullopt;
        level = 4;
        if (pos + 1 < s.size() && s[pos] == ':' && IsDigit(s[pos + 1])) {
          ++pos;
          if (!ReadDigits(s, &pos, 2, &minute) || minute > 59) return std::nullopt;
          level = 5;
          if (pos + 1 < s.size() && s[pos] == ':' && IsDigit(s[pos + 1])) {
            ++pos;
            if (!ReadDigits(s, &pos, 2, &second) || second > 60) return std::nullopt;
            level = 6;
            if (pos < s.size() && s[pos] == '.') {
              ++pos;
              size_t digits = 0;
              int64_t scale = kSecond;
              while (pos < s.size() && IsDigit(s[pos])) {
                if (digits < 9) {
                  scale /= 10;
                  frac_ns += (s[pos] - '0') * scale;
                }
                ++digits;
                ++pos;
              }
              if (digits == 0) return std::nullopt;
              level = 7;
            }
          }
        }
      }
    }
  }
  auto zone = ParseZone(s, pos);
  if (!zone) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - *zone;
  if (secs > 9'200'000'000LL || secs < -9'200'000'000LL) return std::nullopt;
  const int64_t start = secs * kSecond + frac_ns;
  switch (level) {
    case 1: period_ns = (DaysFromCivil(year + 1, 1, 1) - days) * 86400 * kSecond; break;
    case 2:
      period_ns = (month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, month + 1, 1)) - days;
      period_ns *= 86400 * kSecond;
      break;
    case 3: period_ns = 86400 * kSecond; break;
    case 4: period_ns = 3600 * kSecond; break;
    case 5: period_ns = 60 * kSecond; break;
    case 6: period_ns = kSecond; break;
    default: period_ns = 1; break;
  }
  return TimePeriod{start, start + period_ns};
}

std::string FormatRfc3339Nano(int64_t unix_ns) {
  int64_t secs = unix_ns / kSecond;
  int64_t frac = unix_ns % kSecond;
  if (frac < 0) {
    frac += kSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0 || y > 9999) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                                m, d, static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                                static_cast<long long>(rem % 60));
    return std::string(buf, static_cast<size_t>(n));
  }
  // Hot path (every result row): digits written by hand, no snprintf.
  char buf[32] = "0000-00-00T00:00:00";
  auto put = [&](int pos, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) buf[pos + i] = static_cast<char>('0' + v % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, rem / 3600, 2);
  put(14, rem / 60 % 60, 2);
  put(17, rem % 60, 2);
  size_t len = 19;
  if (frac != 0) {
    buf[len++] = '.';
    put(static_cast<int>(len), frac, 9);
    len += 9;
    while (buf[len - 1] == '0') --len;
  }
  buf[len++] = 'Z';
  return std::string(buf, len);
}

std::optional<int64_t> ParseRfc3339Nano(std::string_view s) {
  // Fast path for what FormatRfc3339Nano prints: YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z.
  if (s.size() >= 20 && s.size() <= 30 && s.back() == 'Z' && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
      s[13] == ':' && s[16] == ':' && (s.size() == 20 || (s[19] == '.' && s.size() > 21))) {
    size_t p = 0;
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    bool ok = ReadDigits(s, &p, 4, &y);
    p = 5;
    ok = ok && ReadDigits(s, &p, 2, &mo);
    p = 8;
    ok = ok && ReadDigits(s, &p, 2, &d);
    p = 11;
    ok = ok && ReadDigits(s, &p, 2, &h);
    p = 14;
    ok = ok && ReadDigits(s, &p, 2, &mi);
    p = 17;
    ok = ok && ReadDigits(s, &p, 2, &se);
    if (ok && mo >= 1 && mo <= 12 && d >= 1 && d <= DaysInMonth(y, mo) && h < 24 && mi < 60 && se < 61) {
      int64_t frac = 0, scale = kSecond;
      for (size_t i = 20; i + 1 < s.size(); ++i) {
        if (!IsDigit(s[i])) return std::nullopt;
        scale /= 10;
        frac += (s[i] - '0') * scale;
      }
      return (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * kSecond + frac;
    }
    return std::nullopt;
  }
  // Requires at least seconds and an explicit zone, so that plain numbers and
  // words are never taken for times.
  if (s.size() < 20 || s[4] != '-' || s[10] != 'T') return std::nullopt;
  const char last = s.back();
  if (last != 'Z' && s.find_last_of("+-") < 19) return std::nullopt;
  auto p = ParseTimePeriod(s);
  if (!p || p->end_ns - p->start_ns > kSecond) return std::nullopt;
  return p->start_ns;
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";
  char buf[400];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return FormatGoFloat(v);
  return std::string(buf, ptr);
}

int CompareValues(std::string_view a, std::string_view b) {
  const auto na = ParseNumber(a), nb = ParseNumber(b);
  if (na && nb && !std::isnan(*na) && !std::isnan(*nb)) {
    if (*na != *nb) return *na < *nb ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
  }
  if (a.size() >= 20 && b.size() >= 20) {
    const auto ta = ParseRfc3339Nano(a), tb = ParseRfc3339Nano(b);
    if (ta && tb && *ta != *tb) return *ta < *tb ? -1 : 1;
  }
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

std::optional<uint32_t> ParseIpv4(std::string_view s) {
  uint32_t out = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    size_t i = 0;
    unsigned v = 0;
    while (i < s.size() && i < 4 && IsDigit(s[i])) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    if (i == 0 || i > 3 || v > 255) return std::nullopt;
    s.remove_prefix(i);
    out = (out << 8) | v;
  }
  if (!s.empty()) return std::nullopt;
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string FormatStreamId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(id));
  return std::string(buf, 16);
}

void AppendLogsqlString(std::string* out, std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s)
    if (!logstore::IsTokenByte(c) && c != '.' && c != '-' && c != '/') plain = false;
  if (plain) {
    static constexpr std::string_view kKeywords[] = {"and", "or", "not", "by", "as", "if", "offset", "limit"};
    const std::string lower = AsciiLower(s);
    for (auto k : kKeywords)
      if (lower == k) plain = false;
    if (s[0] == '-') plain = false;
  }
  if (plain)
    out->append(s);
  else
    AppendQuoted(out, s);
}

}  // namespace vigil::logsql
