#include "promql/selector.h"

#include <string>

#include "base/utf8.h"

namespace vigil::promql {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

Status ErrorAt(size_t pos, const std::string& msg) {
  return Status::InvalidArgument("1:" + std::to_string(pos + 1) + ": parse error: " + msg);
}

void SkipSpace(std::string_view in, size_t* pos) {
  while (*pos < in.size() && (in[*pos] == ' ' || in[*pos] == '\t' || in[*pos] == '\n' || in[*pos] == '\r')) {
    ++*pos;
  }
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out.push_back('"');
  return out;
}

}  // namespace

Result<std::string> ParseStringLiteral(std::string_view in, size_t* pos) {
  size_t start = *pos;
  char quote = in[start];
  std::string out;
  size_t i = start + 1;
  if (quote == '`') {
    size_t end = in.find('`', i);
    if (end == std::string_view::npos) return ErrorAt(start, "unterminated raw string");
    *pos = end + 1;
    return std::string(in.substr(i, end - i));
  }
  while (i < in.size()) {
    char c = in[i];
    if (c == quote) {
      *pos = i + 1;
      return out;
    }
    if (c == '\n') return ErrorAt(start, "unterminated quoted string");
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= in.size()) break;
    char e = in[i + 1];
    i += 2;
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '"': out.push_back('"'); break;
      case '\'': out.push_back('\''); break;
      case 'x': case 'u': case 'U': {
        int digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        uint32_t v = 0;
        for (int k = 0; k < digits; ++k) {
          if (i >= in.size() || HexDigitValue(in[i]) < 0) return ErrorAt(i, "invalid escape sequence in string");
          v = v * 16 + static_cast<uint32_t>(HexDigitValue(in[i]));
          ++i;
        }
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return ErrorAt(i, "invalid Unicode code point");
          AppendUtf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; ++k) {
            if (i >= in.size() || in[i] < '0' || in[i] > '7') return ErrorAt(i, "invalid octal escape");
            v = v * 8 + static_cast<uint32_t>(in[i] - '0');
            ++i;
          }
          if (v > 255) return ErrorAt(i, "octal escape value > 255");
          out.push_back(static_cast<char>(v));
        } else {
          return ErrorAt(i - 2, std::string("unknown escape sequence \\") + e);
        }
    }
  }
  return ErrorAt(start, "unterminated quoted string");
}

Result<std::vector<tsdb::Matcher>> ParseSeriesSelector(std::string_view in) {
  std::vector<tsdb::Matcher> matchers;
  size_t pos = 0;
  SkipSpace(in, &pos);
  if (pos < in.size() && (IsNameStart(in[pos]) || in[pos] == ':')) {
    size_t start = pos;
    while (pos < in.size() && (IsNameChar(in[pos]) || in[pos] == ':')) ++pos;
    matchers.push_back(tsdb::Matcher::Equal("__name__", in.substr(start, pos - start)));
    SkipSpace(in, &pos);
  }
  if (pos < in.size() && in[pos] == '{') {
    ++pos;
    for (;;) {
      SkipSpace(in, &pos);
      if (pos >= in.size()) return ErrorAt(pos, "unexpected end of input inside braces");
      if (in[pos] == '}') {
        ++pos;
        break;
      }
      if (!IsNameStart(in[pos])) {
        return ErrorAt(pos, "unexpected " + Quote(in.substr(pos, 1)) + " in label matching, expected label");
      }
      size_t ns = pos;
      while (pos < in.size() && IsNameChar(in[pos])) ++pos;
      std::string_view name = in.substr(ns, pos - ns);
      SkipSpace(in, &pos);
      tsdb::MatchType type;
      if (in.substr(pos, 2) == "=~") {
        type = tsdb::MatchType::kRegexMatch;
        pos += 2;
      } else if (in.substr(pos, 2) == "!~") {
        type = tsdb::MatchType::kRegexNoMatch;
        pos += 2;
      } else if (in.substr(pos, 2) == "!=") {
        type = tsdb::MatchType::kNotEqual;
        pos += 2;
      } else if (in.substr(pos, 1) == "=") {
        type = tsdb::MatchType::kEqual;
        pos += 1;
      } else {
        return ErrorAt(pos, "unexpected " + Quote(in.substr(pos, 1)) +
                                " in label matching, expected label matching operator");
      }
      SkipSpace(in, &pos);
      if (pos >= in.size() || (in[pos] != '"' && in[pos] != '\'' && in[pos] != '`')) {
        return ErrorAt(pos, "unexpected " + (pos < in.size() ? Quote(in.substr(pos, 1)) : "end of input") +
                                " in label matching, expected string");
      }
      auto value = ParseStringLiteral(in, &pos);
      if (!value.ok()) return value.status();
      auto m = tsdb::Matcher::Make(type, name, *value);
      if (!m.ok()) return ErrorAt(ns, m.status().message());
      matchers.push_back(std::move(*m));
      SkipSpace(in, &pos);
      if (pos < in.size() && in[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < in.size() && in[pos] == '}') {
        ++pos;
        break;
      }
      return ErrorAt(pos, "unexpected " + (pos < in.size() ? Quote(in.substr(pos, 1)) : "end of input") +
                              " in label matching, expected \",\" or \"}\"");
    }
  }
  SkipSpace(in, &pos);
  if (pos != in.size()) return ErrorAt(pos, "unexpected character " + Quote(in.substr(pos, 1)));
  if (matchers.empty()) return ErrorAt(0, "unexpected end of input");
  bool any_non_empty = false;
  int names = 0;
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) any_non_empty = true;
    if (m.name() == "__name__" && m.type() == tsdb::MatchType::kEqual) ++names;
  }
  if (names > 1 && !matchers.empty() && matchers[0].name() == "__name__") {
    return ErrorAt(0, "metric name must not be set twice");
  }
  if (!any_non_empty) return ErrorAt(0, "vector selector must contain at least one non-empty matcher");
  return matchers;
}

}  // namespace vigil::promql
