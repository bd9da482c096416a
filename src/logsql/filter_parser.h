#pragma once
// The LogsQL filter grammar (precedence NOT > AND > OR, juxtaposition = AND):
//   or     := and ("or" and)*
//   and    := unary (["and"] unary)*
//   unary  := ("not" | "-" | "!") unary | "(" or ")" | "{" stream "}" | leaf
//   leaf   := [name ":"] value-filter
// The pipe parsers use it for `| filter ...` and `if (...)`.

#include "base/status.h"
#include "logsql/filter.h"
#include "logsql/lexer.h"

namespace vigil::logsql {

// Parses filters at the cursor up to the first `|`, unmatched `)` or the
// end. Fails with InvalidArgument when no filter is there.
Result<FilterPtr> ParseFilter(Lexer* lex);

}  // namespace vigil::logsql
