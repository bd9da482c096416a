#pragma once
// The `stats` pipe: groups rows by by-fields (optionally bucketed, e.g.
// `_time:1h offset 30m` or `duration:100`) and computes functions per group:
// count, count_empty, count_uniq, sum, sum_len, avg, min, max, median,
// quantile, values, uniq_values, row_any, row_min, row_max; each may carry
// `if (<filter>)` and `as <name>`. Default result names are the function's
// text, e.g. `count(*)`, as VictoriaLogs names them.

#include <memory>
#include <string>
#include <vector>

#include "logsql/filter.h"
#include "logsql/pipe.h"

namespace vigil::logsql {

// One `by` entry.
struct StatsBy {
  std::string field;
  // Bucket width: ns for `_time`, a number for other fields; 0 = no bucket.
  double step = 0;
  int64_t offset_ns = 0;
  // `ip:/24`: IPv4 values grouped by their network of this many bits.
  unsigned ipv4_mask_bits = 0;
  std::string text;  // how the bucket was written after `field:` ("1h offset 30m")
};

// One stats function call.
struct StatsFunc {
  std::string func;                 // "count", "quantile", ...
  std::vector<std::string> fields;  // empty or {"*"} = every field
  double phi = 0;                   // quantile
  uint64_t limit = 0;               // values / uniq_values
  std::shared_ptr<const Filter> condition;  // `if (...)`, may be null
  std::string result_name;
  // The function's text without `as`, e.g. "count(*)", "quantile(0.9, x)".
  std::string String() const;
};

class StatsPipe final : public Pipe {
 public:
  StatsPipe(std::vector<StatsBy> by, std::vector<StatsFunc> funcs);
  void AppendString(std::string* out) const override;
  std::string_view name() const override { return "stats"; }
  std::unique_ptr<RowProcessor> NewProcessor(RowProcessor* next, const PipeContext& ctx) const override;
  bool InputFields(std::vector<std::string>* out) const override;

  // Output field names of the by-list and of the results, in order.
  std::vector<std::string> ByNames() const;
  std::vector<std::string> ResultNames() const;
  // Replaces (or adds) the `_time` bucket of the by-list.
  void SetTimeBucket(int64_t step_ns, int64_t offset_ns);

  const std::vector<StatsBy>& by() const { return by_; }
  const std::vector<StatsFunc>& funcs() const { return funcs_; }

 private:
  std::vector<StatsBy> by_;
  std::vector<StatsFunc> funcs_;
};

// True when `name` is a stats function LogsQL knows.
bool IsStatsFunction(std::string_view name);

}  // namespace vigil::logsql
