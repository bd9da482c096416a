#include "ingest/remote_write.h"

#include <fmt/format.h>

#include <bit>
#include <limits>

#include "base/varint.h"
#include "ingest/protowire.h"

namespace vigil::ingest {
namespace {

// Field numbers (prompb/remote.proto, prompb/types.proto).
constexpr uint32_t kWriteRequestTimeseries = 1;
constexpr uint32_t kWriteRequestMetadata = 3;
constexpr uint32_t kTimeSeriesLabels = 1;
constexpr uint32_t kTimeSeriesSamples = 2;
constexpr uint32_t kTimeSeriesExemplars = 3;
constexpr uint32_t kTimeSeriesHistograms = 4;
constexpr uint32_t kLabelName = 1;
constexpr uint32_t kLabelValue = 2;
constexpr uint32_t kSampleValue = 1;
constexpr uint32_t kSampleTimestamp = 2;

constexpr std::string_view kErrorPrefix = "cannot unmarshal WriteRequest: ";

// Tag bytes as written by the encoder: (field << 3) | wire type.
constexpr char TagByte(uint32_t field, WireType wire) {
  return static_cast<char>((field << 3) | static_cast<uint32_t>(wire));
}

}  // namespace

// Walks one body and fills the decoder's arrays. Each Parse* takes the bytes
// of one message; on failure the reader holds the error.
class WriteRequestDecoder::Parser {
 public:
  Parser(WriteRequestDecoder* d, std::string_view body) : d_(d), r_(body) {}

