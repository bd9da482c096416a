#include "config/values.h"

#include <arpa/inet.h>

#include <array>
#include <cctype>

namespace vigil::config {
namespace {

struct DurationUnit {
  std::string_view name;
  int64_t millis;
};

// Largest first: a duration lists its terms in this order.
constexpr std::array<DurationUnit, 7> kDurationUnits = {{
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of decimal digits at s[*pos] into *out. False when there is no
// digit or the number overflows uint64.
bool ReadUint(std::string_view s, size_t* pos, uint64_t* out) {
  size_t start = *pos;
  uint64_t v = 0;
  while (*pos < s.size() && IsDigit(s[*pos])) {
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, uint64_t(s[*pos] - '0'), &v)) return false;
    ++*pos;
  }
  *out = v;
  return *pos > start;
}

Status BadDuration(std::string_view s, std::string_view why) {
  return Status::InvalidArgument("invalid duration \"" + std::string(s) + "\": " + std::string(why));
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view s) {
  if (s.empty()) return BadDuration(s, "empty");
  if (s == "0") return std::chrono::milliseconds(0);
  int64_t total = 0;
  size_t pos = 0;
  size_t next_unit = 0;  // index into kDurationUnits of the smallest unit still allowed
  while (pos < s.size()) {
    uint64_t n = 0;
    if (!IsDigit(s[pos])) return BadDuration(s, "expected a number at \"" + std::string(s.substr(pos)) + "\"");
    if (!ReadUint(s, &pos, &n)) return BadDuration(s, "number too large");
    size_t unit_start = pos;
    while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
    std::string_view unit = s.substr(unit_start, pos - unit_start);
    if (unit.empty()) return BadDuration(s, "missing unit (one of y, w, d, h, m, s, ms)");
    size_t idx = 0;
    while (idx < kDurationUnits.size() && kDurationUnits[idx].name != unit) ++idx;
    if (idx == kDurationUnits.size()) {
      return BadDuration(s, "unknown unit \"" + std::string(unit) + "\" (one of y, w, d, h, m, s, ms)");
    }
    if (idx < next_unit) return BadDuration(s, "units must go from largest to smallest, each at most once");
    next_unit = idx + 1;
    int64_t term = 0;
    if (n > uint64_t(INT64_MAX) || __builtin_mul_overflow(int64_t(n), kDurationUnits[idx].millis, &term) ||
        __builtin_add_overflow(total, term, &total)) {
      return BadDuration(s, "too large");
    }
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t left = d.count();
  if (left <= 0) return "0s";
  std::string out;
  for (const auto& u : kDurationUnits) {
    // Years and weeks only when exact, as Prometheus prints: "15d", not "2w1d".
    const bool exact_only = u.name[0] == 'y' || u.name[0] == 'w';
    if (exact_only && left % u.millis != 0) continue;
    if (left >= u.millis) {
      out += std::to_string(left / u.millis);
      out += u.name;
      left %= u.millis;
    }
  }
  return out;
}

Result<uint64_t> ParseSize(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid size \"" + std::string(s) + "\": " + std::string(why));
  };
  size_t pos = 0;
  uint64_t whole = 0;
  if (s.empty()) return bad("empty");
  if (!IsDigit(s[0])) return bad("expected a number of bytes, optionally with a unit such as KiB or MB");
  if (!ReadUint(s, &pos, &whole)) return bad("too large");
  uint64_t frac_num = 0, frac_den = 1;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t frac_start = pos;
    while (pos < s.size() && IsDigit(s[pos])) {
      if (pos - frac_start >= 9) return bad("too many fraction digits");
      frac_num = frac_num * 10 + uint64_t(s[pos] - '0');
      frac_den *= 10;
      ++pos;
    }
    if (pos == frac_start) return bad("expected digits after the decimal point");
  }
  std::string unit;
  for (char c : s.substr(pos)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t mult = 0;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit.size() == 2 && unit[1] == 'b') {
    static constexpr std::string_view kDecimal = "kmgt";
    size_t i = kDecimal.find(unit[0]);
    if (i != std::string_view::npos) {
      mult = 1000;
      for (size_t k = 0; k < i; ++k) mult *= 1000;
    }
  } else if (unit.size() == 3 && unit[1] == 'i' && unit[2] == 'b') {
    static constexpr std::string_view kBinary = "kmgt";
    size_t i = kBinary.find(unit[0]);
    if (i != std::string_view::npos) mult = uint64_t(1) << (10 * (i + 1));
  }
  if (mult == 0) return bad("unknown unit (one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
  if (mult == 1 && frac_den != 1) return bad("a number of bytes must be whole");
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(whole, mult, &bytes)) return bad("too large");
  // frac_num < frac_den <= 1e9 and mult <= 2^40, so the product fits.
  unsigned __int128 frac_bytes = static_cast<unsigned __int128>(frac_num) * mult / frac_den;
  if (__builtin_add_overflow(bytes, static_cast<uint64_t>(frac_bytes), &bytes)) return bad("too large");
  return bytes;
}

namespace {

bool IsValidHostName(std::string_view host) {
  if (host.size() > 253) return false;
  size_t label_start = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
      label_start = i + 1;
      continue;
    }
    char c = host[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

bool LooksNumeric(std::string_view host) {
  for (char c : host) {
    if (!IsDigit(c) && c != '.') return false;
  }
  return true;
}

}  // namespace

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid address \"" + std::string(s) + "\": " + std::string(why));
  };
  if (s.empty()) return bad("empty");
  std::string host;
  std::string_view port;
  if (s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return bad("missing \"]\" after the IPv6 address");
    host = std::string(s.substr(1, close - 1));
    if (close + 1 >= s.size() || s[close + 1] != ':') return bad("missing \":port\" after \"]\"");
    port = s.substr(close + 2);
    std::string addr = host.substr(0, host.find('%'));  // a zone ("%eth0") is allowed
    in6_addr v6{};
    if (addr.empty() || inet_pton(AF_INET6, addr.c_str(), &v6) != 1) return bad("not an IPv6 address inside [...]");
  } else {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return bad("missing \":port\"");
    if (s.find(':', colon + 1) != std::string_view::npos) {
      return bad("an IPv6 address must be in brackets, e.g. [::1]:53");
    }
    host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
    if (!host.empty()) {
      if (LooksNumeric(host)) {
        in_addr v4{};
        if (inet_pton(AF_INET, host.c_str(), &v4) != 1) return bad("not an IPv4 address");
      } else if (!IsValidHostName(host)) {
        return bad("not a valid host name");
      }
    }
  }
  if (port.empty()) return bad("missing port number");
  size_t pos = 0;
  uint64_t n = 0;
  if (port.size() > 5 || !ReadUint(port, &pos, &n) || pos != port.size()) return bad("port must be a number 0..65535");
  if (n > 65535) return bad("port " + std::to_string(n) + " is out of range 0..65535");
  return std::make_pair(std::move(host), static_cast<uint16_t>(n));
}

std::string DialAddress(std::string_view listen) {
  auto hp = ParseHostPort(listen);
  if (!hp.ok()) return std::string(listen);
  const auto& [host, port] = *hp;
  const std::string p = std::to_string(port);
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1:" + p;
  if (host == "::") return "[::1]:" + p;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + p;
  return host + ":" + p;
}

}  // namespace vigil::config
