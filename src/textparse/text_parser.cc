// TextParser: the parts shared by both formats, and the Prometheus 0.0.4
// grammar (openmetrics_parser.cc has the OpenMetrics one).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "textparse/char_class.h"
#include "textparse/number.h"
#include "textparse/textparse.h"

namespace vigil::textparse {

using internal::Is;
using internal::kCharClasses;

namespace {

// Prometheus' canonical NaN (value.NormalNaN): every parsed NaN becomes this,
// so that it is never mistaken for the stale marker.
constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;

// Duplicate-name checks switch from pairwise compares to sorting above this.
constexpr size_t kPairwiseDuplicateCheckMax = 16;

const char* FindNewline(const char* p, const char* end) {
  const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
  return nl != nullptr ? static_cast<const char*>(nl) : end;
}

}  // namespace

TextParser::TextParser(std::string_view input, Format format, const ParserOptions& options)
    : begin_(input.data()),
      end_(input.data() + input.size()),
      pos_(begin_),
      entry_start_(begin_),
      format_(format),
      options_(options),
      blank_mask_(static_cast<uint8_t>(
          internal::kBlank |
          (options.accept_crlf && format == Format::kPrometheus ? internal::kCarriageReturn : 0))),
      value_end_mask_(static_cast<uint8_t>(
          internal::kValueEnd |
          (options.accept_crlf && format == Format::kPrometheus ? internal::kCarriageReturn : 0))),
      line_anchor_(begin_),
      line_cache_pos_(begin_) {
  labels_.reserve(16);
  labels_.push_back({"__name__", {}});
  exemplar_labels_.reserve(4);
}

const Entry& TextParser::Next() {
  if (!status_.ok()) status_ = Status::Ok();
  if (done_) {
    entry_.kind = EntryKind::kEOF;
    return entry_;
  }
  return format_ == Format::kPrometheus ? ParsePrometheusLine() : ParseOpenMetricsLine();
}

int TextParser::line() const { return LineAt(line_anchor_); }

int TextParser::LineAt(const char* where) const {
  if (where >= line_cache_pos_) {
    line_cache_count_ += static_cast<int>(std::count(line_cache_pos_, where, '\n'));
  } else {
    line_cache_count_ -= static_cast<int>(std::count(where, line_cache_pos_, '\n'));
  }
  line_cache_pos_ = where;
  return line_cache_count_ + 1;
}

const char* TextParser::SkipBlanks(const char* p) const {
  while (p < end_ && (kCharClasses[static_cast<unsigned char>(*p)] & blank_mask_) != 0) ++p;
  return p;
}

const Entry& TextParser::Finish(EntryKind kind, const char* line_end) {
  size_t max_line = options_.limits.max_line_bytes;
  if (max_line != 0 && static_cast<size_t>(line_end - entry_start_) > max_line) {
    return Fail(line_end,
                "line length " + std::to_string(line_end - entry_start_) + " exceeds the limit of " +
                    std::to_string(max_line) + " bytes",
                Status::Code::kResourceExhausted);
  }
  pos_ = line_end < end_ ? line_end + 1 : end_;
  line_anchor_ = entry_start_;
  entry_.kind = kind;
  return entry_;
}

const Entry& TextParser::Fail(const char* where, std::string message, Status::Code code) {
  std::string text = "line " + std::to_string(LineAt(where)) + ": " + message;
  status_ = code == Status::Code::kResourceExhausted ? Status::ResourceExhausted(std::move(text))
                                                     : Status::InvalidArgument(std::move(text));
  const char* nl = FindNewline(std::min(where, end_), end_);
  pos_ = nl < end_ ? nl + 1 : end_;
  line_anchor_ = where;
  entry_.kind = EntryKind::kError;
  return entry_;
}

const Entry& TextParser::FailExpected(const char* where, std::string_view expected) {
  return Fail(where, std::string(expected) + ", got " + DescribeToken(where));
}

std::string TextParser::DescribeToken(const char* where) const {
  if (where >= end_) return "EOF";
  const char* p = where;
  unsigned char c = static_cast<unsigned char>(*p);
  if (Is(*p, internal::kMetricNameChar)) {
    while (p < end_ && Is(*p, internal::kMetricNameChar)) ++p;
  } else if (c == '"') {
    ++p;
    while (p < end_ && *p != '"' && *p != '\n') p += (*p == '\\' && p + 1 < end_ && p[1] != '\n') ? 2 : 1;
    if (p < end_ && *p == '"') ++p;
  } else if (c >= 0x80) {
    ++p;
    while (p < end_ && p - where < 4 && (static_cast<unsigned char>(*p) & 0xC0) == 0x80) ++p;
    if (!internal::IsValidUtf8(std::string_view(where, static_cast<size_t>(p - where)))) p = where + 1;
  } else {
    ++p;
  }
  return internal::GoQuote(std::string_view(where, static_cast<size_t>(p - where)), 40);
}

std::pair<uint32_t, uint32_t> TextParser::UnescapeToScratch(std::string_view raw, bool help_text) {
  // Prometheus' help text knows \\ and \n only; label values, and
  // OpenMetrics help text, also \". Any other backslash stays as it is.
  bool quote_escape = !help_text || format_ == Format::kOpenMetrics;
  size_t offset = scratch_.size();
  const char* p = raw.data();
  const char* const end = p + raw.size();
  while (p < end) {
    const char* bs = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(end - p)));
    if (bs == nullptr) bs = end;
    scratch_.append(p, static_cast<size_t>(bs - p));
    p = bs;
    if (p == end) break;
    char next = p + 1 < end ? p[1] : '\0';
    if (next == '\\') {
      scratch_.push_back('\\');
      p += 2;
    } else if (next == 'n') {
      scratch_.push_back('\n');
      p += 2;
    } else if (next == '"' && quote_escape) {
      scratch_.push_back('"');
      p += 2;
    } else {
      scratch_.push_back('\\');
      p += 1;
    }
  }
  return {static_cast<uint32_t>(offset), static_cast<uint32_t>(scratch_.size() - offset)};
}

