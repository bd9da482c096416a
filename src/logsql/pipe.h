#pragma once
// Pipes: the `| name ...` stages after a LogsQL filter. A parsed Pipe is
// immutable; each execution asks it for a RowProcessor that consumes rows and
// feeds the next processor. Streaming pipes pass rows on as they come;
// blocking ones (sort, stats, uniq, top, ...) hold them until Finish.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logstore/row.h"

namespace vigil::logsql {

class Lexer;

// One result row: ordered (name, value) fields, names unique.
using Row = std::vector<logstore::Field>;

// The value of field `name` in `row`, "" when absent.
std::string_view FieldValue(const Row& row, std::string_view name);
// Sets field `name` to `value`, appending it when absent.
void SetField(Row* row, std::string_view name, std::string value);

// Consumes rows of one execution. Not thread-safe: one execution drives it.
class RowProcessor {
 public:
  virtual ~RowProcessor() = default;
  // Consumes one row. Returns false when no further rows are wanted (e.g. a
  // limit was reached); the caller should stop and call Finish.
  virtual bool Push(Row row) = 0;
  // Called once after the last Push: flushes held rows downstream and then
  // finishes the next processor. Returns a non-OK status when a limit was hit.
  virtual Status Finish() = 0;
};

// What a pipe knows about the execution it runs in.
struct PipeContext {
  int64_t now_ns = 0;
  // Bounds rows held by blocking pipes (sort, stats groups, uniq); 0 = none.
  uint64_t max_held_rows = 0;
};

// A parsed pipe.
class Pipe {
 public:
  virtual ~Pipe() = default;
  // Appends the canonical LogsQL text, e.g. "limit 10".
  virtual void AppendString(std::string* out) const = 0;
  // A processor for one execution that feeds `next`. REQUIRES: next outlives
  // the returned processor.
  virtual std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const = 0;
  // The pipe's name as written (`stats`, `sort`, ...).
  virtual std::string_view name() const = 0;
  // When the pipe's output depends only on some input fields (and none of
  // the others pass through), adds their names (`prefix*` for prefixes) to
  // `out` and returns true; false when it may read or pass any field.
  virtual bool InputFields(std::vector<std::string>* /*out*/) const { return false; }
};

using PipePtr = std::unique_ptr<Pipe>;

// Parses one pipe at the lexer's cursor (after the `|`). Errors are
// InvalidArgument with the position.
Result<PipePtr> ParsePipe(Lexer* lex);

}  // namespace vigil::logsql
