#pragma once
// Helpers for the template module's table tests.

#include <initializer_list>
#include <string>
#include <utility>

#include "template/template.h"

namespace vigil::tmpl::testing {

inline Value M(std::initializer_list<std::pair<const std::string, Value>> entries) {
  ValueMap m;
  for (const auto& [k, v] : entries) m.entries.emplace(k, v);
  return Value::Map(std::move(m));
}

inline Value L(std::initializer_list<Value> items) { return Value::List(ValueList(items)); }
inline Value S(std::string s) { return Value::String(std::move(s)); }
inline Value I(int64_t i) { return Value::Int(i); }
inline Value F(double d) { return Value::Float(d); }

// Parses and executes `text` as template "test"; returns the output, or
// "ERROR: <message>" when parsing or execution fails.
inline std::string Render(std::string_view text, const Value& data = Value(), const ExecContext& ctx = {},
                          const ParseOptions& options = {}) {
  auto t = Template::Parse("test", text, options);
  if (!t.ok()) return "ERROR: " + t.status().message();
  auto out = t->Execute(data, ctx);
  if (!out.ok()) return "ERROR: " + out.status().message();
  return *out;
}

}  // namespace vigil::tmpl::testing
