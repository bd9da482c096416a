#pragma once
// Text helpers that reproduce Go standard-library behaviour the relabeling
// rules depend on: UTF-8 decoding as Go's utf8.DecodeRuneInString, the
// expansion of `$1` / `${name}` templates as regexp.Expand, and
// strings.ToLower / strings.ToUpper. Internal to the relabel module.
//
// All functions are pure and thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace vigil::relabel::internal {

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

// Whether `rune` is a Unicode letter (category L) or decimal digit (Nd), as
// Go's unicode.IsLetter || unicode.IsDigit.
bool IsLetterOrDigit(uint32_t rune);

// Go's strings.ToLower / strings.ToUpper: simple (one rune to one rune)
// Unicode case mapping; bytes that are not valid UTF-8 become U+FFFD.
// Non-ASCII mapping uses the C library's C.UTF-8 tables; where that locale is
// missing only ASCII letters change.
std::string GoToLower(std::string_view s);
std::string GoToUpper(std::string_view s);

// The submatches of one successful match, as regexp.Expand reads them.
struct MatchGroups {
  // groups[0] is the whole match, groups[i] capture group i; a group that
  // did not take part in the match is an empty view.
  std::span<const std::string_view> groups;
  // Capture-group names to their indices.
  const std::map<std::string, int>* names = nullptr;
};

// Appends to *out the expansion of `tmpl` as Go's (*regexp.Regexp).Expand:
// `$$` is a literal `$`; `$name` and `${name}` name a group by number or by
// name, where `name` is the longest run of letters, digits and `_` (so `$1x`
// is the group named `1x`); a number with a leading zero or of more than 9
// digits is looked up as a name. Unknown or unmatched groups expand to
// nothing. A `$` not followed by a well-formed reference is copied as is.
void ExpandTemplate(std::string_view tmpl, const MatchGroups& match, std::string* out);

}  // namespace vigil::relabel::internal
