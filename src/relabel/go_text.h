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

#include "base/go_text.h"

namespace vigil::relabel::internal {

// UTF-8 decoding and case mapping are Go's, from base.
using gotext::AppendRune;
using gotext::DecodeRune;
using gotext::GoToLower;
using gotext::GoToUpper;
using gotext::kRuneError;

// Whether `rune` is a Unicode letter (category L) or decimal digit (Nd), as
// Go's unicode.IsLetter || unicode.IsDigit.
bool IsLetterOrDigit(uint32_t rune);

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
