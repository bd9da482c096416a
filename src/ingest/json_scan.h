#pragma once
// A small, bounded JSON reader over one in-memory text (one import line).
// Internal to src/ingest. It reads tokens in order; the caller drives the
// structure. Strict RFC 8259 grammar: no comments, no trailing commas, no
// NaN literals, no raw control characters in strings. String contents are
// not checked for valid UTF-8; \u escapes are decoded to UTF-8 (a lone
// surrogate becomes U+FFFD). Nesting of skipped values is bounded by
// kMaxDepth. On failure every method returns false and error() gives
// "<what> at column N" (1-based byte column in the text).
// Not thread-safe; one cursor per text.

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::ingest {

class JsonCursor {
 public:
  // Unescaped strings are appended to *scratch, and the views returned point
  // into it. REQUIRES: scratch->capacity() - scratch->size() >= text.size()
  // (an unescaped string is never longer than its source, so *scratch then
  // never reallocates and every view stays valid), and text and *scratch
  // outlive the views.
  JsonCursor(std::string_view text, std::string* scratch) : text_(text), scratch_(scratch) {}

  JsonCursor(const JsonCursor&) = delete;
  JsonCursor& operator=(const JsonCursor&) = delete;

  static constexpr int kMaxDepth = 64;

  // Skips whitespace and returns the next byte without consuming it ('\0' at the end).
  char Peek();
  // Skips whitespace, then consumes c if it is next. Never fails.
  bool TryConsume(char c);
  // Skips whitespace, then requires c. what names the expected thing.
  bool Expect(char c, std::string_view what);
  // Requires a string; stores its decoded contents (a view of the text when it
  // has no escapes, else of *scratch).
  bool ReadString(std::string_view* out);
  // Requires a number token; stores its exact text (for the caller to convert).
  bool ReadNumberToken(std::string_view* out);
  // Requires the literal (true, false or null).
  bool ReadLiteral(std::string_view literal);
  // Skips any one value, nested at most kMaxDepth.
  bool SkipValue();
  // Skips whitespace; true when nothing else follows.
  bool AtEnd();

  // Records the first failure at the current position. Always returns false.
  bool Fail(std::string what);
  // Byte offset of the next unread byte.
  size_t offset() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  void SkipSpace();
  bool SkipValueAt(int depth);
  bool ReadHex4(unsigned* out);

  std::string_view text_;
  std::string* scratch_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace vigil::ingest
