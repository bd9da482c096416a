#include "logsql/lexer.h"

#include "base/go_format.h"
#include "base/utf8.h"
#include "logsql/values.h"

namespace vigil::logsql {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

void Lexer::SkipSpace() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
}

bool Lexer::Consume(std::string_view s) {
  SkipSpace();
  if (text_.substr(pos_, s.size()) != s) return false;
  pos_ += s.size();
  return true;
}

bool Lexer::PeekKeyword(std::string_view kw) {
  SkipSpace();
  if (pos_ + kw.size() > text_.size()) return false;
  if (AsciiLower(text_.substr(pos_, kw.size())) != kw) return false;
  const size_t end = pos_ + kw.size();
  return end == text_.size() || !IsBareByte(text_[end]);
}

bool Lexer::ConsumeKeyword(std::string_view kw) {
  if (!PeekKeyword(kw)) return false;
  pos_ += kw.size();
  return true;
}

bool Lexer::IsBareByte(char c) {
  if (IsSpace(c) || c == '\0') return false;
  switch (c) {
    case '(': case ')': case '[': case ']': case '{': case '}': case ',': case '|': case ':':
    case '"': case '\'': case '`': case '=': case '<': case '>': case '!': case '~': case '*':
      return false;
    default:
      return true;
  }
}

std::optional<std::string> Lexer::ReadString(bool* quoted, Status* error) {
  SkipSpace();
  if (quoted != nullptr) *quoted = false;
  if (pos_ >= text_.size()) return std::nullopt;
  const char q = text_[pos_];
  if (q == '"' || q == '\'' || q == '`') {
    const size_t start = pos_;
    std::string out;
    size_t i = pos_ + 1;
    while (i < text_.size() && text_[i] != q) {
      char c = text_[i];
      if (c != '\\' || q == '`') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= text_.size()) break;
      const char e = text_[i + 1];
      i += 2;
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'v': out.push_back('\v'); break;
        case 'x': case 'u': case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t v = 0;
          bool ok = i + n <= text_.size();
          for (size_t k = 0; ok && k < n; ++k) {
            const int h = HexDigitValue(text_[i + k]);
            ok = h >= 0;
            v = v * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
          }
          if (!ok || v > 0x10FFFF) {
            if (error != nullptr) *error = ErrorAt(i - 2, "invalid escape sequence in quoted string");
            return std::nullopt;
          }
          i += n;
          if (e == 'x')
            out.push_back(static_cast<char>(v));
          else
            AppendUtf8(&out, v);
          break;
        }
        default: out.push_back(e); break;
      }
    }
    if (i >= text_.size()) {
      if (error != nullptr) *error = ErrorAt(start, "missing closing quote");
      return std::nullopt;
    }
    pos_ = i + 1;
    if (quoted != nullptr) *quoted = true;
    return out;
  }
  size_t end = pos_;
  while (end < text_.size() && IsBareByte(text_[end])) ++end;
  if (end == pos_) return std::nullopt;
  std::string out(text_.substr(pos_, end - pos_));
  pos_ = end;
  return out;
}

std::string_view Lexer::ReadRaw(std::string_view stops) {
  SkipSpace();
  const size_t start = pos_;
  while (pos_ < text_.size() && !IsSpace(text_[pos_]) && stops.find(text_[pos_]) == std::string_view::npos) ++pos_;
  return text_.substr(start, pos_ - start);
}

std::string Lexer::DescribeNext() {
  if (AtEnd()) return "end of query";
  const size_t save = pos_;
  std::string shown;
  if (IsBareByte(text_[pos_])) {
    size_t end = pos_;
    while (end < text_.size() && IsBareByte(text_[end]) && end - pos_ < 40) ++end;
    shown = std::string(text_.substr(pos_, end - pos_));
  } else {
    shown = std::string(1, text_[pos_]);
  }
  pos_ = save;
  std::string out;
  AppendQuoted(&out, shown);
  return out;
}

Status Lexer::Error(std::string_view expected) {
  const size_t p = pos();
  return ErrorAt(p, "unexpected " + DescribeNext() + "; expected " + std::string(expected));
}

Status Lexer::ErrorAt(size_t pos, std::string_view what) const {
  return Status::InvalidArgument("cannot parse query at position " + std::to_string(pos) + ": " + std::string(what));
}

}  // namespace vigil::logsql
