#pragma once
// Series selectors as PromQL writes them: `up`, `up{job="node"}`,
// `{__name__=~"node_.*", instance!="a"}`. Used by every endpoint that takes
// `match[]` (export, federate, series, labels, delete_series) and by the
// PromQL parser for vector selectors.

#include <string_view>
#include <vector>

#include "base/status.h"
#include "tsdb/matcher.h"

namespace vigil::promql {

// Parses one series selector into matchers (a metric name becomes
// __name__="name" first). Errors are InvalidArgument in Prometheus' style:
// `1:7: parse error: unexpected "}" in label matching, expected string`.
// Also rejects selectors whose every matcher matches the empty string
// ("vector selector must contain at least one non-empty matcher").
Result<std::vector<tsdb::Matcher>> ParseSeriesSelector(std::string_view input);

// Decodes a PromQL string literal starting at input[*pos] ('"', '\'' or '`')
// and advances *pos past it. Go escapes (\n \t \\ \" \' \xNN \uNNNN
// \UNNNNNNNN \NNN octal) apply inside quotes; backticks are raw.
Result<std::string> ParseStringLiteral(std::string_view input, size_t* pos);

}  // namespace vigil::promql
