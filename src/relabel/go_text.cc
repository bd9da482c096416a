#include "relabel/go_text.h"

#include <locale.h>
#include <re2/re2.h>
#include <wctype.h>

namespace vigil::relabel::internal {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The C.UTF-8 locale for towlower_l/towupper_l, or null when the system has
// none. Created once; never freed (it lives as long as the process).
locale_t Utf8Locale() {
  static const locale_t loc = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      locale_t l = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr));
      if (l != static_cast<locale_t>(nullptr)) return l;
    }
    return static_cast<locale_t>(nullptr);
  }();
  return loc;
}

enum class Case { kLower, kUpper };

uint32_t MapRune(uint32_t r, Case c) {
  if (r < 0x80) {
    if (c == Case::kLower && r >= 'A' && r <= 'Z') return r + ('a' - 'A');
    if (c == Case::kUpper && r >= 'a' && r <= 'z') return r - ('a' - 'A');
    return r;
  }
  const locale_t loc = Utf8Locale();
  if (loc == static_cast<locale_t>(nullptr)) return r;
  const wint_t w = static_cast<wint_t>(r);
  const wint_t m = c == Case::kLower ? towlower_l(w, loc) : towupper_l(w, loc);
  return static_cast<uint32_t>(m);
}

std::string MapCase(std::string_view s, Case c) {
  // Fast path as in Go: pure ASCII needs no decoding.
  bool ascii = true;
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      ascii = false;
      break;
    }
  }
  std::string out;
  out.reserve(s.size());
  if (ascii) {
    for (char ch : s) out.push_back(static_cast<char>(MapRune(static_cast<unsigned char>(ch), c)));
    return out;
  }
  for (size_t i = 0; i < s.size();) {
    uint32_t r = 0;
    i += DecodeRune(s.substr(i), &r);
    AppendRune(MapRune(r, c), &out);
  }
  return out;
}

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

size_t DecodeRune(std::string_view s, uint32_t* rune) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  *rune = kRuneError;
  if (b0 < 0x80) {
    *rune = b0;
    return 1;
  }
  size_t width = 0;
  uint32_t r = 0;
  uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    width = 2;
    r = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    width = 3;
    r = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    width = 4;
    r = b0 & 0x07;
    min = 0x10000;
  } else {
    return 1;  // a continuation byte or a byte that never starts UTF-8
  }
  if (s.size() < width) return 1;
  for (size_t k = 1; k < width; ++k) {
    const auto b = static_cast<unsigned char>(s[k]);
    if (!IsContinuation(b)) return 1;
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 1;
  *rune = r;
  return width;
}

void AppendRune(uint32_t r, std::string* out) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

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

std::string GoToLower(std::string_view s) { return MapCase(s, Case::kLower); }
std::string GoToUpper(std::string_view s) { return MapCase(s, Case::kUpper); }

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
