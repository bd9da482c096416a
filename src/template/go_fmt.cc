#include "template/go_fmt.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace vigil::tmpl::internal {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// One %-directive's flags, width and precision.
struct Spec {
  bool plus = false, minus = false, sharp = false, zero = false, space = false;
  int width = -1;
  int prec = -1;
};

void Pad(std::string_view body, const Spec& spec, std::string* out) {
  const size_t n = RuneCount(body);
  const size_t width = spec.width > 0 ? static_cast<size_t>(spec.width) : 0;
  if (n >= width) {
    out->append(body);
  } else if (spec.minus) {
    out->append(body);
    out->append(width - n, ' ');
  } else {
    out->append(width - n, ' ');
    out->append(body);
  }
}

// Pads a number: zero padding goes between the sign and the digits.
void PadNumber(std::string_view sign, std::string_view digits, const Spec& spec, bool zero_ok,
               std::string* out) {
  const size_t n = sign.size() + digits.size();
  const size_t width = spec.width > 0 ? static_cast<size_t>(spec.width) : 0;
  if (spec.zero && zero_ok && !spec.minus && n < width) {
    out->append(sign);
    out->append(width - n, '0');
    out->append(digits);
    return;
  }
  std::string body(sign);
  body.append(digits);
  Pad(body, spec, out);
}

void FormatInt(int64_t v, char verb, const Spec& spec, std::string* out) {
  const bool neg = v < 0;
  uint64_t mag = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (verb == 'c') {
    std::string s;
    AppendRune(static_cast<uint32_t>(v), &s);
    Pad(s, spec, out);
    return;
  }
  if (verb == 'q') {
    std::string s;
    AppendRune(static_cast<uint32_t>(v), &s);
    std::string q = GoQuote(s);
    q.front() = '\'';
    q.back() = '\'';
    Pad(q, spec, out);
    return;
  }
  int base = 10;
  const char* digits = kHexLower;
  std::string prefix;
  switch (verb) {
    case 'x': base = 16; if (spec.sharp) prefix = "0x"; break;
    case 'X': base = 16; digits = kHexUpper; if (spec.sharp) prefix = "0X"; break;
    case 'o': base = 8; if (spec.sharp) prefix = "0"; break;
    case 'b': base = 2; if (spec.sharp) prefix = "0b"; break;
    default: break;
  }
  std::string body;
  do {
    body.push_back(digits[mag % base]);
    mag /= base;
  } while (mag != 0);
  if (spec.prec >= 0 && body.size() < static_cast<size_t>(spec.prec)) body.append(spec.prec - body.size(), '0');
  if (spec.prec == 0 && v == 0) body.clear();  // Go: %.0d of 0 prints nothing
  body.append(prefix.rbegin(), prefix.rend());
  std::string rev(body.rbegin(), body.rend());
  const char* sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  PadNumber(sign, rev, spec, spec.prec < 0, out);
}

void FormatFloatVerb(double v, char verb, const Spec& spec, std::string* out) {
  const bool upper = verb == 'E' || verb == 'G';
  char lower = static_cast<char>(verb | 0x20);
  if (verb == 'v') lower = 'g';
  const bool neg = std::signbit(v) && !std::isnan(v);
  std::string body;
  std::string sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (std::isinf(v)) {
    if (!neg && !spec.space) sign = "+";
    PadNumber(sign, "Inf", spec, false, out);
    return;
  }
  if (std::isnan(v)) {
    PadNumber(spec.plus ? "+" : spec.space ? " " : "", "NaN", spec, false, out);
    return;
  }
  int prec = spec.prec;
  if (prec < 0 && (lower == 'e' || lower == 'f')) prec = 6;
  body = FormatFloat(std::fabs(v), lower, prec);
  if (upper) {
    for (char& c : body) {
      if (c == 'e') c = 'E';
    }
  }
  PadNumber(sign, body, spec, true, out);
}

