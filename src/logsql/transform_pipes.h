#pragma once
// Builders of the pipes that derive fields from values: extract, format,
// replace, unpack_json, unpack_logfmt and math. Each may carry an
// `if (<filter>)` condition (null = every row).

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "logsql/filter.h"
#include "logsql/pipe.h"
#include "logsql/simple_pipes.h"

namespace vigil::logsql {

// `extract "ip=<ip> <_>" [from f]`: placeholders <name> capture up to the
// next literal text (a value starting with `"` is read as a quoted string);
// `<_>` is skipped. Rows whose value does not match are left as they are.
Result<PipePtr> MakeExtractPipe(std::string pattern, std::string from, std::shared_ptr<const Filter> cond);
// `format "text <f> <q:f>" as result`: <q:f> writes the value JSON-quoted.
Result<PipePtr> MakeFormatPipe(std::string pattern, std::string result, std::shared_ptr<const Filter> cond);
// `replace ("old", "new") [at f] [limit N]`.
PipePtr MakeReplacePipe(std::string old_text, std::string new_text, std::string at, uint64_t limit,
                        std::shared_ptr<const Filter> cond);
// How `unpack_json` / `unpack_logfmt` were written.
struct UnpackOptions {
  bool logfmt = false;
  std::string from = "_msg";
  std::vector<FieldPattern> fields;  // empty = every unpacked field
  std::string prefix;                // result_prefix
  bool keep_original_fields = false;  // never overwrite a non-empty field
  bool skip_empty_results = false;    // never overwrite with an empty value
};
// `unpack_json [from f] [fields (a, b*)] [result_prefix p]`: nested objects
// flattened with dots; arrays and non-string scalars kept as JSON text.
PipePtr MakeUnpackPipe(UnpackOptions options, std::shared_ptr<const Filter> cond);

// Parses `| math ...` after the keyword (expressions `as` names).
Result<PipePtr> ParseMathPipe(class Lexer* lex);

// Flattens the JSON object in `text` into (dotted name, value) pairs.
// nullopt when `text` is not a JSON object. Depth and size are bounded.
std::optional<std::vector<std::pair<std::string, std::string>>> FlattenJsonObject(std::string_view text);

}  // namespace vigil::logsql
