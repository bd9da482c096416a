#include "template/lexer.h"

#include <cstdio>

#include "template/go_fmt.h"

namespace vigil::tmpl::internal {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(uint32_t r) { return r == '_' || IsLetterOrDigit(r); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Go's %#U: "U+0041 'A'" for printable runes, "U+00A0" otherwise.
std::string RuneDescription(uint32_t r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "U+%04X", r);
  std::string out = buf;
  const bool printable = (r > 0x20 && r < 0x7F) || (r > 0xA0 && r != 0xAD && r != 0xFEFF);
  if (printable) {
    out.append(" '");
    AppendRune(r, &out);
    out.push_back('\'');
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : in_(text) {}

  std::vector<Token> Run() {
    while (LexText()) {
    }
    return std::move(tokens_);
  }

 private:
  void Emit(Tok type, size_t start, size_t end) {
    tokens_.push_back(Token{type, std::string(in_.substr(start, end - start)), start, LineAt(start)});
  }
  int LineAt(size_t pos) {
    // Positions only grow, so count newlines incrementally.
    for (; line_pos_ < pos && line_pos_ < in_.size(); ++line_pos_) {
      if (in_[line_pos_] == '\n') ++line_;
    }
    return line_;
  }
  bool Error(std::string msg) {
    tokens_.push_back(Token{Tok::kError, std::move(msg), pos_, LineAt(pos_)});
    return false;
  }
  bool StartsWith(size_t at, std::string_view p) const { return in_.substr(at, p.size()) == p; }
  bool HasLeftTrim(size_t at) const {
    return at + 1 < in_.size() && in_[at] == '-' && IsSpace(in_[at + 1]);
  }
  // At " -}}" (the space belongs to the marker).
  bool AtRightTrim(size_t at) const {
    return at + 1 < in_.size() && IsSpace(in_[at]) && in_[at + 1] == '-' && StartsWith(at + 2, kRightDelim);
  }

  // Text up to the next action; returns false at the end of input.
  bool LexText() {
    const size_t start = pos_;
    const size_t delim = in_.find(kLeftDelim, pos_);
    if (delim == std::string_view::npos) {
      if (start < in_.size()) Emit(Tok::kText, start, in_.size());
      tokens_.push_back(Token{Tok::kEOF, "", in_.size(), LineAt(in_.size())});
      return false;
    }
    const bool trim = HasLeftTrim(delim + kLeftDelim.size());
    size_t text_end = delim;
    if (trim) {
      while (text_end > start && IsSpace(in_[text_end - 1])) --text_end;
    }
    if (text_end > start) Emit(Tok::kText, start, text_end);
    pos_ = delim;
    return LexLeftDelim(trim);
  }

  bool LexLeftDelim(bool trim) {
    const size_t start = pos_;
    pos_ += kLeftDelim.size();
    if (trim) pos_ += 2;
    if (StartsWith(pos_, kLeftComment)) return LexComment(start);
    Emit(Tok::kLeftDelim, start, start + kLeftDelim.size());
    paren_depth_ = 0;
    return LexInsideAction();
  }

  bool LexComment(size_t delim_start) {
    (void)delim_start;
    pos_ += kLeftComment.size();
    const size_t end = in_.find(kRightComment, pos_);
    if (end == std::string_view::npos) return Error("unclosed comment");
    pos_ = end + kRightComment.size();
    if (AtRightTrim(pos_)) {
      pos_ += 2 + kRightDelim.size();
      SkipSpace();
      return true;
    }
    if (!StartsWith(pos_, kRightDelim)) return Error("comment ends before closing delimiter");
    pos_ += kRightDelim.size();
    return true;
  }

  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  bool LexRightDelim(bool trim) {
    const size_t start = trim ? pos_ + 2 : pos_;
    Emit(Tok::kRightDelim, start, start + kRightDelim.size());
    pos_ = start + kRightDelim.size();
    if (trim) SkipSpace();
    return true;
  }

  bool AtTerminator() const {
    if (pos_ >= in_.size()) return true;
    const char c = in_[pos_];
    if (IsSpace(c)) return true;
    switch (c) {
      case '.': case ',': case '|': case ':': case ')': case '(':
        return true;
      default:
        return StartsWith(pos_, kRightDelim);
    }
  }

  bool LexInsideAction() {
    while (true) {
      if (AtRightTrim(pos_) || StartsWith(pos_, kRightDelim)) {
        if (paren_depth_ > 0) return Error("unclosed left paren");
        return LexRightDelim(AtRightTrim(pos_));
      }
      if (pos_ >= in_.size()) return Error("unclosed action");
      const size_t start = pos_;
      const char c = in_[pos_];
      if (IsSpace(c)) {
        while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
        // A lone space before "-}}" belongs to the trim marker.
        if (AtRightTrim(pos_ - 1)) {
          --pos_;
          if (pos_ == start) continue;
        }
        Emit(Tok::kSpace, start, pos_);
        continue;
      }
      if (c == '=') {
        ++pos_;
        Emit(Tok::kAssign, start, pos_);
      } else if (c == ':') {
        if (!StartsWith(pos_, ":=")) {
          ++pos_;
          return Error("expected :=");
        }
        pos_ += 2;
        Emit(Tok::kDeclare, start, pos_);
      } else if (c == '|') {
        ++pos_;
        Emit(Tok::kPipe, start, pos_);
      } else if (c == '"') {
        if (!LexQuote()) return false;
      } else if (c == '`') {
        const size_t end = in_.find('`', pos_ + 1);
        if (end == std::string_view::npos) {
          pos_ = in_.size();
          return Error("unterminated raw quoted string");
        }
        pos_ = end + 1;
        Emit(Tok::kRawString, start, pos_);
      } else if (c == '$') {
        ++pos_;
        if (!LexIdentChars()) return false;
        Emit(Tok::kVariable, start, pos_);
      } else if (c == '\'') {
        if (!LexChar()) return false;
      } else if (c == '.') {
        if (pos_ + 1 < in_.size() && IsDigit(in_[pos_ + 1])) {
          if (!LexNumber()) return false;
          continue;
        }
        ++pos_;
        if (AtTerminator()) {
          Emit(Tok::kDot, start, pos_);
          continue;
        }
        if (!LexIdentChars()) return false;
        Emit(Tok::kField, start, pos_);
      } else if (c == '+' || c == '-' || IsDigit(c)) {
        if (!LexNumber()) return false;
      } else if (uint32_t r; DecodeRune(in_.substr(pos_), &r) > 0 && IsAlnum(r)) {
        if (!LexIdentifier()) return false;
      } else if (c == '(') {
        ++pos_;
        ++paren_depth_;
        Emit(Tok::kLeftParen, start, pos_);
      } else if (c == ')') {
        ++pos_;
        if (--paren_depth_ < 0) return Error("unexpected right paren");
        Emit(Tok::kRightParen, start, pos_);
      } else if (c == ',') {
        ++pos_;
        Emit(Tok::kComma, start, pos_);
      } else if (static_cast<unsigned char>(c) < 0x7F && c > ' ') {
        ++pos_;
        Emit(Tok::kOtherChar, start, pos_);
      } else {
        uint32_t r;
        DecodeRune(in_.substr(pos_), &r);
        return Error("unrecognized character in action: " + RuneDescription(r));
      }
    }
  }

  // Letters, digits and '_' after '$' or '.'; then a terminator must follow.
  bool LexIdentChars() {
    while (pos_ < in_.size()) {
      uint32_t r;
      const size_t w = DecodeRune(in_.substr(pos_), &r);
      if (!IsAlnum(r)) break;
      pos_ += w;
    }
    if (!AtTerminator()) {
      uint32_t r;
      DecodeRune(in_.substr(pos_), &r);
      return Error("bad character " + RuneDescription(r));
    }
    return true;
  }

  bool LexIdentifier() {
    const size_t start = pos_;
    if (!LexIdentChars()) return false;
    const std::string_view word = in_.substr(start, pos_ - start);
    struct Keyword {
      std::string_view word;
      Tok tok;
    };
    static const Keyword kKeywords[] = {
        {"if", Tok::kIf},       {"else", Tok::kElse},         {"end", Tok::kEnd},     {"range", Tok::kRange},
        {"with", Tok::kWith},   {"define", Tok::kDefine},     {"template", Tok::kTemplate},
        {"block", Tok::kBlock}, {"break", Tok::kBreak},       {"continue", Tok::kContinue},
        {"true", Tok::kBool},   {"false", Tok::kBool},        {"nil", Tok::kNil},
    };
    for (const Keyword& k : kKeywords) {
      if (word == k.word) {
        Emit(k.tok, start, pos_);
        return true;
      }
    }
    Emit(Tok::kIdentifier, start, pos_);
    return true;
  }

  bool LexQuote() {
    const size_t start = pos_++;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return Error("unterminated quoted string");
      const char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return Error("unterminated quoted string");
        ++pos_;
      } else if (c == '"') {
        break;
      }
    }
    Emit(Tok::kString, start, pos_);
    return true;
  }