void TextParser::ApplyPatches() {
  for (const Patch& patch : patches_) {
    std::vector<LabelPair>& dst = patch.exemplar ? exemplar_labels_ : labels_;
    dst[patch.index].value = std::string_view(scratch_.data() + patch.offset, patch.length);
  }
}

const char* TextParser::ParseLabelValue(const char* p, std::string_view label_name, bool exemplar) {
  const uint8_t stop_mask = static_cast<uint8_t>(
      internal::kQuoteOrBackslash | internal::kHighByte |
      (format_ == Format::kOpenMetrics ? internal::kNewline : 0));
  const auto* q = reinterpret_cast<const unsigned char*>(p) + 1;
  const auto* const e = reinterpret_cast<const unsigned char*>(end_);
  bool escaped = false;
  bool high = false;
  for (;;) {
    while (q < e && (internal::kQuotedStops[*q] & stop_mask) == 0) ++q;
    if (q == e) {
      FailExpected(p, "expected label value");
      return nullptr;
    }
    unsigned char c = *q;
    if (c == '"') break;
    if (c == '\\') {
      if (q + 1 == e || q[1] == '\n') {
        FailExpected(p, "expected label value");
        return nullptr;
      }
      escaped = true;
      q += 2;
    } else if (c == '\n') {  // OpenMetrics only: values stay on one line
      FailExpected(p, "expected label value");
      return nullptr;
    } else {
      high = true;
      ++q;
    }
  }
  const char* raw_begin = p + 1;
  std::string_view raw(raw_begin, static_cast<size_t>(reinterpret_cast<const char*>(q) - raw_begin));
  if (high && !internal::IsValidUtf8(raw)) {
    Fail(p, "invalid UTF-8 label value: " + internal::GoQuote(raw));
    return nullptr;
  }
  std::vector<LabelPair>& dst = exemplar ? exemplar_labels_ : labels_;
  size_t value_length = raw.size();
  if (escaped) {
    auto [offset, length] = UnescapeToScratch(raw, /*help_text=*/false);
    patches_.push_back({exemplar, static_cast<uint32_t>(dst.size()), offset, length});
    dst.push_back({label_name, {}});
    value_length = length;
  } else {
    dst.push_back({label_name, raw});
  }
  const ParserLimits& limits = options_.limits;
  if (limits.max_label_value_bytes != 0 && value_length > limits.max_label_value_bytes) {
    Fail(p,
         "label value too long (metric: " + std::string(labels_[0].value.substr(0, 50)) +
             ", label name: " + internal::GoQuote(label_name, 50) + ", length: " + std::to_string(value_length) +
             ", limit: " + std::to_string(limits.max_label_value_bytes) + ")",
         Status::Code::kResourceExhausted);
    return nullptr;
  }
  if (!exemplar && limits.max_labels_per_series != 0 && labels_.size() > limits.max_labels_per_series) {
    Fail(p,
         "too many labels (metric: " + std::string(labels_[0].value.substr(0, 50)) + ", limit: " +
             std::to_string(limits.max_labels_per_series) + " labels including __name__)",
         Status::Code::kResourceExhausted);
    return nullptr;
  }
  return reinterpret_cast<const char*>(q) + 1;
}

