#pragma once
// Escaping for the small HTML pages components serve (/targets, /vmalert/*).

#include <string>
#include <string_view>

namespace vigil::html {

// Appends `s` with <, >, & and " replaced by their entities, safe inside
// element text and double-quoted attributes.
inline void AppendEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '<': *out += "&lt;"; break;
      case '>': *out += "&gt;"; break;
      case '&': *out += "&amp;"; break;
      case '"': *out += "&quot;"; break;
      default: out->push_back(c);
    }
  }
}

}  // namespace vigil::html
