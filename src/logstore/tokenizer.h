#pragma once
// Word tokenisation shared by the log store's bloom filters and LogsQL's word,
// phrase and prefix filters: both must split text identically, or a block that
// holds a word could be skipped.

#include <string_view>

namespace vigil::logstore {

// True for the bytes that form words: ASCII letters, digits, '_' and every
// byte >= 0x80 (so UTF-8 letters stay inside words, as VictoriaLogs treats
// Unicode letters).
inline bool IsTokenByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

// Calls fn(token) for every maximal run of token bytes in text, in order,
// duplicates included. Tokens are views into text.
template <typename Fn>
void ForEachToken(std::string_view text, Fn&& fn) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && !IsTokenByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < n && IsTokenByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) fn(text.substr(start, i - start));
  }
}

}  // namespace vigil::logstore
