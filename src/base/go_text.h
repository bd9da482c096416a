#pragma once
// UTF-8 and case mapping as Go's standard library does them, shared by the
// modules that must reproduce Go programs' text output (relabeling rules,
// alert templates): utf8.DecodeRuneInString, utf8.AppendRune,
// strings.ToLower / strings.ToUpper / unicode.ToUpper.
//
// All functions are pure and thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::gotext {

// U+FFFD, what Go yields for a byte that does not start valid UTF-8.
inline constexpr uint32_t kRuneError = 0xFFFD;

// Decodes the rune starting at s[0] as Go's utf8.DecodeRuneInString: stores
// it in *rune and returns its width in bytes. Overlong forms, surrogates,
// code points above U+10FFFF and truncated sequences yield kRuneError with
// width 1.
// REQUIRES: !s.empty().
size_t DecodeRune(std::string_view s, uint32_t* rune);

// Appends the UTF-8 encoding of `rune` to *out; invalid code points (as Go's
// utf8.AppendRune) are written as U+FFFD.
void AppendRune(uint32_t rune, std::string* out);

// unicode.ToUpper / unicode.ToLower of one rune: simple (one rune to one
// rune) Unicode case mapping. Non-ASCII mapping uses the C library's C.UTF-8
// tables; where that locale is missing only ASCII letters change.
uint32_t ToUpperRune(uint32_t rune);
uint32_t ToLowerRune(uint32_t rune);

// Go's strings.ToLower / strings.ToUpper: the rune mappings above over the
// string; bytes that are not valid UTF-8 become U+FFFD.
std::string GoToLower(std::string_view s);
std::string GoToUpper(std::string_view s);

// The C.UTF-8 locale's iswalnum / iswspace for a non-ASCII rune (false
// where that locale is missing): approximations of Go's Unicode categories
// for callers that do not carry Unicode tables.
bool IsLocaleAlnum(uint32_t rune);
bool IsLocaleSpace(uint32_t rune);

}  // namespace vigil::gotext
