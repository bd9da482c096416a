#include "textparse/number.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace vigil::textparse::internal {
namespace {

// Powers of ten that are exact doubles: the Clinger fast path multiplies or
// divides an exact mantissa by one of them, and a single IEEE operation on
// exact operands is correctly rounded.
constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kMaxExactMantissa = uint64_t{1} << 53;

char Lower(char c) { return static_cast<char>(c | 0x20); }

// Length of the case-insensitive common prefix of s and the lowercase word.
size_t CommonPrefixIgnoreCase(std::string_view s, std::string_view word) {
  size_t n = 0;
  while (n < s.size() && n < word.size() && Lower(s[n]) == word[n]) ++n;
  return n;
}

bool HasUnsupportedChar(std::string_view s) {
  return s.find_first_of("pP_") != std::string_view::npos;
}

// Converts a validated decimal (no sign) with the slow but exact library
// routines. Returns kRange on overflow; underflow gives 0 or a denormal.
NumberError SlowConvert(std::string_view unsigned_part, double* out) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(), v,
                                   std::chars_format::general);
  if (ec == std::errc() && ptr == unsigned_part.data() + unsigned_part.size()) {
    *out = v;
    return NumberError::kOk;
  }
  // from_chars reports both overflow and underflow as out of range; strtod
  // tells them apart (and Go accepts underflow). Rare path: copy to get a
  // terminating NUL.
  std::string copy(unsigned_part);
  errno = 0;
  char* end = nullptr;
  v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return NumberError::kSyntax;
  if (std::isinf(v)) return NumberError::kRange;
  *out = v;
  return NumberError::kOk;
}

}  // namespace

NumberError ParseGoFloat(std::string_view s, double* out) {
  const char* p = s.data();
  const char* const end = p + s.size();
  if (p == end) return NumberError::kSyntax;
  bool negative = false;
  bool has_sign = false;
  if (*p == '+' || *p == '-') {
    negative = *p == '-';
    has_sign = true;
    ++p;
  }
  if (p < end && (Lower(*p) == 'i' || Lower(*p) == 'n')) {
    std::string_view rest(p, static_cast<size_t>(end - p));
    if (Lower(*p) == 'i') {
      size_t n = CommonPrefixIgnoreCase(rest, "infinity");
      if ((n == 3 || n == 8) && n == rest.size()) {
        *out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        return NumberError::kOk;
      }
    } else if (!has_sign && rest.size() == 3 && CommonPrefixIgnoreCase(rest, "nan") == 3) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return NumberError::kOk;
    }
    return HasUnsupportedChar(s) ? NumberError::kUnsupportedChar : NumberError::kSyntax;
  }

  // Mantissa: digits with at most one '.', at least one digit.
  const char* const number_begin = p;
  uint64_t mantissa = 0;
  int significant_digits = 0;
  int exp10 = 0;
  bool saw_digits = false;
  bool saw_dot = false;
  bool truncated = false;
  for (; p < end; ++p) {
    char c = *p;
    if (c >= '0' && c <= '9') {
      saw_digits = true;
      if (mantissa == 0 && c == '0') {
        if (saw_dot) --exp10;
      } else if (significant_digits < 19) {
        mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
        ++significant_digits;
        if (saw_dot) --exp10;
      } else {
        truncated = true;
        if (!saw_dot) ++exp10;
      }
    } else if (c == '.' && !saw_dot) {
      saw_dot = true;
    } else {
      break;
    }
  }
  if (!saw_digits) return HasUnsupportedChar(s) ? NumberError::kUnsupportedChar : NumberError::kSyntax;
  if (p < end && Lower(*p) == 'e') {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
      exp_negative = *p == '-';
      ++p;
    }
    if (p == end || *p < '0' || *p > '9') {
      return HasUnsupportedChar(s) ? NumberError::kUnsupportedChar : NumberError::kSyntax;
    }
    int e = 0;
    for (; p < end && *p >= '0' && *p <= '9'; ++p) {
      if (e < 100000) e = e * 10 + (*p - '0');
    }
    exp10 += exp_negative ? -e : e;
  }
  if (p != end) return HasUnsupportedChar(s) ? NumberError::kUnsupportedChar : NumberError::kSyntax;

  double v;
  if (mantissa == 0) {
    v = 0.0;
  } else if (!truncated && mantissa <= kMaxExactMantissa && exp10 >= -22 && exp10 <= 22) {
    double m = static_cast<double>(mantissa);
    v = exp10 < 0 ? m / kExactPow10[-exp10] : m * kExactPow10[exp10];
  } else {
    NumberError err = SlowConvert(std::string_view(number_begin, static_cast<size_t>(end - number_begin)), &v);
    if (err != NumberError::kOk) return err;
  }
  *out = negative ? -v : v;
  return NumberError::kOk;
}

NumberError ParseDigitsInt64(std::string_view digits, int64_t* out) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t v = 0;
  for (char c : digits) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMax - d) / 10) return NumberError::kRange;
    v = v * 10 + d;
  }
  *out = static_cast<int64_t>(v);
  return NumberError::kOk;
}

std::string FloatErrorText(NumberError err, std::string_view s) {
  switch (err) {
    case NumberError::kUnsupportedChar:
      return "unsupported character in float";
    case NumberError::kRange:
      return "strconv.ParseFloat: parsing " + GoQuote(s) + ": value out of range";
    default:
      return "strconv.ParseFloat: parsing " + GoQuote(s) + ": invalid syntax";
  }
}

std::string IntErrorText(NumberError err, std::string_view s) {
  return "strconv.ParseInt: parsing " + GoQuote(s) +
         (err == NumberError::kRange ? ": value out of range" : ": invalid syntax");
}

namespace {

// Length of the valid UTF-8 sequence starting at s[0], or 0 if invalid.
size_t Utf8SequenceLength(const unsigned char* s, size_t avail) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (avail < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string GoQuote(std::string_view s, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool cut = s.size() > max_bytes;
  if (cut) s = s.substr(0, max_bytes);
  std::string out;
  out.reserve(s.size() + 8);
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(p + i, s.size() - i);
      if (len > 0) {
        out.append(s.data() + i, len);
        i += len;
        continue;
      }
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  if (cut) out += "...";
  out.push_back('"');
  return out;
}

}  // namespace vigil::textparse::internal
