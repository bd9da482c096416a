#include "ingest/vmimport.h"

#include <fmt/format.h>

#include <limits>
#include <string>
#include <vector>

#include "ingest/json_scan.h"
#include "ingest/line_splitter.h"
#include "ingest/number_parse.h"

namespace vigil::ingest {
namespace {

// The non-number spellings VictoriaMetrics accepts in "values".
bool SpecialFloat(std::string_view s, double* out) {
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s == "Inf" || s == "inf" || s == "Infinity" || s == "infinity") {
    *out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "NaN" || s == "nan" || s == "null" || s == "Null") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return false;
}

class VmImportLineParser {
 public:
  VmImportLineParser(const VmImportOptions& options, IngestStats* stats) : options_(options), stats_(stats) {}

  // Parses one line; on failure returns false and error() says why.
  bool ParseLine(std::string_view line);
  size_t line_samples() const { return samples_.size(); }
  // REQUIRES: the last ParseLine() returned true.
  void EmitLine(RowSink* sink);
  const std::string& error() const { return error_; }

 private:
  bool ParseMetric(JsonCursor* json);
  bool ParseValues(JsonCursor* json);
  bool ParseTimestamps(JsonCursor* json);
  bool Fail(const JsonCursor& json) { return FailWith(json.error()); }
  bool FailWith(std::string what) {
    error_ = std::move(what);
    return false;
  }

  const VmImportOptions& options_;
  IngestStats* stats_;
  std::string scratch_;
  std::vector<LabelPair> labels_;
  std::vector<double> values_;
  std::vector<int64_t> timestamps_;
  std::vector<Sample> samples_;
  std::string error_;
};

bool VmImportLineParser::ParseLine(std::string_view line) {
  scratch_.clear();
  scratch_.reserve(line.size());
  labels_.clear();
  values_.clear();
  timestamps_.clear();
  samples_.clear();
  JsonCursor json(line, &scratch_);
  bool seen_metric = false;
  bool seen_values = false;
  bool seen_timestamps = false;
  if (!json.Expect('{', "'{' starting the line's object")) return Fail(json);
  if (!json.TryConsume('}')) {
    do {
      std::string_view key;
      const size_t key_offset = json.offset();
      if (!json.ReadString(&key) || !json.Expect(':', "':'")) return Fail(json);
      auto once = [&](bool* seen) {
        if (*seen) {
          return FailWith(fmt::format("duplicate key {:?} at column {}", key, key_offset + 1));
        }
        *seen = true;
        return true;
      };
      if (key == "metric") {
        if (!once(&seen_metric)) return false;
        if (!ParseMetric(&json)) return Fail(json);
      } else if (key == "values") {
        if (!once(&seen_values)) return false;
        if (!ParseValues(&json)) return Fail(json);
      } else if (key == "timestamps") {
        if (!once(&seen_timestamps)) return false;
        if (!ParseTimestamps(&json)) return Fail(json);
      } else if (!json.SkipValue()) {
        return Fail(json);
      }
    } while (json.TryConsume(','));
    if (!json.Expect('}', "',' or '}'")) return Fail(json);
  }
  if (!json.AtEnd()) {
    json.Fail("unexpected data after the object");
    return Fail(json);
  }
  if (!seen_metric) return FailWith("missing `metric` object");
  if (labels_.empty()) return FailWith("`metric` object has no labels");
  if (values_.empty()) return FailWith("missing or empty `values` array");
  if (timestamps_.empty()) return FailWith("missing or empty `timestamps` array");
  if (values_.size() != timestamps_.size()) {
    return FailWith(fmt::format("`timestamps` array size must match `values` array size; got {}; want {}",
                                timestamps_.size(), values_.size()));
  }
  samples_.resize(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) samples_[i] = Sample{timestamps_[i], values_[i]};
  return true;
}

bool VmImportLineParser::ParseMetric(JsonCursor* json) {
  if (!json->Expect('{', "'{' starting `metric`")) return false;
  if (json->TryConsume('}')) return true;
  do {
    LabelPair label;
    if (!json->ReadString(&label.name) || !json->Expect(':', "':'")) return false;
    if (json->Peek() != '"') return json->Fail(fmt::format("value of label {:?} is not a string", label.name));
    if (!json->ReadString(&label.value)) return false;
    labels_.push_back(label);
  } while (json->TryConsume(','));
  return json->Expect('}', "',' or '}' in `metric`");
}

bool VmImportLineParser::ParseValues(JsonCursor* json) {
  if (!json->Expect('[', "'[' starting `values`")) return false;
  if (json->TryConsume(']')) return true;
  do {
    double v = 0;
    const char next = json->Peek();
    if (next == 'n') {
      if (!json->ReadLiteral("null")) return false;
      v = std::numeric_limits<double>::quiet_NaN();
    } else if (next == '"') {
      std::string_view s;
      if (!json->ReadString(&s)) return false;
      if (!SpecialFloat(s, &v)) {
        return json->Fail(fmt::format("cannot parse value {:?} at position {} of `values`", LineExcerpt(s),
                                      values_.size()));
      }
    } else {
      std::string_view token;
      if (!json->ReadNumberToken(&token)) return false;
      if (!ParseDoubleStrict(token, &v)) {
        return json->Fail(fmt::format("value {} at position {} of `values` is out of range", token, values_.size()));
      }
    }
    values_.push_back(v);
  } while (json->TryConsume(','));
  return json->Expect(']', "',' or ']' in `values`");
}

bool VmImportLineParser::ParseTimestamps(JsonCursor* json) {
  if (!json->Expect('[', "'[' starting `timestamps`")) return false;
  if (json->TryConsume(']')) return true;
  do {
    std::string_view token;
    int64_t t = 0;
    if (!json->ReadNumberToken(&token)) return false;
    if (!ParseInt64Strict(token, &t)) {
      return json->Fail(fmt::format("timestamp {} at position {} of `timestamps` is not an integer in int64 range",
                                    LineExcerpt(token), timestamps_.size()));
    }
    timestamps_.push_back(t);
  } while (json->TryConsume(','));
  return json->Expect(']', "',' or ']' in `timestamps`");
}

void VmImportLineParser::EmitLine(RowSink* sink) {
  std::string why;
  if (!SeriesWithinLimits(options_.limits, labels_, &why)) {
    ++stats_->series_dropped_by_limits;
    stats_->NoteProblem(why);
    return;
  }
  sink->OnSeries(labels_, samples_);
  ++stats_->series_emitted;
  stats_->samples_emitted += samples_.size();
}

}  // namespace

Status ParseVmImportLines(std::string_view body, const VmImportOptions& options, RowSink* sink, IngestStats* stats) {
  VmImportLineParser parser(options, stats);
  const LineFormat format{"vmimport", CommentLines::kKeep, options.limits.max_import_line_bytes,
                          "max_import_line_bytes"};
  return DriveLines(body, format, options.on_error, options.limits.max_samples_per_request, &parser, sink, stats);
}

}  // namespace vigil::ingest