void BadVerb(char verb, const Value& arg, std::string* out) {
  out->append("%!");
  out->push_back(verb);
  out->push_back('(');
  if (arg.is_nil()) {
    out->append("<nil>");
  } else {
    out->append(arg.GoTypeName());
    out->push_back('=');
    out->append(arg.ToString());
  }
  out->push_back(')');
}

void FormatOne(char verb, const Spec& spec, const Value& arg, std::string* out) {
  switch (arg.kind()) {
    case Value::Kind::kNil:
      if (verb == 'v') return Pad("<nil>", spec, out);
      return BadVerb(verb, arg, out);
    case Value::Kind::kBool:
      if (verb == 'v' || verb == 't') return Pad(arg.as_bool() ? "true" : "false", spec, out);
      return BadVerb(verb, arg, out);
    case Value::Kind::kInt:
      switch (verb) {
        case 'v': case 'd': case 'x': case 'X': case 'o': case 'b': case 'c': case 'q':
          return FormatInt(arg.as_int(), verb == 'v' ? 'd' : verb, spec, out);
        default:
          return BadVerb(verb, arg, out);
      }
    case Value::Kind::kFloat:
      switch (verb) {
        case 'v': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
          return FormatFloatVerb(arg.as_float(), verb, spec, out);
        default:
          return BadVerb(verb, arg, out);
      }
    case Value::Kind::kString: {
      std::string_view s = arg.as_string();
      switch (verb) {
        case 'v':
        case 's': {
          if (spec.prec >= 0) {
            size_t i = 0;
            for (int runes = 0; i < s.size() && runes < spec.prec; ++runes) {
              uint32_t r;
              i += DecodeRune(s.substr(i), &r);
            }
            s = s.substr(0, i);
          }
          return Pad(s, spec, out);
        }
        case 'q':
          return Pad(GoQuote(s), spec, out);
        case 'x':
        case 'X': {
          const char* digits = verb == 'x' ? kHexLower : kHexUpper;
          std::string hex;
          for (unsigned char c : s) {
            hex.push_back(digits[c >> 4]);
            hex.push_back(digits[c & 15]);
          }
          return Pad(hex, spec, out);
        }
        default:
          return BadVerb(verb, arg, out);
      }
    }
    case Value::Kind::kList: {
      // fmt applies the verb to each element.
      std::string body = "[";
      bool first = true;
      for (const Value& item : arg.as_list()) {
        if (!first) body.push_back(' ');
        first = false;
        FormatOne(verb, Spec{.plus = spec.plus, .sharp = spec.sharp, .space = spec.space, .prec = spec.prec},
                  item, &body);
      }
      body.push_back(']');
      return Pad(body, spec, out);
    }
    case Value::Kind::kMap:
    case Value::Kind::kSample:
    case Value::Kind::kTime:
      if (verb == 'v' || verb == 's') return Pad(arg.ToString(), spec, out);
      return BadVerb(verb, arg, out);
  }
}

}  // namespace

std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  if (prec >= 0) {
    if (prec > 300) prec = 300;
    const char f[] = {'%', '.', '*', fmt, '\0'};
    const int n = std::snprintf(buf, sizeof(buf), f, prec, v);
    if (n < 0) return std::string();
    if (static_cast<size_t>(n) < sizeof(buf)) return std::string(buf, n);
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), f, prec, v);
    big.resize(n);
    return big;
  }
  if (fmt == 'f') {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  if (fmt == 'e') return sci;
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  // strconv 'g' with the shortest digits decides on the exponent form with
  // precision 6: below 1e-4 or from 1e+06 (to_chars writes at least two
  // exponent digits, as Go does).
  const size_t e = sci.find('e');
  int exp = 0;
  const char* p = sci.data() + e + 1;
  if (*p == '+') ++p;
  std::from_chars(p, sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) return sci;
  r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string GoSprint(std::span<const Value> args) {
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const bool is_string = args[i].kind() == Value::Kind::kString;
    if (i > 0 && !is_string && !prev_string) out.push_back(' ');
    out.append(args[i].ToString());
    prev_string = is_string;
  }
  return out;
}