  bool ParseWriteRequest(const char* p, const char* end) {
    while (p < end) {
      const char* tag_start = p;
      uint32_t field = 0;
      uint32_t wire = 0;
      if (!r_.ReadTag(&p, end, &field, &wire)) return false;
      std::string_view msg;
      if (field == kWriteRequestTimeseries) {
        if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "WriteRequest.timeseries") ||
            !r_.ReadLengthDelimited(&p, end, &msg, "WriteRequest.timeseries") ||
            !ParseTimeSeries(msg.data(), msg.data() + msg.size())) {
          return false;
        }
        if (too_many_samples_) return true;
      } else if (field == kWriteRequestMetadata) {
        if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "WriteRequest.metadata") ||
            !r_.ReadLengthDelimited(&p, end, &msg, "WriteRequest.metadata") || !r_.ValidateMessage(msg)) {
          return false;
        }
        ++d_->stats_.metadata_skipped;
      } else if (!r_.SkipField(&p, end, field, wire)) {
        return false;
      }
    }
    return true;
  }

  // True when the kept samples passed max_samples_per_request; parsing
  // stopped at that series.
  bool too_many_samples() const { return too_many_samples_; }
  // The reader's "<what> at offset N".
  std::string error() const { return r_.error(); }

 private:
  bool ParseTimeSeries(const char* p, const char* end) {
    const size_t first_label = d_->labels_.size();
    const size_t first_sample = d_->samples_.size();
    // The Label fields' bytes, while they follow each other.
    const char* raw_begin = nullptr;
    const char* raw_end = nullptr;
    bool raw_contiguous = true;
    while (p < end) {
      const char* tag_start = p;
      uint32_t field = 0;
      uint32_t wire = 0;
      if (!r_.ReadTag(&p, end, &field, &wire)) return false;
      std::string_view msg;
      switch (field) {
        case kTimeSeriesLabels:
          if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "TimeSeries.labels") ||
              !r_.ReadLengthDelimited(&p, end, &msg, "TimeSeries.labels") ||
              !ParseLabel(msg.data(), msg.data() + msg.size())) {
            return false;
          }
          if (raw_begin == nullptr) raw_begin = tag_start;
          if (raw_end != nullptr && raw_end != tag_start) raw_contiguous = false;
          raw_end = p;
          break;
        case kTimeSeriesSamples:
          if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "TimeSeries.samples") ||
              !r_.ReadLengthDelimited(&p, end, &msg, "TimeSeries.samples") ||
              !ParseSample(msg.data(), msg.data() + msg.size())) {
            return false;
          }
          break;
        case kTimeSeriesExemplars:
          if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "TimeSeries.exemplars") ||
              !r_.ReadLengthDelimited(&p, end, &msg, "TimeSeries.exemplars") || !r_.ValidateMessage(msg)) {
            return false;
          }
          ++d_->stats_.exemplars_skipped;
          break;
        case kTimeSeriesHistograms:
          if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "TimeSeries.histograms") ||
              !r_.ReadLengthDelimited(&p, end, &msg, "TimeSeries.histograms") || !r_.ValidateMessage(msg)) {
            return false;
          }
          ++d_->stats_.histograms_skipped;
          break;
        default:
          if (!r_.SkipField(&p, end, field, wire)) return false;
      }
    }
    std::string_view raw;
    if (raw_begin != nullptr && raw_contiguous) raw = std::string_view(raw_begin, raw_end - raw_begin);
    Keep(first_label, first_sample, raw);
    return true;
  }

  // Keeps the series just parsed, or rewinds the arrays when it has no
  // samples (nothing to store) or breaks a per-series limit.
  void Keep(size_t first_label, size_t first_sample, std::string_view raw_labels) {
    const size_t label_count = d_->labels_.size() - first_label;
    const size_t sample_count = d_->samples_.size() - first_sample;
    const std::span<const LabelPair> labels(d_->labels_.data() + first_label, label_count);
    bool keep = sample_count > 0;
    if (keep && label_count == 0) {
      keep = false;
      ++d_->stats_.series_dropped_by_limits;
      d_->stats_.NoteProblem("a series without labels was dropped");
    } else if (keep && !SeriesWithinLimits(d_->limits_, labels, &d_->limit_message_)) {
      keep = false;
      ++d_->stats_.series_dropped_by_limits;
      d_->stats_.NoteProblem(d_->limit_message_);
    }
    if (!keep) {
      d_->labels_.resize(first_label);
      d_->samples_.resize(first_sample);
      return;
    }
    const auto raw_offset = raw_labels.empty() ? 0 : static_cast<uint32_t>(raw_labels.data() - d_->body_.data());
    d_->series_.push_back(SeriesRef{static_cast<uint32_t>(first_label), static_cast<uint32_t>(label_count),
                                    static_cast<uint32_t>(first_sample), static_cast<uint32_t>(sample_count),
                                    raw_offset, static_cast<uint32_t>(raw_labels.size())});
    const size_t max = d_->limits_.max_samples_per_request;
    if (max != 0 && d_->samples_.size() > max) too_many_samples_ = true;
  }

  bool ParseLabel(const char* p, const char* end) {
    LabelPair label;
    // Fast path: exactly what Prometheus writes, name then value, each shorter than 128 bytes.
    const auto size = end - p;
    if (size >= 4 && p[0] == TagByte(kLabelName, WireType::kLengthDelimited)) {
      const auto name_len = static_cast<unsigned char>(p[1]);
      if (name_len < 0x80 && 4 + name_len <= size &&
          p[2 + name_len] == TagByte(kLabelValue, WireType::kLengthDelimited)) {
        const auto value_len = static_cast<unsigned char>(p[3 + name_len]);
        if (value_len < 0x80 && 4 + name_len + value_len == size) {
          d_->labels_.push_back(
              LabelPair{std::string_view(p + 2, name_len), std::string_view(p + 4 + name_len, value_len)});
          return true;
        }
      }
    }
    while (p < end) {
      const char* tag_start = p;
      uint32_t field = 0;
      uint32_t wire = 0;
      if (!r_.ReadTag(&p, end, &field, &wire)) return false;
      if (field == kLabelName) {
        if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "Label.name") ||
            !r_.ReadLengthDelimited(&p, end, &label.name, "Label.name")) {
          return false;
        }
      } else if (field == kLabelValue) {
        if (!r_.ExpectWireType(tag_start, wire, WireType::kLengthDelimited, "Label.value") ||
            !r_.ReadLengthDelimited(&p, end, &label.value, "Label.value")) {
          return false;
        }
      } else if (!r_.SkipField(&p, end, field, wire)) {
        return false;
      }
    }
    d_->labels_.push_back(label);
    return true;
  }

  bool ParseSample(const char* p, const char* end) {
    Sample sample{0, 0.0};
    // Fast path: exactly what Prometheus writes, value then timestamp.
    if (end - p >= 10 && p[0] == TagByte(kSampleValue, WireType::kFixed64) &&
        p[9] == TagByte(kSampleTimestamp, WireType::kVarint)) {
      uint64_t ts = 0;
      const char* next = GetVarint64Ptr(p + 10, end, &ts);
      if (next == end) {
        sample.value = std::bit_cast<double>(DecodeFixed64(p + 1));
        sample.timestamp_ms = static_cast<int64_t>(ts);
        d_->samples_.push_back(sample);
        return true;
      }
    }
    while (p < end) {
      const char* tag_start = p;
      uint32_t field = 0;
      uint32_t wire = 0;
      if (!r_.ReadTag(&p, end, &field, &wire)) return false;
      if (field == kSampleValue) {
        uint64_t bits = 0;
        if (!r_.ExpectWireType(tag_start, wire, WireType::kFixed64, "Sample.value") ||
            !r_.ReadFixed64(&p, end, &bits, "Sample.value")) {
          return false;
        }
        sample.value = std::bit_cast<double>(bits);
      } else if (field == kSampleTimestamp) {
        uint64_t ts = 0;
        if (!r_.ExpectWireType(tag_start, wire, WireType::kVarint, "Sample.timestamp") ||
            !r_.ReadVarint(&p, end, &ts, "Sample.timestamp")) {
          return false;
        }
        // int64 is two's complement in a varint (not zigzag): negative = 10 bytes.
        sample.timestamp_ms = static_cast<int64_t>(ts);
      } else if (!r_.SkipField(&p, end, field, wire)) {
        return false;
      }
    }
    d_->samples_.push_back(sample);
    return true;
  }

 private:
  WriteRequestDecoder* d_;
  ProtoReader r_;
  bool too_many_samples_ = false;
};

