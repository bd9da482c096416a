#include "ingest/influx.h"

#include <fmt/format.h>

#include <limits>
#include <string>
#include <vector>

#include "ingest/line_splitter.h"
#include "ingest/number_parse.h"

namespace vigil::ingest {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Index of the first ch in s that is not escaped by a backslash, or npos.
size_t FindUnescaped(std::string_view s, char ch, bool may_have_escapes) {
  if (!may_have_escapes) return s.find(ch);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == ch) {
      return i;
    }
  }
  return kNpos;
}

// As FindUnescaped, also skipping over "quoted strings".
size_t FindUnquoted(std::string_view s, char ch, bool may_have_escapes, bool may_have_quotes) {
  if (!may_have_quotes) return FindUnescaped(s, ch, may_have_escapes);
  bool in_quote = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      in_quote = !in_quote;
    } else if (c == ch && !in_quote) {
      return i;
    }
  }
  return kNpos;
}

std::string_view StripLeadingSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view StripTrailingSpaces(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsTrue(std::string_view s) { return s == "t" || s == "T" || s == "true" || s == "True" || s == "TRUE"; }
bool IsFalse(std::string_view s) {
  return s == "f" || s == "F" || s == "false" || s == "False" || s == "FALSE";
}

// Parses and emits lines one at a time, reusing its buffers.
class InfluxLineParser {
 public:
  InfluxLineParser(const InfluxOptions& options, IngestStats* stats) : options_(options), stats_(stats) {}

  // Parses one line (no newline; not blank, not a comment). On failure returns
  // false and error() says why.
  bool ParseLine(std::string_view line);

  // Fields of the parsed line that will be stored (numbers and numeric strings).
  size_t line_samples() const { return numeric_fields_; }

  // Emits the parsed line. REQUIRES: the last ParseLine() returned true.
  void EmitLine(RowSink* sink);

  const std::string& error() const { return error_; }

 private:
  struct Field {
    std::string_view key;
    double value;
    bool numeric;
  };

  bool Fail(std::string what) {
    error_ = std::move(what);
    return false;
  }
  std::string_view Unescape(std::string_view s);
  bool ParseTags(std::string_view tags);
  bool ParseFields(std::string_view fields);
  bool ParseFieldValue(std::string_view key, std::string_view raw);
  bool ParseTimestamp(std::string_view raw);

  const InfluxOptions& options_;
  IngestStats* stats_;
  bool escapes_ = false;
  bool quotes_ = false;
  std::string scratch_;  // unescaped names; capacity >= line size, never reallocated mid-line
  std::string_view measurement_;
  std::vector<LabelPair> tags_;
  bool has_db_tag_ = false;
  std::vector<Field> fields_;
  size_t numeric_fields_ = 0;
  int64_t timestamp_ms_ = 0;
  std::vector<LabelPair> labels_;
  std::string name_;
  std::string error_;
};

std::string_view InfluxLineParser::Unescape(std::string_view s) {
  if (!escapes_ || s.find('\\') == kNpos) return s;
  const size_t start = scratch_.size();
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      const char next = s[i + 1];
      if (next == ' ' || next == ',' || next == '=' || next == '\\') {
        c = next;
        ++i;
      }
    }
    scratch_.push_back(c);  // total output <= line size <= capacity: no reallocation
  }
  return std::string_view(scratch_.data() + start, scratch_.size() - start);
}

bool InfluxLineParser::ParseLine(std::string_view line) {
  escapes_ = line.find('\\') != kNpos;
  scratch_.clear();
  if (escapes_) scratch_.reserve(line.size());
  tags_.clear();
  fields_.clear();
  has_db_tag_ = false;
  numeric_fields_ = 0;

  const size_t key_end = FindUnescaped(line, ' ', escapes_);
  if (key_end == kNpos) return Fail("missing fields: no space after the measurement and tags");
  const std::string_view key = line.substr(0, key_end);
  std::string_view rest = StripLeadingSpaces(line.substr(key_end + 1));

  const size_t comma = FindUnescaped(key, ',', escapes_);
  measurement_ = Unescape(key.substr(0, comma));
  if (comma != kNpos && !ParseTags(key.substr(comma + 1))) return false;

  quotes_ = rest.find('"') != kNpos;
  const size_t fields_end = FindUnquoted(rest, ' ', escapes_, quotes_);
  const std::string_view fields = rest.substr(0, fields_end);
  if (fields.empty()) return Fail("missing fields");
  if (!ParseFields(fields)) return false;
  const std::string_view ts =
      fields_end == kNpos ? std::string_view() : StripTrailingSpaces(StripLeadingSpaces(rest.substr(fields_end + 1)));
  return ParseTimestamp(ts);
}

bool InfluxLineParser::ParseTags(std::string_view tags) {
  for (;;) {
    const size_t comma = FindUnescaped(tags, ',', escapes_);
    const std::string_view tag = tags.substr(0, comma);
    const size_t eq = FindUnescaped(tag, '=', escapes_);
    if (eq == kNpos) return Fail(fmt::format("missing '=' in tag {:?}", LineExcerpt(tag)));
    const std::string_view name = Unescape(tag.substr(0, eq));
    const std::string_view value = Unescape(tag.substr(eq + 1));
    if (!name.empty() && !value.empty()) {
      tags_.push_back(LabelPair{name, value});
      if (name == "db") has_db_tag_ = true;
    }
    if (comma == kNpos) return true;
    tags.remove_prefix(comma + 1);
  }
}

