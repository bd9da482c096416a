#pragma once
// Parsers for the Prometheus text exposition format 0.0.4 and the
// OpenMetrics 1.0 text format: what exporters return on /metrics and what
// /api/v1/import/prometheus accepts. Choosing the format (content
// negotiation) is the caller's job.
//
// The grammar follows Prometheus 2.42's model/textparse lexers, so what
// Prometheus scrapes parses the same here and what it rejects is rejected,
// with Prometheus' wording prefixed by "line N: ". In short:
//   Prometheus 0.0.4: spaces/tabs allowed between all tokens (also inside
//     `{}`, and before a '#'; before a sample's name they are an error, as
//     Prometheus' scrape fails on them); a trailing comma and even a missing
//     comma between labels are accepted; label values may span lines;
//     timestamps are optional integer milliseconds (digits only); any line
//     starting with '#' that is not "# HELP"/"# TYPE" is a comment; "\r\n"
//     is NOT a line break (as in Prometheus) unless accept_crlf is set.
//   OpenMetrics 1.0: single spaces only, no comments besides HELP, TYPE,
//     UNIT and the mandatory final "# EOF" (nothing may follow it, except
//     one '\n'), timestamps in seconds with a fraction (converted to ms as
//     Prometheus does: int64(seconds * 1000)), exemplars after " # {...}"
//     on _total and _bucket series, types info/stateset/gaugehistogram.
//   Values: Go's ParseFloat minus 'p'/'P'/'_' (no hex): decimals, "NaN",
//     "+Inf", "-Inf", "Inf", "infinity", case-insensitive. NaN is returned
//     as Prometheus' normal NaN (bits 0x7ff8000000000001).
// Deliberate differences, all stricter than Prometheus: a NUL byte where a
// line should start is an error (Prometheus silently stops reading); a
// label name repeated within one series (including `__name__`) is an error
// here rather than later in Prometheus' appender; and the size limits.
//
// Allocation: names, label names and values are views into the input; a
// label value or help text containing a backslash escape is unescaped into
// a scratch buffer the parser owns. Once the parser's buffers have grown to
// fit the largest series, parsing allocates nothing per sample.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/sample_row.h"
#include "base/status.h"

namespace vigil::textparse {

// Which text format the input is in.
enum class Format : uint8_t { kPrometheus, kOpenMetrics };

// Metric family types. Prometheus' "untyped" is kUnknown; kGaugeHistogram,
// kInfo and kStateset exist only in OpenMetrics.
enum class MetricType : uint8_t {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset,
};

// The lowercase OpenMetrics name of `type` ("unknown" for kUnknown), as
// /api/v1/metadata reports it.
std::string_view MetricTypeName(MetricType type);

// Bounds on what one entry may contain. 0 disables a bound. Going past one
// is an error with code kResourceExhausted naming the limit.
struct ParserLimits {
  // Bytes of one entry from the start of its line up to its line break
  // (a label value that spans lines makes one entry several lines long).
  size_t max_line_bytes = 1 << 20;
  // Labels per series, counting the metric name as one label, as
  // Prometheus' label_limit does.
  size_t max_labels_per_series = 1024;
  // Bytes of one label name.
  size_t max_label_name_bytes = 1024;
  // Bytes of one label value after unescaping.
  size_t max_label_value_bytes = 64 * 1024;
};

// How to parse.
struct ParserOptions {
  ParserLimits limits;
  // Prometheus format only: treat "\r\n" as a line break (and '\r' as a
  // blank between tokens), as VictoriaMetrics' import does. Prometheus
  // itself rejects such lines, hence off by default.
  bool accept_crlf = false;
};

// What an entry is.
enum class EntryKind : uint8_t {
  kSeries,   // one sample: name, labels, value, optional timestamp
  kHelp,     // "# HELP name text"
  kType,     // "# TYPE name type"
  kUnit,     // "# UNIT name unit" (OpenMetrics)
  kComment,  // any other '#' line (Prometheus format)
  kEOF,      // end of input (or "# EOF" in OpenMetrics); no more entries
  kError,    // a malformed entry; TextParser::status() says why
};

// An OpenMetrics exemplar attached to a sample.
struct Exemplar {
  std::span<const LabelPair> labels;  // in input order
  double value = 0;
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
};

// One parsed entry. Views point into the input or the parser's buffers and
// are valid until the next call to TextParser::Next() (or the input dies).
struct Entry {
  EntryKind kind = EntryKind::kEOF;
  // kSeries: the metric name. kHelp/kType/kUnit: the family name.
  std::string_view name;
  // kSeries: the labels inside {} in input order, values unescaped.
  std::span<const LabelPair> labels;
  // kSeries: {"__name__", name} followed by `labels`: a RowSink's shape.
  std::span<const LabelPair> labels_with_name;
  // kSeries: the sample value.
  double value = 0;
  // kSeries: whether the line had a timestamp, and that timestamp in ms.
  bool has_timestamp = false;
  int64_t timestamp_ms = 0;
  // kSeries (OpenMetrics): whether `exemplar` is set.
  bool has_exemplar = false;
  Exemplar exemplar;
  // kHelp: help text, unescaped. kUnit: the unit. kComment: the whole line
  // from its '#'.
  std::string_view text;
  // kType: the declared type.
  MetricType type = MetricType::kUnknown;
};

// A pull parser over one complete exposition held in memory:
//
//   TextParser p(body, Format::kPrometheus);
//   for (const Entry* e = &p.Next(); e->kind != EntryKind::kEOF; e = &p.Next()) {
//     if (e->kind == EntryKind::kError) return p.status();
//     ...
//   }
//
// After a kError, calling Next() again resumes at the line after the error
// (skip-and-continue); stopping is the caller's choice. After kEOF every
// call returns kEOF. Not thread-safe; one parser per input.
class TextParser {
 public:
  // The parser reads `input` without copying it.
  // REQUIRES: `input` outlives the parser and every Entry it returns.
  TextParser(std::string_view input, Format format, const ParserOptions& options = {});