Status WriteRequestDecoder::Decode(std::string_view body) {
  stats_ = IngestStats{};
  labels_.clear();
  samples_.clear();
  series_.clear();
  auto fail = [this](Status s) {
    labels_.clear();
    samples_.clear();
    series_.clear();
    return s;
  };
  if (body.size() > std::numeric_limits<uint32_t>::max()) {
    return fail(Status::ResourceExhausted(
        fmt::format("{}body of {} bytes is larger than 4 GiB", kErrorPrefix, body.size())));
  }
  body_ = body;
  Parser parser(this, body);
  const bool ok = parser.ParseWriteRequest(body.data(), body.data() + body.size());
  if (!ok) return fail(Status::InvalidArgument(std::string(kErrorPrefix) + parser.error()));
  if (parser.too_many_samples()) {
    return fail(Status::ResourceExhausted(
        fmt::format("remote_write request has {} samples, more than max_samples_per_request={}", samples_.size(),
                    limits_.max_samples_per_request)));
  }
  return Status::Ok();
}

WriteRequestDecoder::SeriesView WriteRequestDecoder::series(size_t i) const {
  const SeriesRef& s = series_[i];
  return SeriesView{std::span<const LabelPair>(labels_.data() + s.first_label, s.label_count),
                    std::span<const Sample>(samples_.data() + s.first_sample, s.sample_count),
                    body_.substr(s.raw_labels_offset, s.raw_labels_size)};
}

void WriteRequestDecoder::Emit(RowSink* sink) {
  for (size_t i = 0; i < series_.size(); ++i) {
    const SeriesView s = series(i);
    sink->OnSeries(s.labels, s.samples);
    ++stats_.series_emitted;
    stats_.samples_emitted += s.samples.size();
  }
}

Status DecodeWriteRequest(std::string_view body, const IngestLimits& limits, RowSink* sink,
                          IngestStats* stats) {
  WriteRequestDecoder decoder(limits);
  Status s = decoder.Decode(body);
  if (s.ok()) decoder.Emit(sink);
  if (stats != nullptr) {
    const IngestStats& d = decoder.stats();
    stats->series_emitted += d.series_emitted;
    stats->samples_emitted += d.samples_emitted;
    stats->series_dropped_by_limits += d.series_dropped_by_limits;
    stats->exemplars_skipped += d.exemplars_skipped;
    stats->histograms_skipped += d.histograms_skipped;
    stats->metadata_skipped += d.metadata_skipped;
    if (!d.first_error.empty()) stats->NoteProblem(d.first_error);
  }
  return s;
}

}  // namespace vigil::ingest
