#pragma once
// Builders of LogsQL's leaf filters: the ones that test one field's value
// (word, phrase, prefix, exact, regexp, ranges, in, ...), the `_time` filter
// and the `_stream` filter. Matching follows VictoriaLogs: words are the
// runs of logstore::IsTokenByte bytes, a phrase matches where it starts and
// ends on word boundaries, an absent field has the value "".

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logsql/filter.h"

namespace vigil::logsql {

// True when `phrase` occurs in `value` starting and ending on word
// boundaries (a boundary is checked only where the phrase's first/last byte
// is a word byte). The empty phrase matches only the empty value.
bool MatchPhrase(std::string_view value, std::string_view phrase);
// Like MatchPhrase but the end of the phrase need not be a word boundary.
// The empty prefix matches every non-empty value.
bool MatchPrefix(std::string_view value, std::string_view prefix);

// `field:word`, `field:"a phrase"` (case_insensitive: `i(...)`).
FilterPtr MakePhraseFilter(std::string field, std::string phrase, bool case_insensitive);
// `field:pre*`, `field:"a phr"*`, `i(pre*)`.
FilterPtr MakePrefixFilter(std::string field, std::string prefix, bool case_insensitive);
// `field:*sub*`: the value contains `sub` anywhere.
FilterPtr MakeSubstringFilter(std::string field, std::string sub);
// `field:=value` (or `=value*` when prefix), `exact(...)`; `field:""` is the
// exact filter on "".
FilterPtr MakeExactFilter(std::string field, std::string value, bool prefix);
// `field:*`: the field is present (non-empty).
FilterPtr MakeAnyValueFilter(std::string field);
// `field:~"re"` / `re("re")`: RE2 match anywhere in the value.
Result<FilterPtr> MakeRegexFilter(std::string field, std::string regex);
// `seq("a", "b c")`: the phrases occur in this order.
FilterPtr MakeSeqFilter(std::string field, std::vector<std::string> phrases);
// `range(lo, hi)` and `>`/`>=`/`<`/`<=` on numbers; values that are not
// numbers (ParseNumber) never match. `text` is how the filter is rendered.
FilterPtr MakeRangeFilter(std::string field, double lo, bool lo_inclusive, double hi, bool hi_inclusive,
                          std::string text);
// `string_range(lo, hi)` = [lo, hi), and `>`/`<` on non-numeric strings.
FilterPtr MakeStringRangeFilter(std::string field, std::string lo, bool lo_inclusive, std::string hi,
                                bool hi_inclusive, bool hi_unbounded, std::string text);
// `len_range(lo, hi)`: UTF-8 length in [lo, hi].
FilterPtr MakeLenRangeFilter(std::string field, uint64_t lo, uint64_t hi, std::string text);
// `ipv4_range(lo, hi)` (inclusive) and `ipv4_range("10.0.0.0/8")`.
FilterPtr MakeIpv4RangeFilter(std::string field, uint32_t lo, uint32_t hi, std::string text);
// `a:eq_field(b)`, `a:lt_field(b)`, `a:le_field(b)`: compares two fields of
// the same row (numbers numerically, else bytewise, as sort does).
FilterPtr MakeFieldCompareFilter(std::string field, std::string other, std::string op);
// `in(a, b, ...)`: the value equals one of `values`.
FilterPtr MakeInFilter(std::string field, std::vector<std::string> values);
// `contains_all(...)` / `contains_any(...)`: every / some phrase matches.
FilterPtr MakeContainsFilter(std::string field, std::vector<std::string> phrases, bool all);

// How a `_time` filter was written; bounds resolve against `now` at
// evaluation so that one parsed query can run at different times.
struct TimeFilterSpec {
  enum class Kind {
    kLast,        // _time:5m          (now-d, now]
    kOlderThan,   // _time:>5m         [-inf, now-d]
    kNewerThan,   // _time:<5m         (now-d, +inf]
    kAbsolute,    // min/max given in ns
    kUntilNow,    // _time:offset 1h   [-inf, now]
    kDayRange,    // _time:day_range[08:00, 18:00) offset 2h: time of day in [min_ns, max_ns]
    kWeekRange,   // _time:week_range[Mon, Fri]: weekday (0 = Sunday) in [min_ns, max_ns]
  };
  Kind kind = Kind::kLast;
  int64_t duration_ns = 0;
  int64_t min_ns = 0;  // kAbsolute, inclusive
  int64_t max_ns = 0;  // kAbsolute, inclusive
  int64_t offset_ns = 0;  // day/week ranges: the time zone's offset east of UTC
  std::string text;       // rendering after `_time:`
};
FilterPtr MakeTimeFilter(TimeFilterSpec spec);

// One matcher of a stream selector: label op value.
struct StreamMatcher {
  enum class Op { kEq, kNeq, kRe, kNre };
  std::string label;
  Op op = Op::kEq;
  std::string value;
};
// `{a="x",b=~"y.*"}`; a selector with `or` is several matcher lists.
// Returns InvalidArgument when a regex does not compile.
Result<FilterPtr> MakeStreamFilter(std::vector<std::vector<StreamMatcher>> alternatives);

}  // namespace vigil::logsql