bool InfluxLineParser::ParseFields(std::string_view fields) {
  for (;;) {
    const size_t comma = FindUnquoted(fields, ',', escapes_, quotes_);
    const std::string_view field = fields.substr(0, comma);
    const size_t eq = FindUnescaped(field, '=', escapes_);
    if (eq == kNpos) return Fail(fmt::format("missing '=' in field {:?}", LineExcerpt(field)));
    const std::string_view name = Unescape(field.substr(0, eq));
    if (name.empty()) return Fail(fmt::format("empty field key in {:?}", LineExcerpt(field)));
    if (!ParseFieldValue(name, field.substr(eq + 1))) return false;
    if (comma == kNpos) return true;
    fields.remove_prefix(comma + 1);
  }
}

bool InfluxLineParser::ParseFieldValue(std::string_view key, std::string_view raw) {
  Field f{key, 0.0, true};
  if (raw.empty()) return Fail(fmt::format("empty value for field {:?}", key));
  if (raw.front() == '"') {
    if (raw.size() < 2 || raw.back() != '"') {
      return Fail(fmt::format("missing closing quote in the value of field {:?}", key));
    }
    // A number sent as a string is stored as that number; other strings are not.
    f.numeric = ParseDoubleStrict(raw.substr(1, raw.size() - 2), &f.value);
  } else if (raw.back() == 'i') {
    int64_t v = 0;
    if (!ParseInt64Strict(raw.substr(0, raw.size() - 1), &v)) {
      return Fail(fmt::format("cannot parse integer value {:?} of field {:?}", LineExcerpt(raw), key));
    }
    f.value = static_cast<double>(v);
  } else if (raw.back() == 'u') {
    uint64_t v = 0;
    if (!ParseUint64Strict(raw.substr(0, raw.size() - 1), &v)) {
      return Fail(fmt::format("cannot parse unsigned value {:?} of field {:?}", LineExcerpt(raw), key));
    }
    f.value = static_cast<double>(v);
  } else if (IsTrue(raw)) {
    f.value = 1.0;
  } else if (IsFalse(raw)) {
    f.value = 0.0;
  } else if (!ParseDoubleStrict(raw, &f.value)) {
    return Fail(fmt::format("cannot parse value {:?} of field {:?}", LineExcerpt(raw), key));
  }
  if (f.numeric) ++numeric_fields_;
  fields_.push_back(f);
  return true;
}

bool InfluxLineParser::ParseTimestamp(std::string_view raw) {
  if (raw.empty()) {
    timestamp_ms_ = options_.now_ms;
    return true;
  }
  int64_t t = 0;
  if (!ParseInt64Strict(raw, &t)) return Fail(fmt::format("cannot parse timestamp {:?}", LineExcerpt(raw)));
  int64_t multiplier = 1;
  switch (options_.precision) {
    case InfluxPrecision::kNanoseconds: timestamp_ms_ = t / 1'000'000; return true;
    case InfluxPrecision::kMicroseconds: timestamp_ms_ = t / 1'000; return true;
    case InfluxPrecision::kMilliseconds: timestamp_ms_ = t; return true;
    case InfluxPrecision::kSeconds: multiplier = 1'000; break;
    case InfluxPrecision::kMinutes: multiplier = 60'000; break;
    case InfluxPrecision::kHours: multiplier = 3'600'000; break;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (t > kMax / multiplier || t < -(kMax / multiplier)) {
    return Fail(fmt::format("timestamp {} is out of range for its precision", t));
  }
  timestamp_ms_ = t * multiplier;
  return true;
}

void InfluxLineParser::EmitLine(RowSink* sink) {
  labels_.clear();
  labels_.push_back(LabelPair{"__name__", {}});
  labels_.insert(labels_.end(), tags_.begin(), tags_.end());
  if (!options_.db.empty() && !has_db_tag_) labels_.push_back(LabelPair{"db", options_.db});
  std::string why;
  for (const Field& f : fields_) {
    if (!f.numeric) {
      ++stats_->string_fields_skipped;
      continue;
    }
    name_.clear();
    if (!measurement_.empty()) name_.append(measurement_).push_back('_');
    name_.append(f.key);
    labels_[0].value = name_;
    if (!SeriesWithinLimits(options_.limits, labels_, &why)) {
      ++stats_->series_dropped_by_limits;
      stats_->NoteProblem(why);
      continue;
    }
    const Sample sample{timestamp_ms_, f.value};
    sink->OnSeries(labels_, std::span<const Sample>(&sample, 1));
    ++stats_->series_emitted;
    ++stats_->samples_emitted;
  }
}

}  // namespace

Result<InfluxPrecision> ParseInfluxPrecision(std::string_view arg) {
  if (arg.empty() || arg == "ns" || arg == "n") return InfluxPrecision::kNanoseconds;
  if (arg == "u" || arg == "us" || arg == "\xc2\xb5") return InfluxPrecision::kMicroseconds;
  if (arg == "ms") return InfluxPrecision::kMilliseconds;
  if (arg == "s") return InfluxPrecision::kSeconds;
  if (arg == "m") return InfluxPrecision::kMinutes;
  if (arg == "h") return InfluxPrecision::kHours;
  return Status::InvalidArgument(
      fmt::format("unsupported influx precision {:?}; want one of ns, us, ms, s, m, h", arg));
}

Status ParseInfluxLines(std::string_view body, const InfluxOptions& options, RowSink* sink, IngestStats* stats) {
  InfluxLineParser parser(options, stats);
  const LineFormat format{"influx", CommentLines::kSkipHashComments, options.limits.max_influx_line_bytes,
                          "max_influx_line_bytes"};
  return DriveLines(body, format, options.on_error, options.limits.max_samples_per_request, &parser, sink, stats);
}

}  // namespace vigil::ingest
