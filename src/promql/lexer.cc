#include "promql/lexer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "promql/selector.h"

namespace vigil::promql {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Scans a number as Prometheus' scanNumber does; returns its end or npos when
// the text is not a number (e.g. followed by a letter, as in "5m").
size_t ScanNumber(std::string_view in, size_t i) {
  bool hex = false;
  if (i + 1 < in.size() && in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X')) {
    hex = true;
    i += 2;
  }
  auto digit = [&](char c) { return hex ? IsHex(c) : IsDigit(c); };
  while (i < in.size() && digit(in[i])) ++i;
  if (i < in.size() && in[i] == '.') {
    ++i;
    while (i < in.size() && digit(in[i])) ++i;
  }
  if (!hex && i < in.size() && (in[i] == 'e' || in[i] == 'E')) {
    size_t j = i + 1;
    if (j < in.size() && (in[j] == '+' || in[j] == '-')) ++j;
    if (j < in.size() && IsDigit(in[j])) {
      i = j;
      while (i < in.size() && IsDigit(in[i])) ++i;
    }
  }
  if (i < in.size() && IsAlnum(in[i])) return std::string_view::npos;
  return i;
}

// Scans a duration (digits+unit, repeated) from i; returns the end or npos.
size_t ScanDuration(std::string_view in, size_t i) {
  size_t start = i;
  while (i < in.size() && IsDigit(in[i])) {
    while (i < in.size() && IsDigit(in[i])) ++i;
    if (i >= in.size()) return std::string_view::npos;
    if (in.substr(i, 2) == "ms") {
      i += 2;
    } else if (in[i] == 's' || in[i] == 'm' || in[i] == 'h' || in[i] == 'd' || in[i] == 'w' || in[i] == 'y') {
      ++i;
    } else {
      return std::string_view::npos;
    }
  }
  if (i == start || (i < in.size() && IsAlnum(in[i]))) return std::string_view::npos;
  return i;
}

}  // namespace

Status ParseErrorAt(std::string_view input, size_t pos, std::string_view msg) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < input.size(); ++i) {
    if (input[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(col) + ": parse error: " +
                                 std::string(msg));
}

Result<int64_t> ParseDuration(std::string_view s) {
  if (s == "0") return int64_t{0};
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  static constexpr struct {
    std::string_view unit;
    int64_t ms;
  } kUnits[] = {{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
                {"m", 60000},            {"s", 1000},           {"ms", 1}};
  int64_t total = 0;
  size_t i = 0, next_unit = 0;
  while (i < s.size()) {
    size_t ds = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == ds) return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    int64_t n = 0;
    auto r = std::from_chars(s.data() + ds, s.data() + i, n);
    if (r.ec != std::errc()) return Status::InvalidArgument("duration out of range: \"" + std::string(s) + "\"");
    size_t u = next_unit;
    for (; u < std::size(kUnits); ++u) {
      const auto& unit = kUnits[u];
      if (s.substr(i, unit.unit.size()) == unit.unit &&
          !(unit.unit == "m" && s.substr(i, 2) == "ms")) {
        break;
      }
    }
    if (u == std::size(kUnits)) return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    i += kUnits[u].unit.size();
    next_unit = u + 1;
    if (n > std::numeric_limits<int64_t>::max() / kUnits[u].ms - total / kUnits[u].ms) {
      return Status::InvalidArgument("duration out of range: \"" + std::string(s) + "\"");
    }
    total += n * kUnits[u].ms;
  }
  return total;
}

Result<double> ParseNumber(std::string_view s) {
  if (EqualsLower(s, "inf") || EqualsLower(s, "+inf")) return std::numeric_limits<double>::infinity();
  if (EqualsLower(s, "-inf")) return -std::numeric_limits<double>::infinity();
  if (EqualsLower(s, "nan") || EqualsLower(s, "+nan") || EqualsLower(s, "-nan")) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::string buf(s);
  // Integers with Go's base prefixes (ParseInt base 0): 0x.., 0o.., 0b.., 0...
  {
    const char* p = buf.c_str();
    bool neg = false;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    int base = 10;
    std::string_view body(p);
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
      base = 16, body.remove_prefix(2);
    } else if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) {
      base = 8, body.remove_prefix(2);
    } else if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) {
      base = 2, body.remove_prefix(2);
    } else if (body.size() > 1 && body[0] == '0') {
      base = 8, body.remove_prefix(1);
    }
    int64_t v = 0;
    auto r = std::from_chars(body.data(), body.data() + body.size(), v, base);
    if (!body.empty() && r.ec == std::errc() && r.ptr == body.data() + body.size()) {
      return neg ? -static_cast<double>(v) : static_cast<double>(v);
    }
  }
  double v = 0;
  const char* b = buf.c_str();
  if (*b == '+') ++b;
  auto r = std::from_chars(b, buf.c_str() + buf.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // Go returns ±Inf or 0 for out-of-range values; strtod does the same.
    return std::strtod(buf.c_str(), nullptr);
  }
  if (r.ec != std::errc() || r.ptr != buf.c_str() + buf.size() || buf.empty()) {
    return Status::InvalidArgument("error parsing number: invalid syntax: \"" + buf + "\"");
  }
  return v;
}

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEof: return "end of input";
    case TokenKind::kIdentifier: return "identifier \"" + std::string(t.text) + "\"";
    case TokenKind::kMetricIdentifier: return "metric identifier \"" + std::string(t.text) + "\"";
    case TokenKind::kNumber: return "number \"" + std::string(t.text) + "\"";
    case TokenKind::kDuration: return "duration \"" + std::string(t.text) + "\"";
    case TokenKind::kString: return "string \"" + std::string(t.text) + "\"";
    default: return "\"" + std::string(t.text) + "\"";
  }
}

