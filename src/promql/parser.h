#pragma once
// The PromQL parser (Prometheus 2.42 grammar and type checks).

#include <memory>
#include <string_view>

#include "base/status.h"
#include "promql/ast.h"

namespace vigil::promql {

// Deepest nesting of sub-expressions the parser accepts; deeper input gets
// a parse error instead of exhausting the stack.
inline constexpr int kMaxParseDepth = 256;

// Parses and type-checks `input`. Errors are InvalidArgument with
// Prometheus-style messages: `1:5: parse error: unexpected "}"`.
// Never crashes on any input; recursion is bounded by kMaxParseDepth.
Result<std::unique_ptr<Expr>> ParseExpr(std::string_view input);

}  // namespace vigil::promql
