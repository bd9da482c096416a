#pragma once
// Go standard-library text behaviour the template functions rely on: fmt's
// Sprint/Sprintln/Sprintf, strconv.Quote and ParseFloat, net/url escaping,
// text/template's HTML and JS escapers, JSON string encoding and UTF-8 case
// mapping. Internal to the template module. All functions are pure and
// thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/go_text.h"
#include "base/status.h"
#include "template/template.h"

namespace vigil::tmpl::internal {

// fmt.Sprint: spaces between operands when neither is a string.
std::string GoSprint(std::span<const Value> args);
// fmt.Sprintln: spaces between all operands, then a newline.
std::string GoSprintln(std::span<const Value> args);
// fmt.Sprintf for the verbs %v %s %q %d %f %F %e %E %g %G %x %X %o %b %c %t
// %% with flags `+- #0`, width and precision (`*` too). Mismatches render
// as Go does: %!d(string=x), %!d(MISSING), %!(EXTRA int=1).
std::string GoSprintf(std::string_view format, std::span<const Value> args);

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, f, g with prec >= 0,
// or prec < 0 for the shortest representation.
std::string FormatFloat(double v, char fmt, int prec);

// strconv.Quote: a double-quoted Go string literal.
std::string GoQuote(std::string_view s);
// strconv.ParseFloat(s, 64); errors read
// `strconv.ParseFloat: parsing "x": invalid syntax`.
Result<double> ParseGoFloat(std::string_view s);

// url.QueryEscape / url.PathEscape.
std::string QueryEscape(std::string_view s);
std::string PathEscape(std::string_view s);
// text/template's HTMLEscapeString and JSEscapeString.
std::string HtmlEscape(std::string_view s);
std::string JsEscape(std::string_view s);
// html.EscapeString (&#39; and &#34;, as vmalert's htmlEscape).
std::string HtmlEscapeString(std::string_view s);
// encoding/json string encoding, with surrounding quotes.
std::string JsonQuote(std::string_view s);

// strings.ToUpper / ToLower (from base) and Title (Unicode simple case
// mapping).
using gotext::GoToLower;
using gotext::GoToUpper;
std::string GoTitle(std::string_view s);

// unicode.IsLetter(r) || unicode.IsDigit(r) (Unicode tables of the C
// library's C.UTF-8 locale; ASCII only when that locale is missing).
bool IsLetterOrDigit(uint32_t rune);

// utf8.DecodeRuneInString and utf8.AppendRune (from base).
using gotext::AppendRune;
using gotext::DecodeRune;

}  // namespace vigil::tmpl::internal
