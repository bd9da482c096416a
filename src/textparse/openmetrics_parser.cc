// TextParser: the OpenMetrics 1.0 text grammar, as Prometheus 2.42's
// openmetricslex.l reads it: single spaces between tokens, no blanks inside
// braces, no trailing comma, no comments besides HELP/TYPE/UNIT, a final
// "# EOF", timestamps in (fractional) seconds, exemplars.

#include <cmath>
#include <cstring>
#include <string>

#include "textparse/char_class.h"
#include "textparse/number.h"
#include "textparse/textparse.h"

namespace vigil::textparse {

using internal::Is;

namespace {

// A sample's exemplar starts with this; Prometheus' lexer prefers it over a
// timestamp token " #..." (longest match).
constexpr std::string_view kExemplarStart = " # {";

bool StartsWith(const char* p, const char* end, std::string_view prefix) {
  return static_cast<size_t>(end - p) >= prefix.size() && std::memcmp(p, prefix.data(), prefix.size()) == 0;
}

// End of a "[^ \n]+" token starting at p.
const char* TokenEnd(const char* p, const char* end) {
  while (p < end && *p != ' ' && *p != '\n') ++p;
  return p;
}

// Whether p starts " " followed by at least one byte of a "[^ \n]+" token.
bool AtSpacedToken(const char* p, const char* end) {
  return end - p >= 2 && p[0] == ' ' && p[1] != ' ' && p[1] != '\n';
}

}  // namespace

const Entry& TextParser::ParseOpenMetricsLine() {
  entry_start_ = pos_;
  const char* p = pos_;
  if (p == end_) {
    done_ = true;
    return Fail(p, "data does not end with # EOF");
  }
  if (*p == '#') {
    if (StartsWith(p, end_, "# HELP ")) return ParseOpenMetricsMeta(p + 7, EntryKind::kHelp);
    if (StartsWith(p, end_, "# TYPE ")) return ParseOpenMetricsMeta(p + 7, EntryKind::kType);
    if (StartsWith(p, end_, "# UNIT ")) return ParseOpenMetricsMeta(p + 7, EntryKind::kUnit);
    if (StartsWith(p, end_, "# EOF")) {
      const char* q = p + 5;
      if (q < end_ && *q == '\n') ++q;
      done_ = true;
      if (q != end_) return Fail(q, "unexpected data after # EOF");
      pos_ = end_;
      line_anchor_ = p;
      entry_.kind = EntryKind::kEOF;
      return entry_;
    }
    const char* line_end = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end_ - p)));
    if (line_end == nullptr) line_end = end_;
    return Fail(p, "expected a valid start token, got " +
                       internal::GoQuote(std::string_view(p, static_cast<size_t>(line_end - p)), 40) +
                       " (OpenMetrics allows no comments besides HELP, TYPE, UNIT and EOF)");
  }
  if (Is(*p, internal::kMetricNameStart)) return ParseOpenMetricsSeries(p);
  return FailExpected(p, "expected a valid start token");
}

