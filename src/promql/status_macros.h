#pragma once
// Error-propagation helpers private to the promql module.

#include "base/status.h"

#define PROMQL_CONCAT_INNER(a, b) a##b
#define PROMQL_CONCAT(a, b) PROMQL_CONCAT_INNER(a, b)

// Returns the Status `expr` from the enclosing function when it is not OK.
#define PROMQL_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::vigil::Status promql_status = (expr); \
    if (!promql_status.ok()) return promql_status; \
  } while (0)

// Evaluates the Result `rexpr`; returns its Status when not OK, else moves
// the value into `lhs` (a declaration such as `auto x`).
#define PROMQL_ASSIGN_OR_RETURN(lhs, rexpr) \
  PROMQL_ASSIGN_OR_RETURN_IMPL(PROMQL_CONCAT(promql_result_, __LINE__), lhs, rexpr)
#define PROMQL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(*tmp)
