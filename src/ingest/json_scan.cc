#include "ingest/json_scan.h"

#include <fmt/format.h>

#include "base/utf8.h"

namespace vigil::ingest {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr unsigned kReplacementChar = 0xfffd;

}  // namespace

bool JsonCursor::Fail(std::string what) {
  if (error_.empty()) error_ = fmt::format("{} at column {}", what, pos_ + 1);
  return false;
}

void JsonCursor::SkipSpace() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++pos_;
  }
}

char JsonCursor::Peek() {
  SkipSpace();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool JsonCursor::TryConsume(char c) {
  if (Peek() != c || pos_ >= text_.size()) return false;
  ++pos_;
  return true;
}

bool JsonCursor::Expect(char c, std::string_view what) {
  if (TryConsume(c)) return true;
  if (pos_ >= text_.size()) return Fail(fmt::format("unexpected end of line, want {}", what));
  return Fail(fmt::format("unexpected {:?}, want {}", text_.substr(pos_, 1), what));
}

bool JsonCursor::AtEnd() {
  SkipSpace();
  return pos_ >= text_.size();
}

bool JsonCursor::ReadHex4(unsigned* out) {
  if (text_.size() - pos_ < 4) return Fail("truncated \\u escape");
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = HexDigitValue(text_[pos_ + static_cast<size_t>(i)]);
    if (h < 0) return Fail("invalid \\u escape");
    v = (v << 4) | static_cast<unsigned>(h);
  }
  pos_ += 4;
  *out = v;
  return true;
}

bool JsonCursor::ReadString(std::string_view* out) {
  if (!Expect('"', "a string")) return false;
  const size_t start = pos_;
  // Fast path: no escapes.
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '"') {
      *out = text_.substr(start, pos_ - start);
      ++pos_;
      return true;
    }
    if (c == '\\') break;
    if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
    ++pos_;
  }
  if (pos_ >= text_.size()) return Fail("unterminated string");
  // Slow path: decode into scratch from the first escape on.
  const size_t out_start = scratch_->size();
  scratch_->append(text_.substr(start, pos_ - start));
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      *out = std::string_view(scratch_->data() + out_start, scratch_->size() - out_start);
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
    if (c != '\\') {
      scratch_->push_back(c);
      ++pos_;
      continue;
    }
    if (++pos_ >= text_.size()) break;
    const char e = text_[pos_++];
    switch (e) {
      case '"': scratch_->push_back('"'); break;
      case '\\': scratch_->push_back('\\'); break;
      case '/': scratch_->push_back('/'); break;
      case 'b': scratch_->push_back('\b'); break;
      case 'f': scratch_->push_back('\f'); break;
      case 'n': scratch_->push_back('\n'); break;
      case 'r': scratch_->push_back('\r'); break;
      case 't': scratch_->push_back('\t'); break;
      case 'u': {
        unsigned cp;
        if (!ReadHex4(&cp)) return false;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // A high surrogate pairs with a following \uDC00..\uDFFF.
          unsigned low;
          if (text_.size() - pos_ >= 6 && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
            const size_t save = pos_;
            pos_ += 2;
            if (!ReadHex4(&low)) return false;
            if (low >= 0xdc00 && low <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            } else {
              cp = kReplacementChar;
              pos_ = save;  // the second escape stands on its own
            }
          } else {
            cp = kReplacementChar;
          }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          cp = kReplacementChar;
        }
        AppendUtf8(scratch_, cp);
        break;
      }
      default:
        --pos_;
        return Fail(fmt::format("invalid escape \\{}", std::string_view(&e, 1)));
    }
  }
  return Fail("unterminated string");
}

bool JsonCursor::ReadNumberToken(std::string_view* out) {
  SkipSpace();
  const size_t start = pos_;
  const size_t n = text_.size();
  if (pos_ < n && text_[pos_] == '-') ++pos_;
  if (pos_ >= n || !IsDigit(text_[pos_])) {
    pos_ = start;
    return Fail("invalid number");
  }
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < n && text_[pos_] == '.') {
    ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Fail("invalid number: digits expected after '.'");
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < n && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < n && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Fail("invalid number: digits expected in exponent");
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  *out = text_.substr(start, pos_ - start);
  return true;
}

bool JsonCursor::ReadLiteral(std::string_view literal) {
  SkipSpace();
  if (text_.substr(pos_, literal.size()) != literal) return Fail(fmt::format("want {}", literal));
  pos_ += literal.size();
  return true;
}

bool JsonCursor::SkipValue() { return SkipValueAt(1); }

bool JsonCursor::SkipValueAt(int depth) {
  if (depth > kMaxDepth) return Fail(fmt::format("values nested deeper than {}", kMaxDepth));
  std::string_view ignored;
  switch (Peek()) {
    case '"': {
      // Decoding a skipped string would use scratch; remember and roll back.
      const size_t scratch_size = scratch_->size();
      const bool ok = ReadString(&ignored);
      scratch_->resize(scratch_size);
      return ok;
    }
    case 't': return ReadLiteral("true");
    case 'f': return ReadLiteral("false");
    case 'n': return ReadLiteral("null");
    case '[':
      ++pos_;
      if (TryConsume(']')) return true;
      do {
        if (!SkipValueAt(depth + 1)) return false;
      } while (TryConsume(','));
      return Expect(']', "',' or ']'");
    case '{':
      ++pos_;
      if (TryConsume('}')) return true;
      do {
        const size_t scratch_size = scratch_->size();
        const bool ok = ReadString(&ignored);
        scratch_->resize(scratch_size);
        if (!ok || !Expect(':', "':'") || !SkipValueAt(depth + 1)) return false;
      } while (TryConsume(','));
      return Expect('}', "',' or '}'");
    case '\0':
      if (pos_ >= text_.size()) return Fail("unexpected end of line, want a value");
      return Fail("unexpected NUL byte");
    default:
      return ReadNumberToken(&ignored);
  }
}

}  // namespace vigil::ingest