const Entry& TextParser::ParseOpenMetricsMeta(const char* p, EntryKind kind) {
  std::string_view keyword = kind == EntryKind::kHelp ? "HELP" : kind == EntryKind::kType ? "TYPE" : "UNIT";
  if (p == end_ || !Is(*p, internal::kMetricNameStart)) {
    return FailExpected(p, "expected metric name after " + std::string(keyword));
  }
  const char* name_begin = p;
  while (p < end_ && Is(*p, internal::kMetricNameChar)) ++p;
  std::string_view name(name_begin, static_cast<size_t>(p - name_begin));
  const char* line_end = p < end_ ? static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end_ - p)))
                                  : nullptr;
  if (p == end_ || *p != ' ' || line_end == nullptr) {
    return Fail(p, "expected text in " + std::string(keyword));
  }
  std::string_view text(p + 1, static_cast<size_t>(line_end - (p + 1)));
  entry_.name = name;

  switch (kind) {
    case EntryKind::kType: {
      MetricType type;
      if (!internal::LookupMetricType(text, Format::kOpenMetrics, &type)) {
        return Fail(p + 1, "invalid metric type " + internal::GoQuote(text));
      }
      entry_.type = type;
      entry_.text = text;
      break;
    }
    case EntryKind::kUnit:
      if (!text.empty() && (name.size() < text.size() + 1 || !name.ends_with(text) ||
                            name[name.size() - text.size() - 1] != '_')) {
        return Fail(p + 1, "unit not a suffix of metric " + internal::GoQuote(name));
      }
      entry_.text = text;
      break;
    default:  // kHelp
      if (!internal::IsValidUtf8(text)) {
        return Fail(p + 1, "help text " + internal::GoQuote(text) + " is not a valid utf8 string");
      }
      if (text.find('\\') != std::string_view::npos) {
        scratch_.clear();
        auto [offset, length] = UnescapeToScratch(text, /*help_text=*/true);
        text = std::string_view(scratch_.data() + offset, length);
      }
      entry_.text = text;
      break;
  }
  return Finish(kind, line_end);
}

bool TextParser::ParseOpenMetricsTimestamp(const char* where, std::string_view token, const char* what,
                                           int64_t* out) {
  double seconds = 0;
  internal::NumberError err = internal::ParseGoFloat(token, &seconds);
  if (err != internal::NumberError::kOk) {
    Fail(where, internal::FloatErrorText(err, token));
    return false;
  }
  if (std::isnan(seconds) || std::isinf(seconds)) {
    Fail(where, std::string("invalid ") + what);
    return false;
  }
  // Prometheus truncates seconds * 1000 toward zero; keep its rounding.
  double ms = seconds * 1000;
  if (!(ms > -9.2233720368547758e18 && ms < 9.2233720368547758e18)) {
    Fail(where, std::string(what) + " out of range: " + internal::GoQuote(token));
    return false;
  }
  *out = static_cast<int64_t>(ms);
  return true;
}

