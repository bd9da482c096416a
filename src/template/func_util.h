#pragma once
// Argument checks shared by the built-in and Prometheus function tables.
// Internal to the template module.

#include <string>
#include <string_view>

#include "base/status.h"
#include "template/template.h"

namespace vigil::tmpl::internal {

// Go's "wrong type for value; expected T; got U".
inline Status WrongType(std::string_view expected, const Value& got) {
  return Status::InvalidArgument("wrong type for value; expected " + std::string(expected) + "; got " +
                                 got.GoTypeName());
}

// The string argument of a function declared with a string parameter.
inline Result<std::string> StringArg(const Value& v) {
  if (v.kind() != Value::Kind::kString) return WrongType("string", v);
  return v.as_string();
}

// Prometheus' convertToFloat: float64, integers and strings (ParseFloat).
Result<double> ConvertToFloat(const Value& v);

}  // namespace vigil::tmpl::internal
