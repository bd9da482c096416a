#include "relabel/go_text.h"

#include <re2/re2.h>

namespace vigil::relabel::internal {
namespace {

// Go's regexp `extract`: parses a group reference at the start of `s` (just
// after a `$`). On success stores the name, the group number (-1 when it is
// to be looked up by name) and the bytes consumed.
bool ExtractReference(std::string_view s, std::string_view* name, int* num, size_t* consumed) {
  if (s.empty()) return false;
  size_t start = 0;
  const bool brace = s[0] == '{';
  if (brace) start = 1;
  size_t i = start;
  while (i < s.size()) {
    uint32_t r = 0;
    const size_t width = DecodeRune(s.substr(i), &r);
    if (r != '_' && !IsLetterOrDigit(r)) break;
    i += width;
  }
  if (i == start) return false;  // empty name
  *name = s.substr(start, i - start);
  if (brace) {
    if (i >= s.size() || s[i] != '}') return false;  // missing closing brace
    ++i;
  }
  int n = 0;
  for (char ch : *name) {
    if (ch < '0' || ch > '9' || n >= 100000000) {
      n = -1;
      break;
    }
    n = n * 10 + (ch - '0');
  }
  if ((*name)[0] == '0' && name->size() > 1) n = -1;  // leading zeros are names
  *num = n;
  *consumed = i;
  return true;
}

}  // namespace

bool IsLetterOrDigit(uint32_t r) {
  if (r < 0x80) {
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  }
  if (r == kRuneError || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return false;
  // RE2 carries the Unicode category tables; one rune is cheap to test.
  static const RE2* const kLetterOrDigit = new RE2(R"([\pL\p{Nd}])");
  std::string encoded;
  AppendRune(r, &encoded);
  return RE2::FullMatch(encoded, *kLetterOrDigit);
}


void ExpandTemplate(std::string_view tmpl, const MatchGroups& match, std::string* out) {
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {  // `$$` is a literal `$`
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view name;
    int num = -1;
    size_t consumed = 0;
    if (!ExtractReference(tmpl, &name, &num, &consumed)) {
      out->push_back('$');  // malformed: the `$` is plain text
      continue;
    }
    tmpl.remove_prefix(consumed);
    if (num < 0 && match.names != nullptr) {
      const auto it = match.names->find(std::string(name));
      if (it != match.names->end()) num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < match.groups.size()) {
      out->append(match.groups[static_cast<size_t>(num)]);
    }
  }
  out->append(tmpl);
}

}  // namespace vigil::relabel::internal