Result<std::vector<Token>> Lex(std::string_view in) {
  std::vector<Token> out;
  size_t i = 0;
  auto emit = [&](TokenKind k, size_t start, size_t end) {
    Token t;
    t.kind = k;
    t.pos = start;
    t.text = in.substr(start, end - start);
    out.push_back(std::move(t));
  };
  int brace_depth = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < in.size() && in[i] != '\n') ++i;
      continue;
    }
    size_t start = i;
    if (IsDigit(c) || (c == '.' && i + 1 < in.size() && IsDigit(in[i + 1]))) {
      size_t end = ScanNumber(in, i);
      if (end != std::string_view::npos) {
        auto v = ParseNumber(in.substr(start, end - start));
        if (!v.ok()) return ParseErrorAt(in, start, v.status().message());
        emit(TokenKind::kNumber, start, end);
        out.back().number = *v;
        i = end;
        continue;
      }
      end = ScanDuration(in, i);
      if (end == std::string_view::npos) {
        size_t j = i;
        while (j < in.size() && (IsAlnum(in[j]) || in[j] == '.')) ++j;
        return ParseErrorAt(in, start, "bad number or duration syntax: \"" + std::string(in.substr(start, j - start)) + "\"");
      }
      auto d = ParseDuration(in.substr(start, end - start));
      if (!d.ok()) return ParseErrorAt(in, start, d.status().message());
      emit(TokenKind::kDuration, start, end);
      out.back().duration_ms = *d;
      i = end;
      continue;
    }
    if (IsAlpha(c) || (c == ':' && brace_depth == 0 && (out.empty() || out.back().kind != TokenKind::kDuration) &&
                       i + 1 < in.size() && (IsAlpha(in[i + 1]) || in[i + 1] == ':'))) {
      bool has_colon = false;
      while (i < in.size() && (IsAlnum(in[i]) || (in[i] == ':' && brace_depth == 0))) {
        if (in[i] == ':') has_colon = true;
        ++i;
      }
      std::string_view word = in.substr(start, i - start);
      if (!has_colon && (EqualsLower(word, "inf") || EqualsLower(word, "nan"))) {
        emit(TokenKind::kNumber, start, i);
        out.back().number = *ParseNumber(word);
        continue;
      }
      emit(has_colon ? TokenKind::kMetricIdentifier : TokenKind::kIdentifier, start, i);
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      size_t pos = i;
      auto s = ParseStringLiteral(in, &pos);
      if (!s.ok()) {
        const std::string& msg = s.status().message();
        size_t p = msg.find("parse error: ");
        return ParseErrorAt(in, start, p == std::string::npos ? msg : msg.substr(p + 13));
      }
      emit(TokenKind::kString, start, pos);
      out.back().str = std::move(*s);
      i = pos;
      continue;
    }
    auto two = in.substr(i, 2);
    TokenKind kind;
    size_t len = 1;
    if (two == "==") kind = TokenKind::kEqlc, len = 2;
    else if (two == "!=") kind = TokenKind::kNeq, len = 2;
    else if (two == "<=") kind = TokenKind::kLte, len = 2;
    else if (two == ">=") kind = TokenKind::kGte, len = 2;
    else if (two == "=~") kind = TokenKind::kEqlRegex, len = 2;
    else if (two == "!~") kind = TokenKind::kNeqRegex, len = 2;
    else {
      switch (c) {
        case '(': kind = TokenKind::kLeftParen; break;
        case ')': kind = TokenKind::kRightParen; break;
        case '{': kind = TokenKind::kLeftBrace; ++brace_depth; break;
        case '}': kind = TokenKind::kRightBrace; if (brace_depth > 0) --brace_depth; break;
        case '[': kind = TokenKind::kLeftBracket; break;
        case ']': kind = TokenKind::kRightBracket; break;
        case ',': kind = TokenKind::kComma; break;
        case ':': kind = TokenKind::kColon; break;
        case '@': kind = TokenKind::kAt; break;
        case '+': kind = TokenKind::kAdd; break;
        case '-': kind = TokenKind::kSub; break;
        case '*': kind = TokenKind::kMul; break;
        case '/': kind = TokenKind::kDiv; break;
        case '%': kind = TokenKind::kMod; break;
        case '^': kind = TokenKind::kPow; break;
        case '<': kind = TokenKind::kLss; break;
        case '>': kind = TokenKind::kGtr; break;
        case '=': kind = TokenKind::kAssign; break;
        default: {
          std::string shown(1, c);
          if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
            shown = buf;
          }
          return ParseErrorAt(in, start, "unexpected character: '" + shown + "'");
        }
      }
    }
    emit(kind, start, start + len);
    i += len;
  }
  emit(TokenKind::kEof, in.size(), in.size());
  return out;
}

}  // namespace vigil::promql