bool TextParser::CheckSeriesLabels(const char* where) {
  const size_t n = labels_.size();
  if (n <= 1) return true;
  std::string_view duplicate;
  if (n <= kPairwiseDuplicateCheckMax) {
    for (size_t i = 1; i < n && duplicate.empty(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (labels_[i].name == labels_[j].name) {
          duplicate = labels_[i].name;
          break;
        }
      }
    }
  } else {
    sort_buffer_.clear();
    for (const LabelPair& l : labels_) sort_buffer_.push_back(l.name);
    std::sort(sort_buffer_.begin(), sort_buffer_.end());
    auto it = std::adjacent_find(sort_buffer_.begin(), sort_buffer_.end());
    if (it != sort_buffer_.end()) duplicate = *it;
  }
  if (duplicate.empty()) return true;
  Fail(where, "label name " + internal::GoQuote(duplicate) + " is not unique (metric: " +
                  std::string(labels_[0].value.substr(0, 50)) + ")");
  return false;
}

bool TextParser::ParseValue(const char* where, std::string_view token, double* out) {
  double v = 0;
  internal::NumberError err = internal::ParseGoFloat(token, &v);
  if (err != internal::NumberError::kOk) {
    Fail(where, internal::FloatErrorText(err, token));
    return false;
  }
  if (std::isnan(v)) v = std::bit_cast<double>(kNormalNaNBits);
  *out = v;
  return true;
}

// ---- Prometheus text format 0.0.4 ----

const Entry& TextParser::ParsePrometheusLine() {
  for (;;) {
    entry_start_ = pos_;
    const char* p = SkipBlanks(pos_);
    if (p == end_) {
      done_ = true;
      line_anchor_ = end_;
      entry_.kind = EntryKind::kEOF;
      return entry_;
    }
    char c = *p;
    if (c == '\n') {  // blank line
      pos_ = p + 1;
      continue;
    }
    if (c == '#') return ParsePrometheusComment(p);
    if (Is(c, internal::kMetricNameStart)) {
      // Prometheus' lexer accepts blanks before a sample but keeps them in
      // the metric name, which its scrape then rejects as invalid.
      if (p != pos_) {
        const char* name_end = p;
        while (name_end < end_ && Is(*name_end, internal::kMetricNameChar)) ++name_end;
        return Fail(p, "invalid metric name " +
                           internal::GoQuote(std::string_view(pos_, static_cast<size_t>(name_end - pos_))) +
                           ": leading whitespace");
      }
      return ParsePrometheusSeries(p);
    }
    return FailExpected(p, "expected a valid start token");
  }
}

const Entry& TextParser::ParsePrometheusComment(const char* p) {
  const char* q = p + 1;
  EntryKind kind = EntryKind::kComment;
  // "#[ \t]+(HELP|TYPE)[ \t]+" starts metadata; any other '#' line is a comment.
  if (q < end_ && Is(*q, internal::kBlank)) {
    while (q < end_ && Is(*q, internal::kBlank)) ++q;
    if (end_ - q >= 5 && Is(q[4], internal::kBlank)) {
      if (std::memcmp(q, "HELP", 4) == 0) kind = EntryKind::kHelp;
      if (std::memcmp(q, "TYPE", 4) == 0) kind = EntryKind::kType;
    }
  }
  const char* line_end;
  if (kind == EntryKind::kComment) {
    line_end = FindNewline(p, end_);
    const char* text_end = line_end;
    if (blank_mask_ & internal::kCarriageReturn) {
      if (text_end > p && text_end[-1] == '\r') --text_end;
    }
    entry_.text = std::string_view(p, static_cast<size_t>(text_end - p));
    return Finish(kind, line_end);
  }

  q += 4;
  while (q < end_ && Is(*q, internal::kBlank)) ++q;
  if (q == end_ || !Is(*q, internal::kMetricNameStart)) {
    return FailExpected(q, kind == EntryKind::kHelp ? "expected metric name after HELP"
                                                    : "expected metric name after TYPE");
  }
  const char* name_begin = q;
  while (q < end_ && Is(*q, internal::kMetricNameChar)) ++q;
  entry_.name = std::string_view(name_begin, static_cast<size_t>(q - name_begin));
  line_end = FindNewline(q, end_);
  const char* text_end = line_end;
  if ((blank_mask_ & internal::kCarriageReturn) && text_end > q && text_end[-1] == '\r') --text_end;
  // Prometheus' lexer drops the one byte separating the name from the text;
  // a rest made only of blanks is no text at all.
  std::string_view rest(q, static_cast<size_t>(text_end - q));
  std::string_view text;
  if (rest.find_first_not_of(" \t") != std::string_view::npos && rest.size() > 1) text = rest.substr(1);

  if (kind == EntryKind::kType) {
    MetricType type;
    if (!internal::LookupMetricType(text, Format::kPrometheus, &type)) {
      return Fail(q, "invalid metric type " + internal::GoQuote(text));
    }
    entry_.type = type;
    entry_.text = text;
    return Finish(kind, line_end);
  }

  if (!internal::IsValidUtf8(text)) {
    return Fail(q, "help text " + internal::GoQuote(text) + " is not a valid utf8 string");
  }
  if (text.find('\\') != std::string_view::npos) {
    scratch_.clear();
    auto [offset, length] = UnescapeToScratch(text, /*help_text=*/true);
    text = std::string_view(scratch_.data() + offset, length);
  }
  entry_.text = text;
  return Finish(kind, line_end);
}

