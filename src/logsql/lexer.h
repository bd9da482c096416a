#pragma once
// Lexer: a cursor over LogsQL text with the token rules the filter and pipe
// parsers share (bare words, quoted strings, keywords) and error messages
// that name the byte position and what was expected. Not thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::logsql {

class Lexer {
 public:
  // REQUIRES: `text` outlives the lexer.
  explicit Lexer(std::string_view text) : text_(text) {}

  // The byte offset of the next unread byte (after SkipSpace).
  size_t pos() { return (SkipSpace(), pos_); }
  // The byte offset without skipping whitespace.
  size_t raw_pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  std::string_view text() const { return text_; }

  // Skips whitespace (and nothing else).
  void SkipSpace();
  bool AtEnd() { return pos() >= text_.size(); }
  // The next byte after whitespace, '\0' at the end.
  char Peek() { return AtEnd() ? '\0' : text_[pos_]; }
  // The byte right at the cursor, no whitespace skipped; '\0' at the end.
  char PeekRaw() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  // Consumes `s` after whitespace when it is next.
  bool Consume(std::string_view s);
  // Consumes the bare word `kw` (case-insensitive) when it is the next whole
  // word.
  bool ConsumeKeyword(std::string_view kw);
  bool PeekKeyword(std::string_view kw);

  // True for bytes that may appear in a bare (unquoted) word.
  static bool IsBareByte(char c);
  // Reads a quoted string ("...", '...' with Go escapes, `...` raw) or a bare
  // word at the cursor (after whitespace). Sets *quoted accordingly. Returns
  // nullopt (consuming nothing) when neither is next, or on a bad/unterminated
  // quote (then *error is set).
  std::optional<std::string> ReadString(bool* quoted = nullptr, Status* error = nullptr);
  // Reads bytes up to (not including) the first whitespace or any of `stops`.
  std::string_view ReadRaw(std::string_view stops);

  // InvalidArgument "cannot parse query at position P: unexpected X; expected E".
  Status Error(std::string_view expected);
  // Same at an explicit position with an explicit complaint.
  Status ErrorAt(size_t pos, std::string_view what) const;

 private:
  std::string DescribeNext();
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace vigil::logsql
