#pragma once
// Numbers printed the way Go prints them, for outputs that peers written in
// Go produce (PromQL strings, blackbox_exporter metrics, logs).

#include <string>

namespace vigil {

// A float64 as Go's fmt %v prints it (strconv 'g', shortest digits):
// "1", "0.5", "1e+06", "1e-05", "-0", "NaN", "+Inf", "-Inf".
std::string FormatGoFloat(double v);

}  // namespace vigil