const Entry& TextParser::ParsePrometheusSeries(const char* p) {
  const char* const name_begin = p;
  while (++p < end_ && Is(*p, internal::kMetricNameChar)) {
  }
  std::string_view name(name_begin, static_cast<size_t>(p - name_begin));
  labels_.resize(1);
  labels_[0].value = name;
  patches_.clear();
  scratch_.clear();
  entry_.has_exemplar = false;

  p = SkipBlanks(p);
  if (p < end_ && *p == '{') {
    p = ParsePrometheusLabels(p + 1);
    if (p == nullptr) return entry_;
    p = SkipBlanks(p);
  }

  const char* const value_begin = p;
  while (p < end_ && (kCharClasses[static_cast<unsigned char>(*p)] & value_end_mask_) == 0) ++p;
  if (p == value_begin) return FailExpected(p, "expected value after metric");
  if (!ParseValue(value_begin, std::string_view(value_begin, static_cast<size_t>(p - value_begin)),
                  &entry_.value)) {
    return entry_;
  }

  p = SkipBlanks(p);
  entry_.has_timestamp = false;
  if (p < end_ && *p != '\n') {
    if (!Is(*p, internal::kDigit)) return FailExpected(p, "expected timestamp or new record");
    const char* ts_begin = p;
    while (p < end_ && Is(*p, internal::kDigit)) ++p;
    std::string_view digits(ts_begin, static_cast<size_t>(p - ts_begin));
    internal::NumberError err = internal::ParseDigitsInt64(digits, &entry_.timestamp_ms);
    if (err != internal::NumberError::kOk) return Fail(ts_begin, internal::IntErrorText(err, digits));
    entry_.has_timestamp = true;
    p = SkipBlanks(p);
    if (p < end_ && *p != '\n') return FailExpected(p, "expected next entry after timestamp");
  }

  ApplyPatches();
  if (!CheckSeriesLabels(name_begin)) return entry_;
  entry_.name = name;
  entry_.labels_with_name = std::span<const LabelPair>(labels_);
  entry_.labels = entry_.labels_with_name.subspan(1);
  return Finish(EntryKind::kSeries, p);
}

const char* TextParser::ParsePrometheusLabels(const char* p) {
  const ParserLimits& limits = options_.limits;
  p = SkipBlanks(p);
  for (;;) {
    if (p < end_ && *p == '}') return p + 1;
    if (p == end_ || !Is(*p, internal::kLabelNameStart)) {
      FailExpected(p, "expected label name");
      return nullptr;
    }
    const char* name_begin = p;
    while (++p < end_ && Is(*p, internal::kLabelNameChar)) {
    }
    std::string_view label_name(name_begin, static_cast<size_t>(p - name_begin));
    if (limits.max_label_name_bytes != 0 && label_name.size() > limits.max_label_name_bytes) {
      Fail(name_begin,
           "label name too long (metric: " + std::string(labels_[0].value.substr(0, 50)) +
               ", label name: " + internal::GoQuote(label_name, 50) + ", length: " +
               std::to_string(label_name.size()) + ", limit: " + std::to_string(limits.max_label_name_bytes) + ")",
           Status::Code::kResourceExhausted);
      return nullptr;
    }
    p = SkipBlanks(p);
    if (p == end_ || *p != '=') {
      FailExpected(p, "expected equal");
      return nullptr;
    }
    p = SkipBlanks(p + 1);
    if (p == end_ || *p != '"') {
      FailExpected(p, "expected label value");
      return nullptr;
    }
    p = ParseLabelValue(p, label_name, /*exemplar=*/false);
    if (p == nullptr) return nullptr;
    // Prometheus accepts a trailing comma, and (by accident of its lexer)
    // no comma at all between two labels.
    p = SkipBlanks(p);
    if (p < end_ && *p == ',') p = SkipBlanks(p + 1);
  }
}

}  // namespace vigil::textparse