std::string GoSprintln(std::span<const Value> args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out.append(args[i].ToString());
  }
  out.push_back('\n');
  return out;
}

std::string GoSprintf(std::string_view format, std::span<const Value> args) {
  std::string out;
  size_t argi = 0;
  size_t i = 0;
  const size_t n = format.size();
  auto read_star = [&](int* dst, bool* minus) -> bool {
    if (argi >= args.size() || args[argi].kind() != Value::Kind::kInt) {
      ++argi;
      return false;
    }
    int64_t v = args[argi++].as_int();
    if (v < -1000000 || v > 1000000) return false;
    if (v < 0 && minus != nullptr) {
      *minus = true;
      v = -v;
    }
    *dst = static_cast<int>(v);
    return true;
  };
  while (i < n) {
    const size_t pct = format.find('%', i);
    if (pct == std::string_view::npos) {
      out.append(format.substr(i));
      break;
    }
    out.append(format.substr(i, pct - i));
    i = pct + 1;
    Spec spec;
    for (; i < n; ++i) {
      const char c = format[i];
      if (c == '+') spec.plus = true;
      else if (c == '-') spec.minus = true;
      else if (c == '#') spec.sharp = true;
      else if (c == '0') spec.zero = true;
      else if (c == ' ') spec.space = true;
      else break;
    }
    if (i < n && format[i] == '*') {
      ++i;
      if (!read_star(&spec.width, &spec.minus)) out.append("%!(BADWIDTH)");
    } else {
      int w = 0;
      bool any = false;
      while (i < n && IsDigit(format[i])) {
        if (w < 1000000) w = w * 10 + (format[i] - '0');
        any = true;
        ++i;
      }
      if (any) spec.width = w;
    }
    if (i < n && format[i] == '.') {
      ++i;
      spec.prec = 0;
      if (i < n && format[i] == '*') {
        ++i;
        if (!read_star(&spec.prec, nullptr)) {
          spec.prec = -1;
          out.append("%!(BADPREC)");
        }
      } else {
        int p = 0;
        while (i < n && IsDigit(format[i])) {
          if (p < 1000000) p = p * 10 + (format[i] - '0');
          ++i;
        }
        spec.prec = p;
      }
    }
    if (i >= n) {
      out.append("%!(NOVERB)");
      break;
    }
    const char verb = format[i++];
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    if (argi >= args.size()) {
      out.append("%!");
      out.push_back(verb);
      out.append("(MISSING)");
      continue;
    }
    FormatOne(verb, spec, args[argi++], &out);
  }
  if (argi < args.size()) {
    out.append("%!(EXTRA ");
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out.append(", ");
      if (args[k].is_nil()) {
        out.append("<nil>");
      } else {
        out.append(args[k].GoTypeName());
        out.push_back('=');
        out.append(args[k].ToString());
      }
    }
    out.push_back(')');
  }
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    const size_t w = DecodeRune(s.substr(i), &r);
    const auto b = static_cast<unsigned char>(s[i]);
    if (r == 0xFFFD && w == 1) {
      out.append("\\x");
      out.push_back(kHexLower[b >> 4]);
      out.push_back(kHexLower[b & 15]);
    } else if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (r >= 0x20 && r < 0x7F) {
      out.push_back(static_cast<char>(r));
    } else if (r < 0x80) {
      switch (r) {
        case '\a': out.append("\\a"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\v': out.append("\\v"); break;
        default:
          out.append("\\x");
          out.push_back(kHexLower[r >> 4]);
          out.push_back(kHexLower[r & 15]);
      }
    } else if (r <= 0xA0 || r == 0xAD || r == 0x2028 || r == 0x2029 || r == 0xFEFF) {
      // Not printable by strconv.IsPrint.
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", r);
      out.append(buf);
    } else {
      out.append(s.substr(i, w));
    }
    i += w;
  }
  out.push_back('"');
  return out;
}

