#pragma once
// Numbers and strings printed the way Go prints them, for outputs that peers
// written in Go produce (PromQL strings, label values, blackbox_exporter
// metrics, logs).

#include <string>
#include <string_view>

namespace vigil {

// A float64 as Go's fmt %v prints it (strconv 'g', shortest digits):
// "1", "0.5", "1e+06", "1e-05", "-0", "NaN", "+Inf", "-Inf".
std::string FormatGoFloat(double v);

// Appends `s` to `*out` in double quotes, escaping backslash, quote, \n, \r,
// \t and other control bytes (\xNN) as Go's %q does for printable text.
void AppendQuoted(std::string* out, std::string_view s);

}  // namespace vigil