  TextParser(const TextParser&) = delete;
  TextParser& operator=(const TextParser&) = delete;

  // Parses the next entry. The reference and its views stay valid until the
  // next call to Next().
  const Entry& Next();

  // OK, or the error of the last kError entry: InvalidArgument for a
  // malformed entry, ResourceExhausted for a limit; the message starts with
  // "line N: ".
  const Status& status() const { return status_; }

  // 1-based line number of where the current entry starts (or, after a
  // kError, of the offending token). Costs a scan since the last call.
  int line() const;

  Format format() const { return format_; }

 private:
  struct Patch {  // a label value to repoint into scratch_ once it stops growing
    bool exemplar;
    uint32_t index;
    uint32_t offset;
    uint32_t length;
  };

  const Entry& ParsePrometheusLine();
  const Entry& ParseOpenMetricsLine();
  const Entry& ParsePrometheusComment(const char* p);
  const Entry& ParsePrometheusSeries(const char* p);
  const Entry& ParseOpenMetricsMeta(const char* p, EntryKind kind);
  const Entry& ParseOpenMetricsSeries(const char* p);
  // Parses a Prometheus label set; p is just past '{'. Returns the position
  // past '}' or nullptr after setting the error.
  const char* ParsePrometheusLabels(const char* p);
  // Parses an OpenMetrics label set into labels_ or exemplar_labels_; p is
  // just past '{'. Returns the position past '}' or nullptr on error.
  const char* ParseOpenMetricsLabels(const char* p, bool exemplar);
  // Scans a quoted label value starting at the opening quote and appends the
  // label. Returns the position past the closing quote or nullptr on error.
  const char* ParseLabelValue(const char* p, std::string_view label_name, bool exemplar);
  // Unescapes `raw` into scratch_ per the format's rules for help text or
  // label values; returns {offset, length} in scratch_.
  std::pair<uint32_t, uint32_t> UnescapeToScratch(std::string_view raw, bool help_text);
  // Points escaped label values at scratch_; call once the label set is done.
  void ApplyPatches();
  // Validates the finished series: duplicate label names.
  bool CheckSeriesLabels(const char* where);
  // Value and timestamp helpers; return false after setting the error.
  bool ParseValue(const char* where, std::string_view token, double* out);
  bool ParseOpenMetricsTimestamp(const char* where, std::string_view token, const char* what, int64_t* out);
  // Finishes a parsed entry ending at the line break (or end) at `line_end`:
  // checks the line length limit and moves past the break.
  const Entry& Finish(EntryKind kind, const char* line_end);
  // Records an error at `where`, moves past the line containing it, and
  // returns the kError entry.
  const Entry& Fail(const char* where, std::string message, Status::Code code = Status::Code::kInvalidArgument);
  // "expected X, got <token at where>".
  const Entry& FailExpected(const char* where, std::string_view expected);
  // Prometheus-style description of the token at `where` for messages.
  std::string DescribeToken(const char* where) const;
  // Line number of the byte at `where` (1-based).
  int LineAt(const char* where) const;
  const char* SkipBlanks(const char* p) const;

