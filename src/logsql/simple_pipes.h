#pragma once
// Builders of the pipes that shape, order, limit and count rows: fields,
// delete, rename, copy, sort, limit, offset, uniq, top, filter, len,
// field_names, field_values, drop_empty_fields. pipe_parser.cc parses them.

#include <string>
#include <utility>
#include <vector>

#include "logsql/filter.h"
#include "logsql/pipe.h"
#include "logsql/values.h"

namespace vigil::logsql {

// A field name, or a prefix when written `name*` (`*` alone = every field).
struct FieldPattern {
  std::string name;
  bool prefix = false;
  bool Matches(std::string_view field) const {
    return prefix ? field.substr(0, name.size()) == name : field == name;
  }
  std::string String() const;
};

PipePtr MakeFieldsPipe(std::vector<FieldPattern> fields);
PipePtr MakeDeletePipe(std::vector<FieldPattern> fields);
// rename/copy: pairs (from, to).
PipePtr MakeRenamePipe(std::vector<std::pair<std::string, std::string>> pairs, bool copy);
PipePtr MakeLimitPipe(uint64_t n, std::string_view alias = "limit");
PipePtr MakeOffsetPipe(uint64_t n, std::string_view alias = "offset");
PipePtr MakeFilterPipe(FilterPtr filter);
PipePtr MakeDropEmptyFieldsPipe();
PipePtr MakeLenPipe(std::string field, std::string result);

struct SortKey {
  std::string field;
  bool desc = false;
};
// keys empty = every field by name. limit 0 = none.
PipePtr MakeSortPipe(std::vector<SortKey> keys, bool desc, uint64_t offset, uint64_t limit);
PipePtr MakeUniqPipe(std::vector<std::string> fields, bool with_hits, uint64_t limit);
// `top N by (fields) [hits as name] [rank [as name]]`; rank_name "" = no rank.
PipePtr MakeTopPipe(uint64_t n, std::vector<std::string> fields, std::string hits_name, std::string rank_name = "");
PipePtr MakeFieldNamesPipe();
PipePtr MakeFieldValuesPipe(std::string field, uint64_t limit);

}  // namespace vigil::logsql