const Entry& TextParser::ParseOpenMetricsSeries(const char* p) {
  const char* const name_begin = p;
  while (++p < end_ && Is(*p, internal::kMetricNameChar)) {
  }
  std::string_view name(name_begin, static_cast<size_t>(p - name_begin));
  labels_.resize(1);
  labels_[0].value = name;
  exemplar_labels_.clear();
  patches_.clear();
  scratch_.clear();
  entry_.has_exemplar = false;
  entry_.has_timestamp = false;

  if (p < end_ && *p == '{') {
    p = ParseOpenMetricsLabels(p + 1, /*exemplar=*/false);
    if (p == nullptr) return entry_;
  }
  if (!AtSpacedToken(p, end_)) return FailExpected(p, "expected value after metric");
  const char* token = p + 1;
  p = TokenEnd(token, end_);
  if (!ParseValue(token, std::string_view(token, static_cast<size_t>(p - token)), &entry_.value)) return entry_;

  bool exemplar_follows = false;
  if (p == end_) {
    done_ = true;
    return Fail(p, "data does not end with # EOF");
  }
  if (*p != '\n') {
    if (StartsWith(p, end_, kExemplarStart)) {
      exemplar_follows = true;
    } else if (AtSpacedToken(p, end_)) {
      token = p + 1;
      p = TokenEnd(token, end_);
      if (!ParseOpenMetricsTimestamp(token, std::string_view(token, static_cast<size_t>(p - token)), "timestamp",
                                     &entry_.timestamp_ms)) {
        return entry_;
      }
      entry_.has_timestamp = true;
      if (p == end_) {
        done_ = true;
        return Fail(p, "data does not end with # EOF");
      }
      if (*p != '\n') {
        if (!StartsWith(p, end_, kExemplarStart)) return FailExpected(p, "expected next entry after timestamp");
        exemplar_follows = true;
      }
    } else {
      return FailExpected(p, "expected timestamp or # symbol");
    }
  }

  if (exemplar_follows) {
    if (!name.ends_with("_total") && !name.ends_with("_bucket")) {
      return Fail(p, "metric name " + std::string(name) + " does not support exemplars");
    }
    p = ParseOpenMetricsLabels(p + kExemplarStart.size(), /*exemplar=*/true);
    if (p == nullptr) return entry_;
    Exemplar& ex = entry_.exemplar;
    ex.has_timestamp = false;
    if (!AtSpacedToken(p, end_)) return FailExpected(p, "expected value after exemplar labels");
    token = p + 1;
    p = TokenEnd(token, end_);
    if (!ParseValue(token, std::string_view(token, static_cast<size_t>(p - token)), &ex.value)) return entry_;
    if (p < end_ && *p != '\n') {
      if (!AtSpacedToken(p, end_)) return FailExpected(p, "expected timestamp or comment");
      token = p + 1;
      p = TokenEnd(token, end_);
      if (!ParseOpenMetricsTimestamp(token, std::string_view(token, static_cast<size_t>(p - token)),
                                     "exemplar timestamp", &ex.timestamp_ms)) {
        return entry_;
      }
      ex.has_timestamp = true;
      if (p < end_ && *p != '\n') return FailExpected(p, "expected next entry after exemplar timestamp");
    }
    if (p == end_) {
      done_ = true;
      return Fail(p, "data does not end with # EOF");
    }
    entry_.has_exemplar = true;
  }

  ApplyPatches();
  if (!CheckSeriesLabels(name_begin)) return entry_;
  if (entry_.has_exemplar) entry_.exemplar.labels = std::span<const LabelPair>(exemplar_labels_);
  entry_.name = name;
  entry_.labels_with_name = std::span<const LabelPair>(labels_);
  entry_.labels = entry_.labels_with_name.subspan(1);
  return Finish(EntryKind::kSeries, p);
}

const char* TextParser::ParseOpenMetricsLabels(const char* p, bool exemplar) {
  const size_t max_name = options_.limits.max_label_name_bytes;
  bool first = true;
  for (;;) {
    if (p < end_ && *p == '}') return p + 1;
    if (p < end_ && *p == ',') {
      if (first) {
        FailExpected(p, "expected label name or left brace");
        return nullptr;
      }
      ++p;
      if (p == end_ || !Is(*p, internal::kLabelNameStart)) {
        FailExpected(p, "expected label name");
        return nullptr;
      }
    } else if (p < end_ && Is(*p, internal::kLabelNameStart)) {
      if (!first) {
        FailExpected(p, "expected comma");
        return nullptr;
      }
    } else {
      FailExpected(p, first ? "expected label name or left brace" : "expected comma or right brace");
      return nullptr;
    }
    first = false;
    const char* name_begin = p;
    while (++p < end_ && Is(*p, internal::kLabelNameChar)) {
    }
    std::string_view label_name(name_begin, static_cast<size_t>(p - name_begin));
    if (max_name != 0 && label_name.size() > max_name) {
      Fail(name_begin,
           "label name too long (metric: " + std::string(labels_[0].value.substr(0, 50)) +
               ", label name: " + internal::GoQuote(label_name, 50) + ", length: " +
               std::to_string(label_name.size()) + ", limit: " + std::to_string(max_name) + ")",
           Status::Code::kResourceExhausted);
      return nullptr;
    }
    if (p == end_ || *p != '=') {
      FailExpected(p, "expected equal");
      return nullptr;
    }
    ++p;
    if (p == end_ || *p != '"') {
      FailExpected(p, "expected label value");
      return nullptr;
    }
    p = ParseLabelValue(p, label_name, exemplar);
    if (p == nullptr) return nullptr;
  }
}

}  // namespace vigil::textparse
