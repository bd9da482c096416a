#include "base/go_text.h"

#include <locale.h>
#include <wctype.h>

#include "base/utf8.h"

namespace vigil::gotext {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The C.UTF-8 locale for the towlower_l family, or null when the system has
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
  return static_cast<uint32_t>(c == Case::kLower ? towlower_l(w, loc) : towupper_l(w, loc));
}

std::string MapCase(std::string_view s, Case c) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {  // ASCII needs no decoding
      out.push_back(static_cast<char>(MapRune(b, c)));
      ++i;
      continue;
    }
    uint32_t r = 0;
    i += DecodeRune(s.substr(i), &r);
    AppendRune(MapRune(r, c), &out);
  }
  return out;
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
  AppendUtf8(out, r);
}

uint32_t ToUpperRune(uint32_t rune) { return MapRune(rune, Case::kUpper); }
uint32_t ToLowerRune(uint32_t rune) { return MapRune(rune, Case::kLower); }

std::string GoToLower(std::string_view s) { return MapCase(s, Case::kLower); }
std::string GoToUpper(std::string_view s) { return MapCase(s, Case::kUpper); }

bool IsLocaleAlnum(uint32_t rune) {
  const locale_t loc = Utf8Locale();
  return loc != static_cast<locale_t>(nullptr) && iswalnum_l(static_cast<wint_t>(rune), loc);
}

bool IsLocaleSpace(uint32_t rune) {
  const locale_t loc = Utf8Locale();
  return loc != static_cast<locale_t>(nullptr) && iswspace_l(static_cast<wint_t>(rune), loc);
}

}  // namespace vigil::gotext