  bool LexChar() {
    const size_t start = pos_++;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return Error("unterminated character constant");
      const char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return Error("unterminated character constant");
        ++pos_;
      } else if (c == '\'') {
        break;
      }
    }
    Emit(Tok::kChar, start, pos_);
    return true;
  }

  // Go's scanNumber: the parser validates the text afterwards.
  bool LexNumber() {
    const size_t start = pos_;
    if (in_[pos_] == '+' || in_[pos_] == '-') ++pos_;
    std::string_view digits = "0123456789_";
    if (StartsWith(pos_, "0x") || StartsWith(pos_, "0X")) {
      pos_ += 2;
      digits = "0123456789abcdefABCDEF_";
    } else if (StartsWith(pos_, "0o") || StartsWith(pos_, "0O")) {
      pos_ += 2;
      digits = "01234567_";
    } else if (StartsWith(pos_, "0b") || StartsWith(pos_, "0B")) {
      pos_ += 2;
      digits = "01_";
    }
    auto run = [&](std::string_view set) {
      while (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) ++pos_;
    };
    run(digits);
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      run(digits);
    }
    const bool hex = digits.size() > 16;
    if (pos_ < in_.size() && ((!hex && (in_[pos_] == 'e' || in_[pos_] == 'E')) ||
                              (hex && (in_[pos_] == 'p' || in_[pos_] == 'P')))) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      run("0123456789_");
    }
    if (pos_ < in_.size() && in_[pos_] == 'i') ++pos_;
    uint32_t next = 0;
    if (pos_ < in_.size() && (DecodeRune(in_.substr(pos_), &next), IsAlnum(next))) {
      ++pos_;
      return Error("bad number syntax: " + GoQuote(in_.substr(start, pos_ - start)));
    }
    Emit(Tok::kNumber, start, pos_);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  int paren_depth_ = 0;
  std::vector<Token> tokens_;
  size_t line_pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::string TokenString(const Token& t) {
  switch (t.type) {
    case Tok::kEOF: return "EOF";
    case Tok::kError: return t.val;
    case Tok::kIf: case Tok::kElse: case Tok::kEnd: case Tok::kRange: case Tok::kWith:
    case Tok::kDefine: case Tok::kTemplate: case Tok::kBlock: case Tok::kBreak: case Tok::kContinue:
      return "<" + t.val + ">";
    default:
      break;
  }
  if (t.val.size() > 10) {  // Go's %.10q...: the first ten runes
    size_t cut = 0;
    for (int k = 0; k < 10 && cut < t.val.size(); ++k) {
      uint32_t r;
      cut += DecodeRune(std::string_view(t.val).substr(cut), &r);
    }
    return GoQuote(std::string_view(t.val).substr(0, cut)) + "...";
  }
  return GoQuote(t.val);
}

std::vector<Token> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace vigil::tmpl::internal