  const char* const begin_;
  const char* const end_;
  const char* pos_;          // start of the next entry
  const char* entry_start_;  // start of the current entry's line
  const Format format_;
  const ParserOptions options_;
  const uint8_t blank_mask_;      // char classes skipped between tokens
  const uint8_t value_end_mask_;  // char classes ending a Prometheus value
  const char* line_anchor_;       // what line() reports
  bool done_ = false;        // kEOF reached
  Entry entry_;
  Status status_;
  std::vector<LabelPair> labels_;  // [0] is {"__name__", name}
  std::vector<LabelPair> exemplar_labels_;
  std::vector<Patch> patches_;
  std::vector<std::string_view> sort_buffer_;  // duplicate-name check of large sets
  std::string scratch_;
  // Line-number cache: the newline count before line_cache_pos_.
  mutable const char* line_cache_pos_;
  mutable int line_cache_count_ = 0;
};

// HELP, TYPE and UNIT seen per metric family: what scraping and
// /api/v1/metadata report. Owns its strings. Not thread-safe.
class MetadataTable {
 public:
  struct Metadata {
    MetricType type = MetricType::kUnknown;
    bool has_type = false;
    bool has_help = false;
    std::string help;
    std::string unit;
  };

  // Records a kHelp, kType or kUnit entry (a later one for the same family
  // replaces the earlier, as Prometheus' scrape cache does); ignores others.
  void Observe(const Entry& entry);

  // The metadata of family `family`, or nullptr.
  const Metadata* Find(std::string_view family) const;

  // The metadata that applies to series `series_name`: the family of that
  // exact name, else the family whose name is `series_name` minus a suffix
  // that the family's type allows (e.g. "x_bucket" of histogram "x").
  // Stores the family name in *family if non-null. nullptr if none.
  const Metadata* FindForSeries(std::string_view series_name, std::string_view* family = nullptr) const;

  // Every family, sorted by name.
  const std::map<std::string, Metadata, std::less<>>& families() const { return families_; }
  size_t size() const { return families_.size(); }
  void Clear() { families_.clear(); }

 private:
  std::map<std::string, Metadata, std::less<>> families_;
};

// The family name of series `series_name` whose family has type `type`:
// strips the suffix that type's samples carry ("_total"/"_created" for
// counters; "_bucket"/"_count"/"_sum"/"_created" for histograms;
// "_bucket"/"_gcount"/"_gsum" for gauge histograms; "_count"/"_sum"/
// "_created" for summaries; "_info" for info). Returns the name unchanged
// when no such suffix applies. The result is a view into `series_name`.
std::string_view MetricFamilyOf(std::string_view series_name, MetricType type);

// Options for ParseToSink.
struct ParseOptions {
  ParserOptions parser;
  // true (scraping, as Prometheus): stop at the first bad entry and return
  // its error. false (import, as VictoriaMetrics): skip bad lines, count
  // them in ParseStats::errors, keep the first in ParseStats::first_error
  // and return OK.
  bool stop_at_first_error = true;
  // If non-null, receives every HELP/TYPE/UNIT entry.
  MetadataTable* metadata = nullptr;
};

// Counters of one ParseToSink call.
struct ParseStats {
  uint64_t samples = 0;   // OnSeries calls made
  uint64_t metadata = 0;  // HELP, TYPE and UNIT entries
  uint64_t comments = 0;  // comment lines
  uint64_t errors = 0;    // bad entries (skipped unless stop_at_first_error)
  Status first_error;     // the first bad entry's error; OK if none
};

// Parses `input` and calls sink.OnSeries once per sample with labels
// [__name__=name, then the line's labels in input order] and one Sample
// whose timestamp is the line's own or `default_timestamp_ms`. Exemplars
// are not delivered. Returns the first error when
// options.stop_at_first_error, else OK.
// Note: samples before an error have already reached the sink; a scraper
// that must reject the whole scrape (as Prometheus does) buffers them until
// this returns OK.
// `stats` may be null.
Status ParseToSink(std::string_view input, Format format, int64_t default_timestamp_ms, RowSink& sink,
                   ParseStats* stats, const ParseOptions& options = {});

}  // namespace vigil::textparse