Result<double> ParseGoFloat(std::string_view s) {
  auto syntax = [&] {
    return Status::InvalidArgument("strconv.ParseFloat: parsing " + GoQuote(s) + ": invalid syntax");
  };
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  auto ieq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
      if ((a[k] | 0x20) != b[k]) return false;
    }
    return true;
  };
  if (ieq(body, "inf") || ieq(body, "infinity")) return neg ? -HUGE_VAL : HUGE_VAL;
  if (ieq(s, "nan")) return std::nan("");
  // Validate Go's decimal syntax: digits [. digits] [e [sign] digits].
  size_t i = 0, mant_digits = 0;
  while (i < body.size() && IsDigit(body[i])) ++i, ++mant_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && IsDigit(body[i])) ++i, ++mant_digits;
  }
  if (mant_digits == 0) return syntax();
  bool neg_exp = false;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) neg_exp = body[i++] == '-';
    size_t exp_digits = 0;
    while (i < body.size() && IsDigit(body[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return syntax();
  }
  if (i != body.size()) return syntax();
  double v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    if (neg_exp) return neg ? -0.0 : 0.0;
    return Status::InvalidArgument("strconv.ParseFloat: parsing " + GoQuote(s) + ": value out of range");
  }
  if (r.ec != std::errc() || r.ptr != body.data() + body.size()) return syntax();
  return neg ? -v : v;
}

namespace {

std::string Escape(std::string_view s, bool query) {
  std::string out;
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(static_cast<char>(c)) ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    const bool path_ok = !query && (c == '$' || c == '&' || c == '+' || c == ':' || c == '=' || c == '@');
    if (unreserved || path_ok) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && query) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string QueryEscape(std::string_view s) { return Escape(s, true); }
std::string PathEscape(std::string_view s) { return Escape(s, false); }

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out.append("&#34;"); break;
      case '\'': out.append("&#39;"); break;
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '\0': out.append("\xEF\xBF\xBD"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string HtmlEscapeString(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out.append("&#34;"); break;
      case '\'': out.append("&#39;"); break;
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string JsEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '\'': out.append("\\'"); break;
      case '"': out.append("\\\""); break;
      case '<': out.append("\\u003C"); break;
      case '>': out.append("\\u003E"); break;
      case '&': out.append("\\u0026"); break;
      case '=': out.append("\\u003D"); break;
      default:
        if (c < ' ') {
          out.append("\\u00");
          out.push_back(kHexUpper[c >> 4]);
          out.push_back(kHexUpper[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    const size_t w = DecodeRune(s.substr(i), &r);
    switch (r) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '<': out.append("\\u003c"); break;
      case '>': out.append("\\u003e"); break;
      case '&': out.append("\\u0026"); break;
      case 0x2028: out.append("\\u2028"); break;
      case 0x2029: out.append("\\u2029"); break;
      default:
        if (r < 0x20) {
          out.append("\\u00");
          out.push_back(kHexLower[r >> 4]);
          out.push_back(kHexLower[r & 15]);
        } else if (r == 0xFFFD && w == 1) {
          out.append("\\ufffd");
        } else {
          out.append(s.substr(i, w));
        }
    }
    i += w;
  }
  out.push_back('"');
  return out;
}

namespace {

// strings.Title's word separator test.
bool IsSeparator(uint32_t r) {
  if (r <= 0x7F) {
    if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_') return false;
    return true;
  }
  return !gotext::IsLocaleAlnum(r) && gotext::IsLocaleSpace(r);
}

}  // namespace

bool IsLetterOrDigit(uint32_t r) {
  if (r < 0x80) return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return gotext::IsLocaleAlnum(r);
}

std::string GoTitle(std::string_view s) {
  std::string out;
  uint32_t prev = ' ';
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    i += DecodeRune(s.substr(i), &r);
    AppendRune(IsSeparator(prev) ? gotext::ToUpperRune(r) : r, &out);
    prev = r;
  }
  return out;
}

}  // namespace vigil::tmpl::internal
